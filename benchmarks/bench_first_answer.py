"""Time from `make run` (virtualenv built) to the first answer, on a fresh data dir.

Two measurements, each on its own fresh data folder:
- `make run`: the Makefile's `run-steps` (what `make run` runs once the virtualenv is built) on a
  pseudo-terminal, as a newcomer runs it; a question is typed at the first `? ` prompt, and the
  clock stops when its answer is printed (the next prompt). The console listens on a free port.
- steps: `make run`'s former steps as separate processes (`db upgrade`, `ingest` of the sample
  handbook, `models prepare`, then one `helpbot ask`), each timed.
`--tree DIR` runs another checkout of the code (say `git archive` of an older commit, with a
`.venv` link to this one) with the same interpreter: a baseline measured in the same run. The
machine's load average is reported, since a shared machine slows every step. Target: under 30 s.

    .venv/bin/python -m benchmarks.bench_first_answer [--out FILE] [--keep-models DIR]
        [--tree DIR] [--only make|steps]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO, emit

QUESTION = "How many weeks of parental leave do I get?"
TARGET_S = 30.0
PHASE_LIMIT_S = 600.0
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def _env(data_dir: Path, tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPBOT_")}
    env |= {"HELPBOT_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    if tree != REPO:
        env["PYTHONPATH"] = str(tree)  # its packages before this checkout's editable install
    return env


def _fresh(data_dir: Path, keep_models: Path | None) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    if keep_models is not None:  # a second run: the converted model is already there
        (data_dir / "models").mkdir(parents=True, exist_ok=True)
        (data_dir / "models" / keep_models.name).symlink_to(keep_models.resolve())


def _children_cpu_s() -> float:
    """CPU seconds (user + system) of the finished child processes: less load-bound than wall."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _step(name: str, args: list[str], env: dict[str, str], tree: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "helpbot", *args],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{name} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, done.stdout


def measure_steps(data_dir: Path, keep_models: Path | None, tree: Path) -> dict[str, object]:
    """The former `make run`: one process per step, then `helpbot ask`."""
    _fresh(data_dir, keep_models)
    env = _env(data_dir, tree)
    steps: dict[str, float] = {}
    cpu_before = _children_cpu_s()
    steps["db upgrade"], _ = _step("db upgrade", ["db", "upgrade"], env, tree)
    steps["ingest sample"], _ = _step("ingest", ["ingest", "knowledge/sample/handbook"], env, tree)
    _, listing = _step("docs list", ["docs", "list", "--json"], env, tree)  # not timed
    documents = json.loads(listing)
    steps["models prepare"], _ = _step("models prepare", ["models", "prepare"], env, tree)
    steps["first ask"], answer = _step("ask", ["ask", QUESTION], env, tree)
    return {
        "steps_s": {k: round(v, 2) for k, v in steps.items()},
        "total_s": round(sum(steps.values()), 2),
        "cpu_s_incl_docs_list": round(_children_cpu_s() - cpu_before, 2),
        "documents": len(documents),
        "chunks": sum(d["chunks"] or 0 for d in documents),
        "answer_head": answer.strip().splitlines()[0][:160] if answer.strip() else "",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Terminal:
    """A process on a pseudo-terminal, read until a pattern shows up in its (plain) output."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self._master, slave = os.openpty()
        self.process = subprocess.Popen(
            argv, env=env, cwd=cwd, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
        )
        os.close(slave)
        self.text = ""

    def wait_for(self, pattern: re.Pattern[str], start: int = 0) -> bool:
        deadline = time.monotonic() + PHASE_LIMIT_S
        while not pattern.search(self.text, start):
            if time.monotonic() > deadline or self.process.poll() is not None:
                return bool(pattern.search(self.text, start))
            ready, _, _ = select.select([self._master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self._master, 65536).decode("utf-8", "replace")
                except OSError:
                    continue
                self.text += _ANSI.sub("", chunk).replace("\r", "")
        return True

    def type(self, line: str) -> int:
        position = len(self.text)
        os.write(self._master, (line + "\n").encode())
        return position

    def close(self) -> None:
        if self.process.poll() is None:
            self.type("quit")
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(30)
        os.close(self._master)


_PROMPT = re.compile(r"Ask a question[^\n]*\n\? $", re.S)
_NEXT_PROMPT = re.compile(r"\n\? $")


def measure_make_run(data_dir: Path, keep_models: Path | None, tree: Path) -> dict[str, object]:
    """`make run-steps` on a terminal: seconds to the prompt and to the first answer."""
    _fresh(data_dir, keep_models)
    env = _env(data_dir, tree) | {
        "HELPBOT_ADMIN_PORT": str(_free_port()),
        "TERM": "xterm",
        "COLUMNS": "160",
    }
    cpu_before = _children_cpu_s()
    started = time.perf_counter()
    terminal = _Terminal(["make", "--no-print-directory", "run-steps"], env, tree)
    try:
        if not terminal.wait_for(_PROMPT):
            raise SystemExit(f"no prompt from make run-steps:\n{terminal.text[-3000:]}")
        prompt_s = time.perf_counter() - started
        asked = terminal.type(QUESTION)
        if not terminal.wait_for(_NEXT_PROMPT, asked + len(QUESTION) + 1):
            raise SystemExit(f"no answer from make run-steps:\n{terminal.text[-3000:]}")
        answer_s = time.perf_counter() - started
        answer = terminal.text[asked:].splitlines()
    finally:
        terminal.close()
    return {
        "prompt_s": round(prompt_s, 2),
        "first_answer_s": round(answer_s, 2),
        "cpu_s_incl_quit": round(_children_cpu_s() - cpu_before, 2),
        "answer_head": next((line[:160] for line in answer[1:] if line.strip()), ""),
        "opening_block": [line for line in terminal.text.splitlines() if ":  " in line][-5:],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="Also write the JSON result here.")
    parser.add_argument(
        "--keep-models", type=Path, help="An already converted model folder to reuse."
    )
    parser.add_argument("--tree", type=Path, default=REPO, help="The checkout to run.")
    parser.add_argument("--only", choices=("make", "steps"), help="Run one measurement.")
    options = parser.parse_args()
    result: dict[str, object] = {
        "benchmark": "first_answer",
        "tree": str(options.tree.resolve()),
        "target_s": TARGET_S,
        "warm_model": options.keep_models is not None,
        "cpus": os.cpu_count(),
        "loadavg_1_5_15_before": [round(x, 2) for x in os.getloadavg()],
    }
    tree = options.tree.resolve()
    with tempfile.TemporaryDirectory(prefix="helpbot-first-") as folder:
        if options.only != "steps":
            result["make_run"] = measure_make_run(Path(folder) / "make", options.keep_models, tree)
        if options.only != "make":
            result["steps"] = measure_steps(Path(folder) / "steps", options.keep_models, tree)
    result["loadavg_1_5_15_after"] = [round(x, 2) for x in os.getloadavg()]
    emit(result, options.out)


if __name__ == "__main__":
    main()
