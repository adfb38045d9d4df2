"""Tiny random models and LoRA adapters with the real SmolLM2 tokenizer, for fast tests."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from knowledge.generation.model_files import SHIPPED_MODEL_NAME, shipped_gguf

TINY_MODEL_LAYERS = 2
TINY_MODEL_HIDDEN = 64

_saved_tokenizer: Path | None = (
    None  # the first folder saved in this process, reused by later calls
)


def smollm2_tokenizer(cache_dir: Path, models_dir: Path | None = None) -> Path:
    """A folder holding the real SmolLM2 tokenizer, saved once into `cache_dir`.

    Copied from an already converted shipped model in `models_dir` when there is one,
    otherwise read from the GGUF file (about 8 s). Within one process (one pytest session, all
    suites) the first saved folder is returned again, so the GGUF is read only once.
    """
    global _saved_tokenizer
    from transformers import AutoTokenizer

    if _saved_tokenizer is not None and (_saved_tokenizer / "tokenizer.json").is_file():
        return _saved_tokenizer
    target = cache_dir / "smollm2-tokenizer"
    if (target / "tokenizer.json").is_file():
        _saved_tokenizer = target
        return target
    converted = models_dir / SHIPPED_MODEL_NAME if models_dir else None
    if converted is not None and (converted / "tokenizer.json").is_file():
        tokenizer = AutoTokenizer.from_pretrained(converted)
    else:
        gguf = shipped_gguf()
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    temp = cache_dir / f".smollm2-tokenizer.tmp-{uuid.uuid4().hex[:8]}"
    tokenizer.save_pretrained(temp)
    try:
        os.rename(temp, target)
    except OSError:
        shutil.rmtree(temp, ignore_errors=True)  # another worker saved it first
    _saved_tokenizer = target
    return target


def build_tiny_model(
    folder: Path,
    tokenizer_dir: Path,
    *,
    seed: int = 0,
    hidden_size: int = TINY_MODEL_HIDDEN,
    context_window: int = 2048,
) -> Path:
    """Save a random Llama (SmolLM2's architecture: 2 layers, hidden 64) + tokenizer to `folder`.

    Same seed, same weights: outputs are deterministic. A different `hidden_size` gives a model
    whose adapters do not fit the default one (for mismatch tests).
    """
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    heads = max(hidden_size // 16, 1)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=TINY_MODEL_LAYERS,
        num_attention_heads=heads,
        num_key_value_heads=max(heads // 2, 1),
        head_dim=16,
        max_position_embeddings=context_window,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        # Wider than the default 0.02 so greedy decoding of random weights wanders instead of
        # repeating one token, and small weight changes show in the output.
        initializer_range=0.2,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def make_lora_adapter(
    model_dir: Path, out_dir: Path, *, seed: int = 1, rank: int = 4, scale: float = 1.0
) -> Path:
    """Save a real PEFT LoRA adapter for the model in `model_dir`, with random (non-zero)
    lora_B so that it visibly changes the output. Different seeds give different adapters."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    config = LoraConfig(
        r=rank,
        lora_alpha=rank * 2,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
        lora_dropout=0.0,
        task_type="CAUSAL_LM",
    )
    peft_model = get_peft_model(model, config)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in peft_model.named_parameters():
            if "lora_B" in name:  # zero at init: a fresh LoRA would be a no-op
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * scale)
    peft_model.save_pretrained(str(out_dir))
    return out_dir
