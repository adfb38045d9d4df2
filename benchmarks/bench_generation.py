"""Speed of local generation: model load, time to first token, total time and tokens/s.

Measures the shipped SmolLM2-135M-Instruct (first conversion from GGUF, then a load of the
cached folder) and a tiny random model of the same architecture as a baseline, on short
RAG-style prompts (a system message with three ~80-word passages and a question).

    .venv/bin/python -m benchmarks.bench_generation                # CPU, N=10
    .venv/bin/python -m benchmarks.bench_generation --device cuda --n 20

`--prompts FILE` replaces the built-in prompts with real ones (one JSON list of
{"role", "content"} messages per line, as benchmarks/device_bundle.py writes them).
`--random-weights` builds the shipped model's architecture from its config in `--models-dir`
with random weights instead of loading it: for machines the 93 MB model cannot reach (the GPU
machine). Speed depends on the architecture and the token counts, not the weights; random
weights rarely emit the end-of-turn token, so each answer runs to --max-new-tokens.

Prints a JSON result and a short table; `--output FILE` also writes the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.common import percentile

PASSAGES = [
    "Annual leave. Full-time employees receive 25 days of paid annual leave per calendar year, "
    "accrued monthly from the first day of employment. Part-time employees receive leave in "
    "proportion to their contracted hours. Up to five unused days may be carried over into the "
    "first quarter of the following year; anything beyond that lapses on 31 December unless "
    "your manager and People Operations approve an exception in writing before that date.",
    "Sick leave. If you are unwell, tell your manager before 10:00 on the first day of absence "
    "and record the absence in the HR portal. You may self-certify for up to seven calendar "
    "days. From the eighth day a doctor's note is required. Sick leave is paid in full for up "
    "to 20 working days per rolling twelve months; longer absences are handled case by case "
    "with People Operations and, where relevant, occupational health.",
    "Remote work. Employees may work remotely up to three days per week with their manager's "
    "agreement. Core collaboration hours are 10:00 to 15:00 in your home office's time zone. "
    "Working from another country for more than 14 days in a year needs prior approval from "
    "People Operations and Legal because of tax and immigration rules. Company equipment must "
    "stay encrypted and must not be used by family members or other people.",
    "Expenses. Business travel, meals with clients and work equipment under 300 euros can be "
    "claimed through the expenses tool within 60 days, with an itemised receipt attached. "
    "Alcohol is not reimbursed except at approved client events. Claims above 1,000 euros need "
    "approval from your budget owner before the purchase. Personal credit card fees, fines and "
    "upgrades to business class on flights under six hours are never reimbursed.",
    "Parental leave. Birth parents receive 20 weeks of fully paid leave; other parents receive "
    "12 weeks of fully paid leave, to be taken within the first year after the birth or "
    "adoption. Leave can be split into up to three blocks. Please notify your manager and "
    "People Operations at least eight weeks before the intended start so that cover can be "
    "planned. Benefits and pension contributions continue throughout the leave period.",
    "Security. Report lost laptops, phones or access badges to the IT service desk within one "
    "hour of noticing the loss, by phone outside office hours. Never share passwords or "
    "one-time codes, even with IT staff. Customer data may only be stored in approved systems. "
    "Phishing attempts should be forwarded to the security mailbox and then deleted; do not "
    "click links or open attachments from unknown senders before they are checked.",
]

QUESTIONS = [
    "How many days of annual leave do I get, and can I carry any over?",
    "When do I need a doctor's note when I am off sick?",
    "Can I work from another country for a month?",
    "Will the company pay for a business class flight to Lisbon?",
    "How much parental leave do I get as a non-birth parent?",
    "I lost my laptop on the train, what should I do?",
    "How many days a week can I work from home?",
    "How long do I have to submit an expense claim?",
    "Is my sick leave paid, and for how long?",
    "Can I split my parental leave into several blocks?",
]

SYSTEM = (
    "You are helpbot, the company's policy assistant. Answer the question using only the "
    "passages below and cite them like [1]. If the passages do not answer it, say so.\n\n"
)


def rag_prompts(n: int) -> list[list[Any]]:
    """N distinct RAG-style conversations: three passages + one question each."""
    from langchain_core.messages import HumanMessage, SystemMessage

    prompts = []
    for i in range(n):
        chosen = [PASSAGES[(i + k) % len(PASSAGES)] for k in range(3)]
        context = "\n\n".join(f"[{k + 1}] {text}" for k, text in enumerate(chosen))
        prompts.append(
            [SystemMessage(SYSTEM + context), HumanMessage(QUESTIONS[i % len(QUESTIONS)])]
        )
    return prompts


def load_prompts(path: Path, n: int) -> list[list[Any]]:
    """The first N conversations of a JSONL file of chat messages, as langchain messages."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        [kinds[message["role"]](message["content"]) for message in json.loads(line)]
        for line in lines[:n]
    ]


def random_weights_model(config_dir: Path, folder: Path) -> Path:
    """The architecture in `config_dir` with random weights, saved with its tokenizer."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(config_dir))
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(config_dir).save_pretrained(folder)
    return folder


def measure(
    model_dir: Path, device: str, prompts: list[list[Any]], max_new_tokens: int
) -> dict[str, Any]:
    """Load time, then TTFT / total / tokens-per-second over the prompts (after one warm-up)."""
    from knowledge.generation.local import LocalGenerator

    generator = LocalGenerator(model_dir, device=device, max_new_tokens=max_new_tokens)
    started = time.perf_counter()
    generator.load()
    load_s = time.perf_counter() - started
    generator.generate(prompts[0], max_new_tokens=8)  # warm-up: kernels, caches, allocator
    runs = [generator.generate(prompt) for prompt in prompts]
    ttft = [run.first_token_s for run in runs]
    total = [run.total_s for run in runs]
    decode_rates = [
        (run.completion_tokens - 1) / (run.total_s - run.first_token_s)
        for run in runs
        if run.completion_tokens > 1 and run.total_s > run.first_token_s
    ]
    return {
        "model_version": generator.model_version,
        "device": generator.device,
        "load_s": round(load_s, 3),
        "prompt_tokens_mean": round(statistics.mean(r.prompt_tokens for r in runs), 1),
        "completion_tokens_mean": round(statistics.mean(r.completion_tokens for r in runs), 1),
        "ttft_p50_s": round(percentile(ttft, 0.5), 3),
        "ttft_p95_s": round(percentile(ttft, 0.95), 3),
        "total_p50_s": round(percentile(total, 0.5), 3),
        "total_p95_s": round(percentile(total, 0.95), 3),
        "decode_tokens_per_s_p50": (
            round(percentile(decode_rates, 0.5), 1) if decode_rates else None
        ),
        "tokens_per_s_overall": round(
            sum(r.completion_tokens for r in runs) / sum(r.total_s for r in runs), 1
        ),
        "sample_answer": runs[0].text[:160],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10, help="prompts per model (default 10)")
    parser.add_argument("--max-new-tokens", type=int, default=120)
    parser.add_argument("--device", default="auto", help='"cpu", "cuda" or "auto"')
    parser.add_argument(
        "--models-dir",
        type=Path,
        default=None,
        help="where the shipped model is converted; default: a fresh temp folder, so the "
        "first conversion is measured. An existing converted folder is reused (convert_s null).",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="torch intra-op threads (default: torch's)"
    )
    parser.add_argument("--skip-shipped", action="store_true", help="only the tiny baseline")
    parser.add_argument(
        "--random-weights",
        action="store_true",
        help="build the shipped architecture from the config in --models-dir with random "
        "weights instead of loading the shipped model (for the GPU machine)",
    )
    parser.add_argument(
        "--prompts", type=Path, default=None, help="JSONL of real chat prompts (device_bundle)"
    )
    parser.add_argument("--output", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)

    import torch
    import transformers

    from knowledge.generation.local import pick_device
    from knowledge.generation.model_files import SHIPPED_MODEL_NAME, ensure_shipped_model
    from knowledge.generation.testing import build_tiny_model, smollm2_tokenizer

    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    scratch = Path(tempfile.mkdtemp(prefix="bench-generation-"))
    models_dir = args.models_dir or scratch / "models"
    result: dict[str, Any] = {
        "benchmark": "generation",
        "n": args.n,
        "max_new_tokens": args.max_new_tokens,
        "device": device,
        "device_name": torch.cuda.get_device_name()
        if device.startswith("cuda")
        else platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": sys.version.split()[0],
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "prompts": str(args.prompts) if args.prompts else "built-in RAG prompts",
        "models": {},
    }
    prompts = load_prompts(args.prompts, args.n) if args.prompts else rag_prompts(args.n)
    if args.random_weights:
        config_dir = models_dir / SHIPPED_MODEL_NAME
        random_model = random_weights_model(config_dir, scratch / "random-weights")
        measured = measure(random_model, device, prompts, args.max_new_tokens)
        result["models"][f"{SHIPPED_MODEL_NAME} (random weights)"] = {
            "convert_s": None,
            **measured,
        }
    elif not args.skip_shipped:
        already = (models_dir / SHIPPED_MODEL_NAME / "config.json").is_file()
        started = time.perf_counter()
        shipped = ensure_shipped_model(models_dir)
        convert_s = None if already else round(time.perf_counter() - started, 2)
        measured = measure(shipped, device, prompts, args.max_new_tokens)
        result["models"][SHIPPED_MODEL_NAME] = {"convert_s": convert_s, **measured}
    tokenizer = smollm2_tokenizer(scratch, models_dir)
    tiny = build_tiny_model(scratch / "tiny-llama", tokenizer)
    result["models"]["tiny-llama"] = {
        "convert_s": None,
        **measure(tiny, device, prompts, args.max_new_tokens),
    }
    result["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]

    print(json.dumps(result, indent=2))
    print_table(result)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


def print_table(result: dict[str, Any]) -> None:
    columns = [
        ("convert_s", "convert s"),
        ("load_s", "load s"),
        ("prompt_tokens_mean", "prompt tok"),
        ("completion_tokens_mean", "new tok"),
        ("ttft_p50_s", "TTFT p50"),
        ("ttft_p95_s", "TTFT p95"),
        ("total_p50_s", "total p50"),
        ("total_p95_s", "total p95"),
        ("decode_tokens_per_s_p50", "decode tok/s"),
        ("tokens_per_s_overall", "tok/s"),
    ]
    print(f"\n{'model':<24}" + "".join(f"{title:>13}" for _, title in columns))
    for name, row in result["models"].items():
        cells = "".join(f"{'-' if row[key] is None else row[key]:>13}" for key, _ in columns)
        print(f"{name:<24}{cells}")
    print(
        f"device {result['device']} ({result['device_name']}), {result['torch_threads']} torch "
        f"threads, load average {result['loadavg_start']} -> {result['loadavg_end']}"
    )


if __name__ == "__main__":
    main()
