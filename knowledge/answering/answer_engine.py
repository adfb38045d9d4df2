"""The answer engine: rewrite -> retrieve -> prompt -> generate -> ground -> cite, or abstain.

`AnswerEngine.answer` never raises for a bad question or a failing model; only
StoreUnavailableError (the knowledge base cannot be reached) propagates to the caller.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from knowledge.answering import abstention, grounding
from knowledge.answering.answer_types import Answer, Asker, OnToken, Turn
from knowledge.answering.calibration import CalibratedRule
from knowledge.answering.citations import (
    attribute,
    citation,
    closest,
    passage_support,
    resolve_citations,
    stale_notes,
    trim_answer,
)
from knowledge.answering.claims import unsupported_claims
from knowledge.answering.context import compress, gather
from knowledge.answering.extractive import asks_for_quantity, extractive_answer
from knowledge.answering.prompts import build_messages, leaks_prompt
from knowledge.answering.question import plain_question
from knowledge.answering.rewrite import rewrite_rules, rewrite_with_model
from knowledge.generation.base import Generation, GenerationError, Generator
from knowledge.retrieval import Passage
from knowledge.settings import setting_default

logger = logging.getLogger(__name__)

EXTRACTIVE = "extractive"
EMPTY_QUESTION_TEXT = (
    'Ask me anything about our policies, for example: "How many days of annual leave do I '
    'get?" or "What is the deadline for expense claims?"'
)


class PassageSource(Protocol):
    """What the engine needs from retrieval (knowledge.retrieval.Retriever implements it)."""

    def retrieve(
        self, question: str, *, audiences: Sequence[str] = ..., k: int | None = None
    ) -> list[Passage]: ...


@dataclass(frozen=True)
class EngineOptions:
    """The engine's knobs, as plain values (entry points fill them from Settings)."""

    abstain_below: float = abstention.DEFAULT_ABSTAIN_BELOW
    """Abstain when the best passage's cosine similarity is below this."""
    term_check_below: float = abstention.DEFAULT_TERM_CHECK_BELOW
    """Below this cosine (and above abstain_below), also check the question's terms."""
    min_term_coverage: float = abstention.DEFAULT_MIN_TERM_COVERAGE
    """...and abstain when the passages mention less than this share of them."""
    help_contact: str = setting_default("help_contact")
    search_k: int = setting_default("search_k")
    context_chars: int = setting_default("context_chars")
    """The answerer's context: the question-relevant sentences of the search_k passages (each
    under its heading, knowledge.answering.context), at most this many characters; the
    prompt and the extractive quotes read exactly it. 0: whole passages, prompt_passages of
    them in the prompt and extract_passages quoted from."""
    prompt_passages: int = 3
    """How many of the best passages go into the model's prompt. Few: on a CPU the prompt's
    length dominates the time to first token (about 1,000 tokens take seconds to read)."""
    extract_passages: int = 6
    """How many of the best passages the extractive answer may quote from."""
    max_new_tokens: int = setting_default("max_new_tokens")
    model_may_abstain: bool = setting_default("model_may_abstain")
    """Whether the model's refusal abstains; otherwise the extractive answer replaces it."""
    max_question_chars: int = 1000
    """Longer questions are cut to this for retrieval and the prompt (with a note)."""
    max_answer_words: int = 90
    """A generated answer is cut at the sentence ending before this many words."""
    rewrite: Literal["rules", "model"] = "rules"


@dataclass
class _Draft:
    """An answer in the making: text with [n] markers and what produced it."""

    text: str
    model_version: str
    numbers: tuple[int, ...] = ()
    grounding_failed: bool = False


class AnswerEngine:
    """Implements AnswerService over a retriever and an optional generator (None: extractive).

    With `on_token`, the model's text streams as it is generated; when the grounding check then
    rejects it, the returned Answer carries the extractive text instead: callers show the
    final Answer.text, not the streamed pieces.
    """

    def __init__(
        self,
        retriever: PassageSource,
        generator: Generator | None,
        options: EngineOptions | None = None,
        *,
        calibration: CalibratedRule | None = None,
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self.options = options or EngineOptions()
        self.calibration = calibration
        """The knowledge base's own abstention rule, when it has one (else the options')."""

    @property
    def model_version(self) -> str:
        return self.generator.model_version if self.generator is not None else EXTRACTIVE

    def answer(
        self,
        question: str,
        asker: Asker,
        history: tuple[Turn, ...] = (),
        *,
        on_token: OnToken | None = None,
    ) -> Answer:
        started = time.perf_counter()
        timings: dict[str, float] = {}
        notes: list[str] = []
        question = plain_question(question)
        if not question:
            return self._abstain(EMPTY_QUESTION_TEXT, [], 0.0, question, timings, started, notes)
        limit = self.options.max_question_chars
        if len(question) > limit:
            question = question[:limit]
            notes.append(
                f"Your question was very long; I only read its first {limit:,} characters."
            )

        mark = time.perf_counter()
        standalone = self._standalone(question, history)
        timings["rewrite"] = time.perf_counter() - mark

        mark = time.perf_counter()
        passages = gather(
            self.retriever, standalone, audiences=asker.audiences, k=self.options.search_k
        )
        timings["retrieve"] = time.perf_counter() - mark
        confidence = abstention.confidence(passages)
        if abstention.should_abstain(standalone, passages, self.abstention_rule()):
            text = abstention.abstention_text(self.options.help_contact)
            return self._abstain(text, passages, confidence, standalone, timings, started, notes)

        mark = time.perf_counter()
        shown = self.context(standalone, passages)
        timings["context"] = time.perf_counter() - mark
        draft = self._draft(started, standalone, shown, timings, notes, on_token)
        if draft is None:
            text = abstention.abstention_text(self.options.help_contact)
            return self._abstain(text, passages, confidence, standalone, timings, started, notes)
        cited = tuple(shown[n - 1] for n in draft.numbers)
        text = draft.text + stale_notes(cited)
        timings["total"] = time.perf_counter() - started
        return Answer(
            text=text,
            citations=tuple(citation(n, shown[n - 1]) for n in draft.numbers),
            confidence=confidence,
            abstained=False,
            model_version=draft.model_version,
            timings=_rounded(timings),
            passages=tuple(passages),
            context=tuple(shown),
            standalone_question=standalone,
            grounding_failed=draft.grounding_failed,
            note=" ".join(notes) or None,
        )

    def abstention_rule(self) -> abstention.AbstentionRule:
        """The self-calibrated rule while it matches the live knowledge, else the options'."""
        fixed = abstention.AbstentionRule(
            self.options.abstain_below,
            self.options.term_check_below,
            self.options.min_term_coverage,
        )
        if self.calibration is None:
            return fixed
        return self.calibration.current()[0]

    def context(
        self, question: str, passages: Sequence[Passage], *, budget: int | None = None
    ) -> list[Passage]:
        """What the answerer reads for `question` from the retrieved `passages`: their relevant
        sentences within `budget` characters (default: the options'), or whole passages when
        the options turn compression off."""
        if self.options.context_chars <= 0:
            return list(
                passages[: max(self.options.prompt_passages, self.options.extract_passages)]
            )
        return compress(question, passages, budget=budget or self.options.context_chars)

    def gather(
        self, question: str, asker: Asker, history: tuple[Turn, ...] = ()
    ) -> tuple[str, list[Passage]]:
        """The standalone question and its retrieved passages, as `answer` finds them."""
        plain = plain_question(question)[: self.options.max_question_chars]
        standalone = self._standalone(plain, history)
        found = gather(
            self.retriever, standalone, audiences=asker.audiences, k=self.options.search_k
        )
        return standalone, found

    # --- stages -----------------------------------------------------------------------

    def _standalone(self, question: str, history: tuple[Turn, ...]) -> str:
        if not history:
            return question
        if self.options.rewrite == "model" and self.generator is not None:
            return rewrite_with_model(question, history, self.generator)
        return rewrite_rules(question, history)

    def _draft(
        self,
        started: float,
        question: str,
        shown: list[Passage],
        timings: dict[str, float],
        notes: list[str],
        on_token: OnToken | None,
    ) -> _Draft | None:
        """The generated answer when it is grounded, else the extractive one; None: abstain."""
        mark = time.perf_counter()
        compressed = self.options.context_chars > 0
        quotable = shown if compressed else shown[: self.options.extract_passages]
        if self.generator is None:
            draft = _extractive(question, quotable, on_token)
            timings["generate"] = time.perf_counter() - mark
            return draft
        prompted = shown if compressed else shown[: self.options.prompt_passages]
        try:
            generation = self.generator.generate(
                build_messages(question, prompted),
                max_new_tokens=self.options.max_new_tokens,
                on_token=on_token,
            )
        except GenerationError as error:
            logger.warning("generation failed, answering extractively: %s", type(error).__name__)
            notes.append(
                "The language model is unavailable right now, so I quoted the most relevant "
                "policy passages instead."
            )
            return _extractive(question, quotable, on_token)
        finally:
            timings["generate"] = time.perf_counter() - mark
        # Time to first token as the asker feels it: from the question, not from generate().
        timings["first_token"] = mark - started + generation.first_token_s
        mark = time.perf_counter()
        try:
            return self._checked(question, prompted, quotable, generation)
        finally:
            timings["ground"] = time.perf_counter() - mark

    def _checked(
        self,
        question: str,
        prompted: list[Passage],
        quotable: list[Passage],
        generation: Generation,
    ) -> _Draft | None:
        """The generated answer if it passes the grounding check, else the extractive one.

        Every fact must be in a passage the answer cites, and every negation, yes/no or
        existence claim must be said, with the same polarity, by one of its sentences. An
        uncited answer's facts are cited for it only when each sentence's facts restate the one
        passage row the question is about (`attribute`): a number that some passage has in
        another row (the wrong row) is not grounded. An answer stating no fact must not leave
        out the figure of the passage sentence that best answers the question.
        """
        text = trim_answer(generation.text, self.options.max_answer_words)
        declined = abstention.model_declined(text)
        if declined and self.options.model_may_abstain:
            return None
        text, numbers = resolve_citations(text, len(prompted))
        if not numbers:
            text, numbers = attribute(text, question, prompted) or (text, ())
        cited = [prompted[n - 1] for n in numbers]
        result = grounding.check_grounding(text, [passage_support(p) for p in cited] + [question])
        if not numbers and not result.facts:
            # No facts to check and no citation: cite the passage it draws its words from.
            numbers = closest(text, prompted)
        problem = None
        if declined:
            problem = "the model declined a question the retrieval rule judged answerable"
        elif not text.strip():
            problem = "empty answer"
        elif leaks_prompt(text):
            problem = "prompt echoed"
        elif result.facts and not numbers:
            problem = "facts without citations"
        elif not result.facts and asks_for_quantity(question):
            problem = "no amount, date or duration for a question asking one"
        elif not result.facts and _best_row_states_a_figure(question, prompted):
            problem = "no amount, date or duration where the best passage row states one"
        elif not result.ok:
            problem = f"{len(result.unsupported)} unsupported facts"
        elif unsupported_claims(text, [passage_support(p) for p in (cited or prompted)]):
            problem = "a negation, yes/no or existence claim no passage states"
        elif not numbers:
            problem = "no overlap with any passage"
        if problem is not None:
            # The event is recorded on the Answer (grounding_failed) and counted in the logs;
            # the answer's own text stays out of the logs.
            logger.info("grounding check failed (%s); answering extractively", problem)
            draft = _extractive(question, quotable, None)
            if draft is None:
                return None
            draft.grounding_failed = True
            return draft
        return _Draft(text=text, model_version=generation.model_version, numbers=numbers)

    def _abstain(
        self,
        text: str,
        passages: Sequence[Passage],
        confidence: float,
        standalone: str,
        timings: dict[str, float],
        started: float,
        notes: list[str],
    ) -> Answer:
        timings["total"] = time.perf_counter() - started
        return Answer(
            text=text,
            citations=(),
            confidence=confidence,
            abstained=True,
            model_version=self.model_version,
            timings=_rounded(timings),
            passages=tuple(passages),
            standalone_question=standalone,
            note=" ".join(notes) or None,
        )


# --- helpers ---------------------------------------------------------------------------


def _extractive(question: str, shown: list[Passage], on_token: OnToken | None) -> _Draft | None:
    quoted = extractive_answer(question, shown)
    if quoted is None:
        return None
    if on_token is not None:
        on_token(quoted.text)
    return _Draft(text=quoted.text, model_version=EXTRACTIVE, numbers=quoted.numbers)


def _best_row_states_a_figure(question: str, prompted: list[Passage]) -> bool:
    """Whether the passage sentence that best answers the question states a figure the question
    does not: an answer without it leaves out what the policy says ("You can accept a gift
    without declaring it" where the row says up to EUR 75)."""
    best = extractive_answer(question, prompted, max_sentences=1)
    return best is not None and not grounding.check_grounding(best.text, [question]).ok


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {stage: round(seconds, 4) for stage, seconds in timings.items()}
