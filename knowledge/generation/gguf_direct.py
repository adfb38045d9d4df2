"""Converting a llama GGUF chat model straight into a transformers folder, several times faster.

transformers' own GGUF loader reads llama files through its legacy reader (the metadata parsed
three times, a tensor-name map rebuilt per module) and spends most of a 35 s conversion there.
This path reads the file once, de-quantizes every tensor with the same `gguf` routine, undoes
the same q/k permutation, and writes the folder transformers would have written: the same
config, tensors, tokenizer files and chat template (tests/generation compares both outputs).
Files it does not cover (another architecture or tokenizer) return None: the caller falls back.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

_LAYER_NAMES = {
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
_TOP_NAMES = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
}
_BLOCK = re.compile(r"blk\.(\d+)\.(\w+)\.weight")

Progress = Callable[[int, int], None]
"""Called with (tensors done, tensors in all) while the weights are de-quantized."""


def hf_tensor_name(gguf_name: str) -> str | None:
    """The transformers parameter name of a llama GGUF tensor (None: not a llama tensor)."""
    if gguf_name in _TOP_NAMES:
        return _TOP_NAMES[gguf_name]
    match = _BLOCK.fullmatch(gguf_name)
    if match is None or match.group(2) not in _LAYER_NAMES:
        return None
    return f"model.layers.{match.group(1)}.{_LAYER_NAMES[match.group(2)]}.weight"


def unpermute(weights: np.ndarray, heads: int) -> np.ndarray:
    """Undo llama.cpp's rotary reordering of q/k rows (as transformers' GGUF loader does)."""
    dim = weights.shape[0] // heads // 2
    shaped = weights.reshape(heads, dim, 2, *weights.shape[1:])
    return shaped.swapaxes(2, 1).reshape(weights.shape)


def llama_config_kwargs(metadata: dict[str, Any], tensor_names: tuple[str, ...]) -> dict[str, Any]:
    """LlamaConfig arguments from a llama GGUF's metadata, as transformers' loader maps them."""
    m = metadata
    kwargs: dict[str, Any] = {
        "vocab_size": m.get("llama.vocab_size") or m["tokenizer.ggml.tokens"],
        "max_position_embeddings": m["llama.context_length"],
        "hidden_size": m["llama.embedding_length"],
        "intermediate_size": m["llama.feed_forward_length"],
        "num_hidden_layers": m["llama.block_count"],
        "num_attention_heads": m["llama.attention.head_count"],
        "num_key_value_heads": m["llama.attention.head_count_kv"],
        "rms_norm_eps": m["llama.attention.layer_norm_rms_epsilon"],
        "rope_theta": m.get("llama.rope.freq_base", 10000.0),
        "tie_word_embeddings": "output.weight" not in tensor_names,
        "architectures": ["LlamaForCausalLM"],
    }
    for key, name in (
        ("bos_token_id", "bos_token_id"),
        ("eos_token_id", "eos_token_id"),
        ("padding_token_id", "pad_token_id"),
        ("unknown_token_id", "unk_token_id"),
    ):
        if f"tokenizer.ggml.{key}" in m:
            kwargs[name] = m[f"tokenizer.ggml.{key}"]
    if "general.name" in m:
        kwargs["_model_name_or_path"] = m["general.name"]
    return kwargs


def supported(metadata: dict[str, Any]) -> bool:
    """Whether this path reproduces transformers' conversion for the file (llama + gpt2 BPE)."""
    heads = metadata.get("llama.attention.head_count") or 1
    head_dim = metadata.get("llama.embedding_length", 0) // heads
    return (
        metadata.get("general.architecture") == "llama"
        and "mistral" not in str(metadata.get("general.name", "")).lower()  # loaded as mistral
        and metadata.get("tokenizer.ggml.model") == "gpt2"
        and "llama.rope.scaling.type" not in metadata
        and metadata.get("llama.attention.key_length", head_dim) == head_dim
    )


def convert(gguf_path: Path, folder: Path, progress: Progress | None = None) -> bool:
    """Write the transformers folder for `gguf_path` into `folder`; False if not supported here
    (another architecture, or a transformers release without the GGUF reader this relies on)."""
    try:
        from transformers.integrations.gguf import (
            convert_gguf_tokenizer,
            get_gguf_tokenizer,
            read_gguf_metadata,
        )
        from transformers.integrations.gguf.reader import GgufHeader
    except ImportError:
        logger.info("transformers has no GGUF reader module; using its loader")
        return False
    metadata, tensor_names = read_gguf_metadata(str(gguf_path))
    if not supported(metadata):
        return False
    header = GgufHeader.from_file(str(gguf_path))
    _write_config(metadata, tensor_names, folder)
    _write_weights(gguf_path, header, metadata, folder, progress)
    architecture, tokenizer_dict, tokenizer_config = get_gguf_tokenizer(str(gguf_path))
    backend, extra = convert_gguf_tokenizer(architecture, tokenizer_dict)
    from transformers import TokenizersBackend

    tokenizer = TokenizersBackend(tokenizer_object=backend, **tokenizer_config, **extra)
    tokenizer.save_pretrained(folder)
    return True


def _write_config(metadata: dict[str, Any], tensor_names: tuple[str, ...], folder: Path) -> None:
    from transformers import GenerationConfig, LlamaConfig

    config = LlamaConfig(**llama_config_kwargs(metadata, tensor_names))
    config.dtype = "float32"
    config.save_pretrained(folder)
    GenerationConfig.from_model_config(config).save_pretrained(folder)


def _write_weights(
    gguf_path: Path, header: Any, metadata: dict[str, Any], folder: Path, progress: Progress | None
) -> None:
    import torch
    from gguf import GGMLQuantizationType
    from gguf.quants import dequantize, quant_shape_to_byte_shape
    from safetensors.torch import save_file

    blob = np.memmap(gguf_path, mode="r", dtype=np.uint8)
    heads = metadata["llama.attention.head_count"]
    kv_heads = metadata["llama.attention.head_count_kv"]
    tied = "output.weight" not in {info.name for info in header.tensors}
    tensors: dict[str, torch.Tensor] = {}
    for done, info in enumerate(header.tensors, start=1):
        name = hf_tensor_name(info.name)
        if name is None:
            raise ValueError(f"unexpected tensor {info.name} in a llama GGUF file")
        qtype = GGMLQuantizationType(info.ggml_type)
        start = header.data_start + info.offset
        raw = blob[start : start + info.nbytes]
        if qtype == GGMLQuantizationType.F32:
            weights = np.asarray(raw).view(np.float32).reshape(info.shape)
        else:
            weights = dequantize(raw.reshape(quant_shape_to_byte_shape(info.shape, qtype)), qtype)
        if ".attn_q." in info.name:
            weights = unpermute(weights, heads)
        elif ".attn_k." in info.name:
            weights = unpermute(weights, kv_heads)
        tensors[name] = torch.from_numpy(np.array(weights, dtype=np.float32, order="C"))
        if progress is not None:
            progress(done, len(header.tensors))
    if tied:
        tensors.pop("lm_head.weight", None)
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
