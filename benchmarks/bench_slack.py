"""Slack bot under a burst: acknowledgement latency, what the asker sees when, Web API calls
per answer, and exactly-once answers.

A burst of distinct questions from many users is posted, signed, to the bot's real HTTP
endpoint (uvicorn + Bolt) while the strict fake of Slack's Web API records every call. Some
deliveries are repeated with X-Slack-Retry-Num, as Slack does when an ack is slow. The stub
model writes its answer at a fixed token rate. Reported per variant (all in one run, the
chat.update baseline included): ack p50/p99 (Slack's limit is 3 s), first visible step and
first answer text p50/p95, Web API calls per answer, and whether every question got exactly
one reply holding its answer. Variants: native streaming from a trusted model (its text
streams), native streaming from an unevaluated model (steps only, the checked answer at the
stop), and the chat.update fallback.

    .venv/bin/python -m benchmarks.bench_slack                       # the three variants
    .venv/bin/python -m benchmarks.bench_slack --variants stream-trusted --questions 200
    .venv/bin/python -m benchmarks.bench_slack --real-model --questions 20 --users 10

With --real-model the default engine (Settings: the shipped SmolLM2 on CPU unless configured)
answers from the sample handbook, ingested into --data-dir; this shows queueing: acks stay
fast while answers wait for the model.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.common import percentile

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.slack_replies import (  # noqa: E402
    Sent,
    calls_per_answer,
    check_answers,
    visibility,
)
from bot.app import build_runtime  # noqa: E402
from bot.deps import Deps, answer_workers  # noqa: E402
from bot.http_server import BackgroundServer  # noqa: E402
from knowledge.answering.answer_types import Answer, AnswerService, Asker, Citation, OnToken, Turn  # noqa: E402
from knowledge.db.connection import Database  # noqa: E402
from tests.bot import slack_payloads as payloads  # noqa: E402
from tests.bot.conftest import make_config  # noqa: E402
from tests.bot.fake_slack_api import FakeSlackApi  # noqa: E402

VARIANTS = {
    "stream-trusted": (True, 0.99),
    "stream-unevaluated": (True, None),
    "update-trusted": (False, 0.99),
}
"""name -> (native streaming, the model's grounding-pass rate)."""
ANSWER_TEXT = (
    "You get **25 days** of paid annual leave per year [1]. Part-time colleagues get the "
    "same share of their working days, and up to five unused days carry over to the next "
    "year when your manager agrees before the end of December."
)

TOPICS = [
    "How many days of annual leave do I get per year?",
    "Can I carry unused leave over to next year?",
    "How do I submit an expense claim?",
    "What is the deadline for expense claims?",
    "How many days can I work remotely each week?",
    "How much parental leave do I get?",
    "What should I do when I am sick?",
    "Which public holidays do we have?",
    "How do I report a security incident?",
    "What is the learning and development budget?",
]


def burst_events(questions: int, users: int, channels: list[str]) -> list[dict[str, Any]]:
    """Signed-event bodies of a burst: distinct mentions from `users` people across `channels`."""
    return [
        payloads.event_body(
            payloads.mention(
                f"U{n % users:04d}",
                channels[n % len(channels)],
                f"{TOPICS[n % len(TOPICS)]} (question {n})",
            )
        )
        for n in range(questions)
    ]


class StubAnswers:
    """A fake model: writes a fixed cited answer at a fixed token rate (after an optional
    delay), through on_token as the engine does."""

    def __init__(self, delay_s: float, tokens: int = 0, token_rate: float = 40.0) -> None:
        self.delay_s = delay_s
        self.tokens = tokens
        self.token_rate = token_rate
        self.calls = 0
        self._lock = threading.Lock()

    def text(self) -> str:
        count = max(self.tokens, 8)
        vocabulary = ANSWER_TEXT.split(" ")
        words = [vocabulary[n % len(vocabulary)] for n in range(count)]
        return " ".join(words)

    def answer(
        self,
        question: str,
        asker: Asker,
        history: tuple[Turn, ...] = (),
        *,
        on_token: OnToken | None = None,
    ) -> Answer:
        with self._lock:
            self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        text = self.text()
        started = time.perf_counter()
        if self.tokens and on_token is not None:
            for n, word in enumerate(text.split(" ")):
                wait = started + n / self.token_rate - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                on_token(word if n == 0 else " " + word)
        citation = Citation(
            number=1,
            source="annual-leave.md",
            title="Annual leave",
            section="Entitlement",
            source_uri="https://intranet.example.com/annual-leave",
            document_id="annual-leave",
            version=1,
            review_by=None,
            stale=False,
            quote="25 days",
        )
        return Answer(
            text=text,
            citations=(citation,),
            confidence=0.9,
            abstained=False,
            model_version="stub",
            standalone_question=question,
            timings={"total": self.delay_s + time.perf_counter() - started},
        )


class CountingService:
    """Wraps a real AnswerService to count calls."""

    def __init__(self, inner: AnswerService) -> None:
        self.inner = inner
        self.calls = 0
        self._lock = threading.Lock()

    def answer(
        self,
        question: str,
        asker: Asker,
        history: tuple[Turn, ...] = (),
        *,
        on_token: OnToken | None = None,
    ) -> Answer:
        with self._lock:
            self.calls += 1
        return self.inner.answer(question, asker, history, on_token=on_token)


def real_service(data_dir: Path) -> tuple[AnswerService, Database, dict[str, Any]]:
    from knowledge.answering import build_answer_service
    from knowledge.ingest import SourceFile, walk
    from knowledge.services import Services
    from knowledge.settings import Settings

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings(data_dir=data_dir)
    services = Services.from_settings(settings)
    started = time.perf_counter()
    files = list(walk([REPO / "knowledge" / "sample" / "handbook"]))
    list(services.ingestor().ingest(SourceFile.from_path(f) for f in files))
    ingest_s = time.perf_counter() - started
    service = build_answer_service(services)
    started = time.perf_counter()
    warm = service.answer("How many days of annual leave do I get?", Asker("warm-up"))
    info = {
        "generator": settings.generator,
        "model_version": warm.model_version,
        "ingest_s": round(ingest_s, 1),
        "warm_up_answer_s": round(time.perf_counter() - started, 2),
    }
    return service, services.db, info


def _send_share(
    url: str, jobs: list[tuple[dict[str, Any], int | None]], threads: int, barrier: Any
) -> list[Sent]:
    """One sender process: `threads` keep-alive connections posting its share of the burst."""
    local = threading.local()
    ready = threading.Barrier(threads)

    def sender() -> payloads.SlackSender:
        if not hasattr(local, "sender"):
            local.sender = payloads.SlackSender(url)
        return local.sender

    def post(job: tuple[dict[str, Any], int | None]) -> Sent:
        body, retry = job
        sent_at = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes on Linux
        delivery = sender().event(body, retry_num=retry)
        event = body["event"]
        return Sent(event["ts"], event["channel"], delivery.status, delivery.seconds, sent_at)

    health = url.replace("/slack/events", "/healthz")
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda _: (sender().client.get(health), ready.wait()), range(threads)))
        barrier.wait()  # every process is connected: the burst starts together
        return list(pool.map(post, jobs))


def deliver(
    url: str, events: list[dict[str, Any]], retries: set[int], concurrency: int, processes: int
) -> tuple[list[Sent], float, float]:
    """Post every event (and the chosen redeliveries) from separate sender processes, so the
    load generator does not share the bot's interpreter; returns the acks, start and duration."""
    jobs = [(body, None) for body in events] + [(events[i], 1) for i in sorted(retries)]
    random.Random(7).shuffle(jobs)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(processes + 1)
        with context.Pool(processes) as pool:
            pending = [
                pool.apply_async(
                    _send_share,
                    (url, jobs[n::processes], max(1, concurrency // processes), barrier),
                )
                for n in range(processes)
            ]
            barrier.wait()
            started = time.perf_counter()
            results = [sent for share in pending for sent in share.get()]
            wall = time.perf_counter() - started
    return results, started, wall


def run(args: argparse.Namespace, variant: str) -> dict[str, Any]:
    """One burst against a fresh bot, database and fake Slack."""
    streaming, rate = VARIANTS[variant]
    work = Path(tempfile.mkdtemp(prefix="bench-slack-"))
    info: dict[str, Any] = {}
    if args.real_model:
        data_dir = Path(args.data_dir) if args.data_dir else work / "data"
        inner, db, info = real_service(data_dir)
        workers = answer_workers(args.answer_workers or 0, info["generator"])
        answers: Any = CountingService(inner)
        marker = ""
    else:
        db = Database(f"sqlite:///{work / 'helpbot.db'}")
        db.upgrade()
        answers = StubAnswers(args.stub_delay_ms / 1000, args.tokens, args.token_rate)
        workers = args.answer_workers or 4
        marker = "25 days"
    slack = FakeSlackApi().start()
    channels = [f"C{n:04d}" for n in range(10)]
    for channel in channels:
        slack.add_channel(channel)
    config = replace(
        make_config(slack),
        rate_limit_per_minute=max(10, args.questions),
        answer_workers=workers,
        answer_timeout_s=3600.0,
        instance_id="bench",
        streaming=streaming,
        stream_interval_s=args.stream_interval,
    )
    deps = Deps(config=config, db=db, answers=answers, grounding_pass_rate=lambda: rate)
    runtime = build_runtime(deps)
    server = BackgroundServer(runtime.app).start()
    try:
        events = burst_events(args.questions, args.users, channels)
        retries = set(
            random.Random(3).sample(range(len(events)), int(len(events) * args.redeliver))
        )
        sent, origin, wall = deliver(server.url, events, retries, args.concurrency, args.processes)
        drained = runtime.drain(args.timeout)
        total = time.perf_counter() - origin
        acks = [s.ack_s * 1000 for s in sent]
        exactly_once = check_answers(slack, sent, marker)
        return {
            "variant": variant,
            "mode": "real-model" if args.real_model else "stub",
            "streaming": streaming,
            "grounding_pass_rate": rate,
            "questions": args.questions,
            "redeliveries": len(retries),
            "answer_workers": workers,
            "http_statuses": sorted({s.status for s in sent}),
            "ack_ms": {
                "p50": round(statistics.median(acks), 2),
                "p99": round(percentile(acks, 0.99), 2),
                "max": round(max(acks), 2),
                "slack_limit": 3000,
            },
            "events_acked_per_s": round(len(sent) / wall, 1),
            "all_answered_s": round(total, 2) if drained else None,
            **visibility(slack, sent, marker),
            "web_api_calls_per_answer": calls_per_answer(slack, args.questions),
            "answer_service_calls": answers.calls,
            "exactly_once": exactly_once,
            "ok": bool(
                drained
                and answers.calls == args.questions
                and exactly_once["with_exactly_one_reply"] == args.questions
                and exactly_once["replies_holding_an_answer"] == args.questions
            ),
            **({"engine": info} if info else {}),
        }
    finally:
        server.stop()
        runtime.close()
        slack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=sorted(VARIANTS),
        default=list(VARIANTS),
        help="what to run, one fresh bot each (default: all three, in one run)",
    )
    parser.add_argument("--tokens", type=int, default=40, help="tokens per stub answer")
    parser.add_argument("--token-rate", type=float, default=40.0, help="stub tokens per second")
    parser.add_argument(
        "--stream-interval",
        type=float,
        default=0.5,
        help="seconds between two text updates (BotConfig.stream_interval_s)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=50, help="simultaneous HTTP deliveries (Slack's side)"
    )
    parser.add_argument(
        "--processes", type=int, default=2, help="sender processes the deliveries are spread over"
    )
    parser.add_argument(
        "--redeliver",
        type=float,
        default=0.25,
        help="fraction of events delivered a second time as Slack retries",
    )
    parser.add_argument(
        "--answer-workers",
        type=int,
        default=None,
        help="answers generated at once (default: as the bot would; 1 for a local model, else 4)",
    )
    parser.add_argument(
        "--stub-delay-ms",
        type=float,
        default=0.0,
        help="time the stub answer service takes per question",
    )
    parser.add_argument(
        "--real-model",
        action="store_true",
        help="answer with the default engine over the sample handbook",
    )
    parser.add_argument("--data-dir", help="--real-model: reuse this data dir (models, index)")
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds to wait for every answer"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    results = [run(args, variant) for variant in args.variants]
    print(json.dumps({"cpus": os.cpu_count(), "runs": results}, indent=2))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
