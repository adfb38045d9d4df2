"""LoRA adapters: reading and checking adapter folders, and swapping them inside one base model."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.generation.base import AdapterError

ADAPTER_CONFIG = "adapter_config.json"

# "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight" -> module + LoRA part.
_LORA_KEY = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+?)\.(?P<part>lora_[A-Za-z_]+)\.")


@dataclass(frozen=True)
class AdapterFiles:
    """An adapter folder that has been read successfully: its PEFT config and weights."""

    path: Path
    config: Any  # peft.LoraConfig
    weights: dict[str, Any]  # parameter name -> torch.Tensor


def read_adapter(path: Path) -> AdapterFiles:
    """Read a PEFT LoRA folder, turning every way it can be broken into a clear AdapterError."""
    from peft import PeftConfig, PeftType
    from peft.utils import load_peft_weights

    if not path.is_dir():
        raise AdapterError(f"adapter folder not found: {path}")
    if not (path / ADAPTER_CONFIG).is_file():
        raise AdapterError(f"{path} is not a PEFT adapter: it has no {ADAPTER_CONFIG}")
    try:
        config = PeftConfig.from_pretrained(str(path))
    except Exception as error:
        raise AdapterError(f"unreadable {ADAPTER_CONFIG} in {path}: {error}") from error
    if config.peft_type != PeftType.LORA:
        raise AdapterError(f"{path} is a {config.peft_type} adapter; only LoRA is supported")
    try:
        weights = load_peft_weights(str(path), device="cpu")
    except Exception as error:
        raise AdapterError(f"corrupt or missing adapter weights in {path}: {error}") from error
    if not weights:
        raise AdapterError(f"adapter {path} holds no weights")
    return AdapterFiles(path=path, config=config, weights=weights)


def check_fits(adapter: AdapterFiles, model: Any) -> None:
    """Raise AdapterError unless every LoRA weight targets a module of `model` with its shape.

    Catches adapters trained on another base model (other layer count, hidden size or module
    names) before PEFT touches the model, because PEFT would silently skip unknown keys.
    """
    import torch

    modules = dict(model.named_modules())
    for key, tensor in adapter.weights.items():
        match = _LORA_KEY.match(key)
        if match is None:
            continue  # e.g. modules_to_save copies: PEFT's own loader checks those
        name, part = match["module"], match["part"]
        module = modules.get(name)
        if module is None:
            raise AdapterError(
                f"adapter {adapter.path.name} targets '{name}', which this base model does not "
                f"have: it was trained for another base model "
                f"({adapter.config.base_model_name_or_path or 'unknown'})"
            )
        module = getattr(module, "base_layer", module)  # already wrapped by another adapter
        if isinstance(module, torch.nn.Linear):
            expected = {"lora_A": module.in_features, "lora_B": module.out_features}.get(part)
            actual = tensor.shape[1] if part == "lora_A" else tensor.shape[0]
            if expected is not None and actual != expected:
                raise AdapterError(
                    f"adapter {adapter.path.name} does not fit this base model: {key} has shape "
                    f"{tuple(tensor.shape)}, the model's {name} is {module.in_features}->"
                    f"{module.out_features} (trained for "
                    f"{adapter.config.base_model_name_or_path or 'another model'})"
                )


class AdapterSet:
    """The LoRA adapters loaded into one base model (PEFT injects them in place), and which
    one the LoRA layers compute with. Not thread-safe: the owner holds its device lock."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self._peft: Any = None  # peft.PeftModel around `model` while any adapter is loaded
        self._paths: dict[str, Path] = {}
        self._applied: str | None = None  # what the layers compute with right now
        self._stale = False  # layers changed since the last apply()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._paths)

    def __contains__(self, name: object) -> bool:
        return name in self._paths

    def load(self, path: Path, name: str) -> None:
        """Read, check and inject an adapter. On failure the model is as it was before."""
        if name in self._paths:
            if self._paths[name] == path.resolve():
                return  # the same folder again: nothing to do
            raise AdapterError(
                f"an adapter named {name!r} is already loaded from {self._paths[name]}"
            )
        files = read_adapter(path)
        check_fits(files, self.model)
        from peft import PeftModel
        from peft.utils import set_peft_model_state_dict

        config = files.config
        config.inference_mode = True
        self._stale = True
        try:
            if self._peft is None:
                self._peft = PeftModel(self.model, config, adapter_name=name)
            else:
                self._peft.add_adapter(name, config)
            result: Any = set_peft_model_state_dict(self._peft, files.weights, adapter_name=name)
            if result.unexpected_keys:
                raise AdapterError(f"weights the model has no place for: {result.unexpected_keys}")
            self._peft.requires_grad_(False)
        except Exception as error:
            self._uninject(name)
            raise AdapterError(f"could not load adapter {path}: {error}") from error
        self._paths[name] = path.resolve()

    def remove(self, name: str) -> None:
        if name not in self._paths:
            raise AdapterError(f"no adapter named {name!r} is loaded")
        self._uninject(name)
        del self._paths[name]

    def apply(self, name: str | None) -> None:
        """Point the LoRA layers at `name` (None: disable them, i.e. the plain base model)."""
        if name is not None and name not in self._paths:
            raise AdapterError(f"no adapter named {name!r} is loaded (have: {self.names})")
        if self._peft is None or (name == self._applied and not self._stale):
            return
        if name is None:
            self._peft.base_model.disable_adapter_layers()
        else:
            self._peft.base_model.enable_adapter_layers()
            self._peft.set_adapter(name, inference_mode=True)
        self._applied, self._stale = name, False

    @property
    def injected(self) -> bool:
        """Whether the model currently carries LoRA layers at all."""
        return self._peft is not None

    def _uninject(self, name: str) -> None:
        """Take an adapter's layers out; with none left, restore the plain base model."""
        if self._peft is None or name not in self._peft.peft_config:
            return
        self._stale = True
        if len(self._peft.peft_config) == 1:
            self.model = self._peft.base_model.unload()
            self._peft, self._applied = None, None
        else:
            self._peft.delete_adapter(name)
