"""The local backend: a transformers model on this machine with hot-swappable PEFT LoRA adapters."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    LogitsProcessorList,
    RepetitionPenaltyLogitsProcessor,
    StoppingCriteria,
    StoppingCriteriaList,
    TextIteratorStreamer,
)

from knowledge.generation.adapters import AdapterSet
from knowledge.generation.base import (
    AdapterError,
    ChatMessage,
    Generation,
    GenerationTimeoutError,
    GeneratorUnavailableError,
    TokenCallback,
)
from knowledge.generation.chat_format import encode_chat, to_chat_dicts
from knowledge.generation.model_files import model_name_for

logger = logging.getLogger(__name__)

DEFAULT_REPETITION_PENALTY = 1.1
"""Modest, and applied to generated tokens only: it stops a small model looping, while quoting
the passages in the prompt and ending the turn (<|im_end|> is in the prompt too) stay cheap."""

STATIC_CACHE_LEN = 2048
"""GPU static KV cache size: one shape for all calls, so the compiled decode step is reused."""

_DEVICE_LOCKS: dict[str, threading.Lock] = {}
_DEVICE_LOCKS_GUARD = threading.Lock()


def pick_device(device: str) -> str:
    """ "auto" -> "cuda" when a GPU is visible, else "cpu"; anything else as given."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def device_lock(device: str) -> threading.Lock:
    """The one lock per device: every generation and adapter change on it holds this lock."""
    parsed = torch.device(device)
    key = f"{parsed.type}:{parsed.index or 0}" if parsed.type != "cpu" else "cpu"
    with _DEVICE_LOCKS_GUARD:
        return _DEVICE_LOCKS.setdefault(key, threading.Lock())


class _TimedStreamer(TextIteratorStreamer):
    """A TextIteratorStreamer that also notes when the first generated token arrived."""

    def __init__(self, tokenizer: Any) -> None:
        super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.first_token_at: float | None = None

    def put(self, value: torch.Tensor) -> None:
        is_prompt = self.skip_prompt and self.next_tokens_are_prompt
        super().put(value)
        if not is_prompt and self.first_token_at is None:
            self.first_token_at = time.perf_counter()


class _Cancelled(StoppingCriteria):
    """Stops generation at the next step once the caller has gone away."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(
        self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any
    ) -> Any:
        done = self.event.is_set()
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


class LocalGenerator:
    """A causal LM loaded with transformers (bf16 on CUDA, float32 on CPU), greedy decoding,
    one generation at a time per device, and LoRA adapters that can be loaded and swapped at
    run time without reloading the base model.

    Nothing is loaded until first use (or `load()`). An `adapter_dir` given here is loaded with
    the base model: `load()` raises AdapterError if it is broken; on lazy first use the error is
    logged and the base model serves (model_version then shows no adapter).
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        device: str = "auto",
        adapter_dir: Path | None = None,
        max_new_tokens: int = 200,
        model_name: str | None = None,
        timeout_s: float | None = None,
        repetition_penalty: float = DEFAULT_REPETITION_PENALTY,
        context_window: int | None = None,
        static_cache: bool | None = None,
    ) -> None:
        self.model_path = str(model_path)
        self.model_name = model_name or model_name_for(self.model_path)
        self.device = pick_device(device)
        self.max_new_tokens = max_new_tokens
        self.timeout_s = timeout_s
        self.repetition_penalty = repetition_penalty
        self._context_window = context_window
        # Static KV cache (compiled decode on CUDA, warmed up at load); None: on for CUDA only.
        self.static_cache = self.device.startswith("cuda") if static_cache is None else static_cache
        self._lock = device_lock(self.device)
        self._startup_adapter = Path(adapter_dir) if adapter_dir else None
        self._adapters: AdapterSet | None = None  # holds the model once it is loaded
        self._tokenizer: Any = None
        self._stop_ids: list[int] = []
        self._active: str | None = None

    # --- what is loaded ---------------------------------------------------------------

    @property
    def model_version(self) -> str:
        return self.version_for(self._active)

    def version_for(self, adapter: str | None) -> str:
        """The model_version string of the base model with `adapter` (None: no adapter)."""
        return f"{self.model_name}+adapter:{adapter}" if adapter else self.model_name

    @property
    def active_adapter(self) -> str | None:
        return self._active

    @property
    def adapters(self) -> tuple[str, ...]:
        """Names of the loaded adapters."""
        return self._adapters.names if self._adapters else ()

    @property
    def model(self) -> Any:
        """The loaded transformers model (None before first use); LoRA layers live inside it."""
        return self._adapters.model if self._adapters else None

    def load(self) -> None:
        """Load the base model and the start-up adapter now instead of on first use."""
        with self._lock:
            self._ensure_loaded(strict=True)

    # --- adapters ---------------------------------------------------------------------

    def load_adapter(
        self, path: str | Path, name: str | None = None, *, activate: bool = True
    ) -> str:
        """Load a PEFT LoRA adapter folder and (unless activate=False) make it active; returns
        its name (default: the folder's name). Loading a name again from the same folder is a
        no-op. On any problem raises AdapterError and the active adapter is unchanged."""
        path = Path(path)
        name = name or path.name
        with self._lock:
            adapters = self._ensure_loaded(strict=False)
            adapters.load(path, name)
            if activate:
                self._active = name
        logger.info("adapter %s loaded on %s (active: %s)", name, self.model_name, self._active)
        return name

    def set_adapter(self, name: str | None) -> None:
        """Make a loaded adapter active (None: the plain base model). No reload involved."""
        with self._lock:
            if name is not None and name not in self.adapters:
                raise AdapterError(f"no adapter named {name!r} is loaded (have: {self.adapters})")
            self._active = name

    def remove_adapter(self, name: str) -> None:
        """Free a loaded adapter that is not active."""
        with self._lock:
            if name == self._active:
                raise AdapterError(f"adapter {name!r} is active; activate another one first")
            if self._adapters is None:
                raise AdapterError(f"no adapter named {name!r} is loaded")
            self._adapters.remove(name)

    def with_adapter(self, name: str | None) -> PinnedAdapterGenerator:
        """A Generator view that always uses `name` (None: the base model), whatever is active:
        evaluation compares base and adapter without changing what other callers get."""
        return PinnedAdapterGenerator(self, name)

    # --- generation -------------------------------------------------------------------

    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_new_tokens: int | None = None,
        on_token: TokenCallback | None = None,
    ) -> Generation:
        return self._generate(messages, max_new_tokens, on_token, pinned=False, adapter=None)

    def _generate(
        self,
        messages: Sequence[ChatMessage],
        max_new_tokens: int | None,
        on_token: TokenCallback | None,
        *,
        pinned: bool,
        adapter: str | None,
    ) -> Generation:
        started = time.perf_counter()
        chat = to_chat_dicts(messages)
        limit = max_new_tokens or self.max_new_tokens
        wait = -1.0 if self.timeout_s is None else self.timeout_s
        if not self._lock.acquire(timeout=wait):
            raise GeneratorUnavailableError(f"model busy for more than {self.timeout_s} s")
        try:
            adapters = self._ensure_loaded(strict=False)
            name = adapter if pinned else self._active
            adapters.apply(name)
            prompt = encode_chat(self._tokenizer, chat, self._window() - limit)
            output, pieces, first_at = self._stream(prompt, limit, on_token, started)
        finally:
            self._lock.release()
        total = time.perf_counter() - started
        new_ids = output[0, len(prompt) :].tolist()
        stopped = bool(new_ids) and new_ids[-1] in self._stop_ids
        cut_short = not stopped and len(new_ids) < limit
        if self.timeout_s is not None and total >= self.timeout_s and cut_short:
            raise GenerationTimeoutError(self.timeout_s)
        return Generation(
            text="".join(pieces),
            model_version=self.version_for(name),
            prompt_tokens=len(prompt),
            completion_tokens=len(new_ids),
            first_token_s=(first_at or time.perf_counter()) - started,
            total_s=total,
        )

    def _stream(
        self, prompt: list[int], limit: int, on_token: TokenCallback | None, started: float
    ) -> tuple[torch.Tensor, list[str], float | None]:
        """Run model.generate in a worker thread and hand text pieces to `on_token` here."""
        input_ids = torch.tensor([prompt], device=self.device)
        streamer = _TimedStreamer(self._tokenizer)
        cancel = threading.Event()
        kwargs: dict[str, Any] = {
            "input_ids": input_ids,
            "attention_mask": torch.ones_like(input_ids),
            "max_new_tokens": limit,
            "do_sample": False,
            "logits_processor": LogitsProcessorList(
                [RepetitionPenaltyLogitsProcessor(self.repetition_penalty, len(prompt))]
            ),
            "eos_token_id": self._stop_ids or None,
            "pad_token_id": self._pad_id(),
            "streamer": streamer,
            "stopping_criteria": StoppingCriteriaList([_Cancelled(cancel)]),
            **self._cache_kwargs(),
        }
        if self.timeout_s is not None:
            kwargs["max_time"] = max(self.timeout_s - (time.perf_counter() - started), 0.01)
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                with torch.inference_mode():
                    outcome["output"] = self.model.generate(**kwargs)
            except BaseException as error:  # handed to the caller's thread below
                outcome["error"] = error
                streamer.end()

        worker = threading.Thread(target=work, name="helpbot-generate", daemon=True)
        worker.start()
        pieces: list[str] = []
        try:
            for piece in streamer:
                if piece:
                    pieces.append(piece)
                    if on_token is not None:
                        on_token(piece)
        except BaseException:
            cancel.set()
            raise
        finally:
            worker.join()
        if "error" in outcome:
            error = outcome["error"]
            raise GeneratorUnavailableError(f"generation failed: {error}") from error
        return outcome["output"], pieces, streamer.first_token_at

    # --- internals (called with the device lock held) ----------------------------------

    def _cache_kwargs(self) -> dict[str, Any]:
        static = {"cache_implementation": "static", "max_cache_len": STATIC_CACHE_LEN}
        return static if self.static_cache else {}

    def _warm_up(self, model: Any, tokenizer: Any) -> None:
        """Compile the decode step and select kernels now, not on the first asker's time."""
        chat = [{"role": "user", "content": "Warm-up: how many days of leave do I get?"}]
        ids = torch.tensor([encode_chat(tokenizer, chat, 256)], device=self.device)
        options = {"max_new_tokens": 8, "do_sample": False, "pad_token_id": self._pad_id()}
        with torch.inference_mode():
            for _ in range(2):  # the second run uses the compiled graph: any recompile shows here
                model.generate(
                    ids, attention_mask=torch.ones_like(ids), **options, **self._cache_kwargs()
                )

    def _pad_id(self) -> int | None:
        pad = self._tokenizer.pad_token_id
        return pad if pad is not None else (self._stop_ids[0] if self._stop_ids else None)

    def _window(self) -> int:
        if self._context_window:
            return self._context_window
        window = getattr(self.model.config, "max_position_embeddings", None)
        return int(window or min(self._tokenizer.model_max_length, 8192))

    def _ensure_loaded(self, *, strict: bool) -> AdapterSet:
        if self._adapters is None:
            self._adapters = self._load_base()
        if self._startup_adapter is not None:
            path, self._startup_adapter = self._startup_adapter, None
            try:
                self._adapters.load(path, path.name)
                self._active = path.name
            except AdapterError:
                if strict:
                    raise
                logger.exception("start-up adapter %s not loaded; serving the base model", path)
        return self._adapters

    def _load_base(self) -> AdapterSet:
        started = time.perf_counter()
        on_cuda = self.device.startswith("cuda")
        if on_cuda:
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        else:
            dtype = torch.float32
        try:
            tokenizer = AutoTokenizer.from_pretrained(self.model_path)
            model = AutoModelForCausalLM.from_pretrained(
                self.model_path, dtype=dtype, device_map=self.device
            )
            model.eval()
        except Exception as error:
            raise GeneratorUnavailableError(
                f"could not load model {self.model_path} on {self.device}: {error}"
            ) from error
        eos = model.generation_config.eos_token_id
        stop_ids = [eos] if isinstance(eos, int) else list(eos or [])
        if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in stop_ids:
            stop_ids.append(tokenizer.eos_token_id)
        self._tokenizer, self._stop_ids = tokenizer, stop_ids
        if self.static_cache:
            try:
                self._warm_up(model, tokenizer)
            except Exception:  # the dynamic-cache path still answers
                logger.exception("warm-up failed on %s: dynamic cache", self.device)
                self.static_cache = False
        logger.info(
            "loaded %s on %s (%s) in %.1f s",
            self.model_name,
            self.device,
            dtype,
            time.perf_counter() - started,
        )
        return AdapterSet(model)


class PinnedAdapterGenerator:
    """A `LocalGenerator` view that always generates with one adapter (or the base model)."""

    def __init__(self, owner: LocalGenerator, adapter: str | None) -> None:
        self._owner = owner
        self._adapter = adapter

    @property
    def model_version(self) -> str:
        return self._owner.version_for(self._adapter)

    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_new_tokens: int | None = None,
        on_token: TokenCallback | None = None,
    ) -> Generation:
        return self._owner._generate(
            messages, max_new_tokens, on_token, pinned=True, adapter=self._adapter
        )
