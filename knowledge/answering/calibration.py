"""Abstention calibrated for each knowledge base from its own passages, with no labelled question.

A fixed cosine cut does not carry from one knowledge base to another: how close an off-topic
question lands to the nearest passage depends on how broad the documents are. So the cut is
placed per knowledge base: synthetic answerable questions are drawn from its own passages
(knowledge.synthetic_questions: each asks about one sentence's fact) and synthetic unanswerable
ones are everyday questions whose distinctive words no passage contains, plus near misses: the
answerable ones with their most distinctive word swapped for one no passage says. Each is
retrieved as the engine retrieves, and the rule (cosine cut, term-check band) is placed
between the two groups with a false-abstention budget. The result is saved with a fingerprint
of the knowledge it was computed on; a changed knowledge base makes it stale (the scheduler
re-computes it), and a stale or missing calibration falls back to the configured thresholds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from knowledge.answering.abstention import AbstentionRule, Signals, evaluate_rule, signals
from knowledge.answering.analysis import terms
from knowledge.db import documents as registry
from knowledge.db.connection import Database
from knowledge.retrieval import Passage, Retriever
from knowledge.stores.base import EVERYONE, SearchFilter

logger = logging.getLogger(__name__)

FILE_NAME = "abstention_calibration.json"
MAX_ANSWERABLE = 60
"""Synthetic answerable questions asked (spread over the knowledge base): enough for a 5% cut."""
MIN_QUESTIONS = 8
"""Fewer synthetic questions of either kind than this: too few to place a rule on."""
FALSE_ABSTAIN_BUDGET = 0.02
"""Share of synthetic answerable questions the rule may refuse. Real questions are vaguer than
questions made from a passage's own sentence, so the budget on synthetic ones is tight."""
MARGIN = 0.9
"""The cosine cut is placed at this share of the value the budget allows: real paraphrases
score lower than synthetic questions that reuse a passage's words."""

RECHECK_S = 5.0
"""How often an answering process looks whether the live knowledge changed (one SQL query)."""

MAX_COVERAGE_FLOOR = 0.35
"""The term check's coverage floor is capped here. Synthetic questions reuse their passage's
words (coverage near 1), real ones paraphrase: on the sample handbook an uncapped floor of 0.64
refused 14% of its answerable questions (9 of 63) for 2 more catches."""

Retrieve = Callable[[str], list[Passage]]


@dataclass(frozen=True)
class Calibration:
    """An abstention rule placed for one state of the knowledge base, and how it was placed."""

    abstain_below: float
    term_check_below: float
    min_term_coverage: float
    knowledge: str
    """Fingerprint of the knowledge it was computed on (documents and live versions)."""
    answerable: int
    unanswerable: int
    synthetic_recall: float
    """Share of synthetic unanswerable questions the rule refuses."""
    synthetic_false_abstain: float
    """Share of synthetic answerable questions the rule refuses."""
    median_cosine_answerable: float
    median_cosine_unanswerable: float
    calibrated_at: str
    seed: int = 0

    @property
    def rule(self) -> AbstentionRule:
        return AbstentionRule(self.abstain_below, self.term_check_below, self.min_term_coverage)

    def describe(self) -> str:
        """One line for `helpbot eval` and the logs."""
        return (
            f"self-calibrated on {self.answerable} answerable / {self.unanswerable} unanswerable "
            f"synthetic questions at {self.calibrated_at}: abstain below cosine "
            f"{self.abstain_below}, term check below {self.term_check_below} with coverage "
            f"under {self.min_term_coverage} (synthetic recall {self.synthetic_recall}, false "
            f"abstentions {self.synthetic_false_abstain})"
        )


def knowledge_fingerprint(documents: Sequence[tuple[str, int]]) -> str:
    """A short hash of (document id, live version) pairs: it changes when the knowledge does."""
    text = "\n".join(f"{doc}@{version}" for doc, version in sorted(documents))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def place_rule(
    answerable: Sequence[Signals],
    unanswerable: Sequence[Signals],
    *,
    budget: float = FALSE_ABSTAIN_BUDGET,
    margin: float = MARGIN,
) -> AbstentionRule:
    """The cosine cut below which at most `budget` of the answerable questions fall (times
    `margin`), then the term-check band and coverage floor that catch the most unanswerable
    questions above it within the same budget."""
    from knowledge.answering.abstention import calibrate_rule

    cosines = sorted(s.cosine for s in answerable)
    allowed = int(budget * len(cosines))
    cut = round(cosines[allowed] * margin, 4) if cosines else 0.0
    placed = calibrate_rule(answerable, unanswerable, cut, max_false_abstain=budget).rule
    floor = min(placed.min_term_coverage, MAX_COVERAGE_FLOOR)
    return AbstentionRule(placed.abstain_below, placed.term_check_below, floor)


def calibrate_knowledge(
    passages: Sequence[Passage],
    retrieve: Retrieve,
    *,
    knowledge: str,
    seed: int = 0,
    max_answerable: int = MAX_ANSWERABLE,
) -> Calibration | None:
    """Synthesize questions from `passages`, retrieve each with `retrieve` and place the rule;
    None when the knowledge base yields too few questions of either kind."""
    from knowledge.synthetic_questions import synthesize

    items = synthesize(passages, seed=seed)
    asked = [item for item in items if item.answerable]
    step = max(1, len(asked) // max_answerable)
    asked = asked[::step][:max_answerable]
    uncovered = [item for item in items if not item.answerable]
    if len(asked) < MIN_QUESTIONS or len(uncovered) < MIN_QUESTIONS // 2:
        logger.info(
            "too few synthetic questions to calibrate (%d answerable, %d unanswerable)",
            len(asked),
            len(uncovered),
        )
        return None
    misses = near_misses([item.question for item in asked], passages, seed=seed)
    yes = [signals(item.question, retrieve(item.question)) for item in asked]
    no = [signals(q, retrieve(q)) for q in [item.question for item in uncovered] + misses]
    rule = place_rule(yes, no)
    scored = evaluate_rule(yes, no, rule)
    return Calibration(
        abstain_below=rule.abstain_below,
        term_check_below=rule.term_check_below,
        min_term_coverage=rule.min_term_coverage,
        knowledge=knowledge,
        answerable=len(yes),
        unanswerable=len(no),
        synthetic_recall=scored.recall,
        synthetic_false_abstain=scored.false_abstain_rate,
        median_cosine_answerable=round(statistics.median(s.cosine for s in yes), 4),
        median_cosine_unanswerable=round(statistics.median(s.cosine for s in no), 4),
        calibrated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        seed=seed,
    )


def near_misses(
    questions: Sequence[str], passages: Sequence[Passage], *, seed: int = 0
) -> list[str]:
    """Unanswerable questions close to the knowledge: each answerable question with its most
    distinctive word (the one fewest passages say) replaced by a word no passage says
    ("How many days of sabbatical leave ...?"). They look like the knowledge base's own
    questions, as real unanswerable questions do, but ask about something it does not cover."""
    from knowledge.synthetic_questions import UNANSWERABLE

    counts: dict[str, int] = {}
    for passage in passages:
        for term in terms(f"{passage.title} {passage.section} {passage.text}"):
            counts[term] = counts.get(term, 0) + 1
    pool = sorted(
        {
            word
            for _, words in UNANSWERABLE
            for word in words
            if word.isalpha() and not (terms(word) & counts.keys())
        }
    )
    if not pool:
        return []
    rng = random.Random(seed)
    made: list[str] = []
    for question in questions[::2]:
        words = [w for w in re.findall(r"[A-Za-z][\w'-]*", question) if terms(w) & counts.keys()]
        if not words:
            continue
        rarest = min(words, key=lambda w: min(counts[t] for t in terms(w) & counts.keys()))
        made.append(re.sub(rf"\b{re.escape(rarest)}\b", rng.choice(pool), question, count=1))
    return made


def save(calibration: Calibration, path: Path) -> None:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(calibration), indent=2), encoding="utf-8")
    os.replace(temporary, path)


def load(path: Path) -> Calibration | None:
    """The saved calibration, or None when there is none or it cannot be read."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Calibration(**raw)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as error:
        logger.warning("ignoring an unreadable abstention calibration: %s", type(error).__name__)
        return None


class CalibratedRule:
    """The rule an answering process uses: the knowledge base's own calibration while it matches
    the live knowledge, else the configured fallback. Re-reads the file when it changes, so a
    re-calibration reaches running processes without a restart."""

    def __init__(
        self,
        path: Path,
        fallback: AbstentionRule,
        fingerprint: Callable[[], str],
        *,
        recheck_s: float = RECHECK_S,
    ) -> None:
        self.path = path
        self.fallback = fallback
        self.fingerprint = fingerprint
        self.recheck_s = recheck_s
        self._seen: tuple[float, str] | None = None
        self._current: Calibration | None = None
        self._knowledge: tuple[float, str] | None = None
        self._lock = threading.Lock()

    def current(self) -> tuple[AbstentionRule, Calibration | None]:
        """The rule in force and the calibration it comes from (None: the fallback)."""
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            return self.fallback, None
        with self._lock:
            return self._current_for(mtime)

    def _current_for(self, mtime: float) -> tuple[AbstentionRule, Calibration | None]:
        now = time.monotonic()
        if self._knowledge is None or now - self._knowledge[0] > self.recheck_s:
            self._knowledge = (now, self.fingerprint())
        knowledge = self._knowledge[1]
        if self._seen != (mtime, knowledge):
            loaded = load(self.path)
            self._current = loaded if loaded and loaded.knowledge == knowledge else None
            self._seen = (mtime, knowledge)
        if self._current is None:
            return self.fallback, None
        return self._current.rule, self._current


# --- the knowledge base's side: its live documents and passages ---------------------------


def calibration_file(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def live_documents(db: Database) -> list[tuple[str, int]]:
    """(document id, live version) of every served document."""
    with db.session() as session:
        return [
            (doc.id, doc.live_version)
            for doc in registry.list_all(session)
            if doc.live_version is not None and doc.status in registry.SERVED_STATUSES
        ]


def knowledge_passages(retriever: Retriever, *, limit: int = 5000) -> list[Passage]:
    """The live passages everyone may see, in document order (at most `limit` chunks).

    The store protocol has no listing call: a vector search with any unit vector and no text
    returns every chunk, which the registry gate then reduces to live versions.
    """
    probe = [1.0] + [0.0] * (retriever.embedder.dimension - 1)
    hits = retriever.store.search(
        "", probe, k=limit, mode="vector", filters=SearchFilter(audiences=[EVERYONE])
    )
    served, _ = retriever.live_hits(hits)
    served.sort(key=lambda h: (h.chunk.document_id, h.chunk.chunk_index))
    return [
        Passage(
            text=h.chunk.text,
            title=h.chunk.title,
            section=h.chunk.section,
            source_uri=h.chunk.source_uri,
            document_id=h.chunk.document_id,
            version=h.chunk.version,
            chunk_index=h.chunk.chunk_index,
            score=0.0,
            bm25_score=None,
            vector_score=None,
            review_by=h.chunk.review_by,
            stale=False,
        )
        for h in served
    ]


def recalibrate(
    db: Database, retriever: Retriever, data_dir: Path, *, k: int, seed: int = 0
) -> Calibration | None:
    """Calibrate on the live knowledge and save it next to the data; None when it is too small
    to calibrate on (answers then use the configured thresholds)."""
    knowledge = knowledge_fingerprint(live_documents(db))
    passages = knowledge_passages(retriever)

    def retrieve(question: str) -> list[Passage]:
        return retriever.retrieve(question, k=k)

    calibration = calibrate_knowledge(passages, retrieve, knowledge=knowledge, seed=seed)
    path = calibration_file(data_dir)
    if calibration is None:
        path.unlink(missing_ok=True)
        return None
    save(calibration, path)
    logger.info("abstention re-calibrated for knowledge %s", knowledge)
    return calibration


def is_current(db: Database, data_dir: Path) -> bool:
    """Whether the saved calibration was computed on the knowledge that is live now."""
    saved = load(calibration_file(data_dir))
    return saved is not None and saved.knowledge == knowledge_fingerprint(live_documents(db))


def calibrated_rule(
    db: Database, data_dir: Path, fallback: AbstentionRule, *, enabled: bool = True
) -> CalibratedRule | None:
    """What an answer engine consults for its abstention rule (None: always `fallback`)."""
    if not enabled:
        return None
    return CalibratedRule(
        calibration_file(data_dir),
        fallback,
        lambda: knowledge_fingerprint(live_documents(db)),
    )
