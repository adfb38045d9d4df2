"""Slack bot under a burst: acknowledgement latency, throughput, and exactly-once answers.

A burst of distinct questions from many users is posted, signed, to the bot's real HTTP
endpoint (uvicorn + Bolt) while a local fake of Slack's Web API records every call. Some
deliveries are repeated with X-Slack-Retry-Num, as Slack does when an ack is slow. Reported:
ack latency p50/p99 (Slack's limit is 3 s), events acknowledged per second, answer latency,
and whether every question got exactly one reply holding its answer.

    .venv/bin/python -m benchmarks.bench_slack                       # stub answer service
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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.app import build_runtime  # noqa: E402
from bot.deps import Deps  # noqa: E402
from bot.http_server import BackgroundServer  # noqa: E402
from knowledge.answering.models import Answer, AnswerService, Asker, Citation, OnToken, Turn  # noqa: E402
from knowledge.db.engine import Database  # noqa: E402
from tests.bot import slack_payloads as payloads  # noqa: E402
from tests.bot.conftest import make_config  # noqa: E402
from tests.bot.fake_slack_api import FakeSlackApi  # noqa: E402

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


class StubAnswers:
    """A fast AnswerService: a fixed cited answer after an optional delay."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
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
        if self.delay_s:
            time.sleep(self.delay_s)
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
            text="You get **25 days** of annual leave [1].",
            citations=(citation,),
            confidence=0.9,
            abstained=False,
            model_version="stub",
            standalone_question=question,
            timings={"total": self.delay_s},
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


@dataclass
class Sent:
    ts: str
    channel: str
    status: int
    ack_s: float
    sent_at: float


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


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


def check_answers(slack: FakeSlackApi, sent: list[Sent], answer_marker: str) -> dict[str, Any]:
    """Every question: exactly one bot message in its thread, whose final content answers."""
    questions = {(s.channel, s.ts) for s in sent}
    posts: dict[tuple[str, str], list[Any]] = {}
    for call in slack.calls_to("chat.postMessage"):
        key = (call.args.get("channel"), call.args.get("thread_ts"))
        posts.setdefault(key, []).append(call)  # type: ignore[arg-type]
    finals: dict[str, Any] = {}
    for call in slack.calls_to("chat.update"):
        finals[call.args["ts"]] = call
    counts = {key: len(posts.get(key, [])) for key in questions}
    answered, errors = 0, 0
    for key in questions:
        if counts[key] != 1:
            continue
        post = posts[key][0]
        final = finals.get(post.response.get("ts"), post)
        text = str(final.args.get("text", ""))
        answered += answer_marker in text or "Sources" in json.dumps(final.args.get("blocks"))
        errors += text.startswith(":warning:")
    return {
        "questions": len(questions),
        "with_exactly_one_reply": sum(c == 1 for c in counts.values()),
        "with_two_or_more_replies": sum(c > 1 for c in counts.values()),
        "without_reply": sum(c == 0 for c in counts.values()),
        "replies_holding_an_answer": answered,
        "error_replies": errors,
    }


def answer_latencies(slack: FakeSlackApi, sent: list[Sent]) -> list[float]:
    """Seconds from first sending a question to its reply's last update (one monotonic clock)."""
    reply_ts = {
        (c.args.get("channel"), c.args.get("thread_ts")): c.response.get("ts")
        for c in slack.calls_to("chat.postMessage")
    }
    last_update = {c.args["ts"]: c.at for c in slack.calls_to("chat.update")}
    first_sent: dict[tuple[str, str], float] = {}
    for s in sent:
        first_sent[(s.channel, s.ts)] = min(s.sent_at, first_sent.get((s.channel, s.ts), s.sent_at))
    return [
        last_update[reply_ts[key]] - sent_at
        for key, sent_at in first_sent.items()
        if reply_ts.get(key) in last_update
    ]


def run(args: argparse.Namespace) -> dict[str, Any]:
    logging.basicConfig(level=logging.WARNING)
    work = Path(tempfile.mkdtemp(prefix="bench-slack-"))
    info: dict[str, Any] = {}
    if args.real_model:
        data_dir = Path(args.data_dir) if args.data_dir else work / "data"
        inner, db, info = real_service(data_dir)
        workers = args.answer_workers or (1 if info["generator"] == "local" else 4)
        answers: Any = CountingService(inner)
        marker = ""
    else:
        db = Database(f"sqlite:///{work / 'helpbot.db'}")
        db.upgrade()
        answers = StubAnswers(args.stub_delay_ms / 1000)
        workers = args.answer_workers or 4
        marker = "25 days"
    slack = FakeSlackApi().start()
    config = replace(
        make_config(slack),
        rate_limit_per_minute=max(10, args.questions),
        answer_workers=workers,
        answer_timeout_s=3600.0,
        instance_id="bench",
    )
    runtime = build_runtime(Deps(config=config, db=db, answers=answers))
    server = BackgroundServer(runtime.app).start()
    try:
        channels = [f"C{n:04d}" for n in range(10)]
        events = [
            payloads.event_body(
                payloads.mention(
                    f"U{n % args.users:04d}",
                    channels[n % len(channels)],
                    f"{TOPICS[n % len(TOPICS)]} (question {n})",
                )
            )
            for n in range(args.questions)
        ]
        retries = set(
            random.Random(3).sample(range(len(events)), int(len(events) * args.redeliver))
        )
        sent, origin, wall = deliver(server.url, events, retries, args.concurrency, args.processes)
        drained = runtime.drain(args.timeout)
        total = time.perf_counter() - origin
        acks = [s.ack_s * 1000 for s in sent]
        latencies = answer_latencies(slack, sent)
        exactly_once = check_answers(slack, sent, marker)
        return {
            "mode": "real-model" if args.real_model else "stub",
            "questions": args.questions,
            "users": args.users,
            "redeliveries": len(retries),
            "concurrency": args.concurrency,
            "sender_processes": args.processes,
            "answer_workers": workers,
            "cpus": os.cpu_count(),
            "http_statuses": sorted({s.status for s in sent}),
            "ack_ms": {
                "p50": round(statistics.median(acks), 2),
                "p99": round(percentile(acks, 99), 2),
                "max": round(max(acks), 2),
                "slack_limit": 3000,
            },
            "events_acked_per_s": round(len(sent) / wall, 1),
            "burst_s": round(wall, 3),
            "all_answered_s": round(total, 2) if drained else None,
            "answers_per_s": round(args.questions / total, 2) if drained else None,
            "answer_latency_s": {
                "p50": round(statistics.median(latencies), 3) if latencies else None,
                "p99": round(percentile(latencies, 99), 3) if latencies else None,
            },
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
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--users", type=int, default=50)
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
    result = run(args)
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
