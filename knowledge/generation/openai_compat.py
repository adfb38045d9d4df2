"""The model-server backend: any OpenAI-compatible chat server (vLLM at scale), via langchain.

With vLLM, the `model` name selects the LoRA adapter. Serve the base model with adapters, e.g.
`vllm serve <base> --enable-lora --lora-modules v3=/adapters/v3 v4=/adapters/v4`; then
`model="v3"` answers with adapter v3 and the base model's own name answers without one.
Promoting an adapter is `set_model("v4")`; vLLM can also load adapters at run time
(VLLM_ALLOW_RUNTIME_LORA_UPDATING=True, POST /v1/load_lora_adapter): `load_adapter(name, path)`
does that (the path is read by the server, so it must be visible on the server's machine) and
`with_model(name)` gives a generator that answers with it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import httpx
import openai
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from knowledge.generation.base import (
    AdapterError,
    ChatMessage,
    Generation,
    GenerationTimeoutError,
    GeneratorUnavailableError,
    TokenCallback,
)
from knowledge.settings import setting_default

logger = logging.getLogger(__name__)


class OpenAICompatGenerator:
    """Answers from an OpenAI-compatible /v1/chat/completions server, greedy (temperature 0).

    Streams when `on_token` is given (token usage comes with the last chunk when the server
    reports it), otherwise makes one plain request. Connection refused, 5xx, timeouts and other
    API errors raise GeneratorUnavailableError; an unknown model (adapter) name raises
    AdapterError. Timeouts and retries are kept small so a dead server never hangs a caller.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        timeout_s: float = setting_default("generation_timeout_s"),
        *,
        max_new_tokens: int = setting_default("max_new_tokens"),
        max_retries: int = 1,
        model_version: str | None = None,
    ) -> None:
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.max_new_tokens = max_new_tokens
        self.max_retries = max_retries
        self._api_key = SecretStr(api_key)
        self._model_version = model_version
        self.model = model
        self._client = self._build_client()

    @property
    def model_version(self) -> str:
        return self._model_version or self.model

    def set_model(self, model: str, model_version: str | None = None) -> None:
        """Send later requests to another served model (with vLLM: another adapter)."""
        self.model, self._model_version = model, model_version
        self._client = self._build_client()

    def with_model(self, model: str, model_version: str | None = None) -> OpenAICompatGenerator:
        """Another generator on the same server that sends requests to `model`; this one is
        unchanged, so answers in flight on it finish with its model."""
        return OpenAICompatGenerator(
            self.base_url,
            self._api_key.get_secret_value(),
            model,
            self.timeout_s,
            max_new_tokens=self.max_new_tokens,
            max_retries=self.max_retries,
            model_version=model_version,
        )

    # --- LoRA adapters on a vLLM server ---------------------------------------------------

    def served_models(self) -> list[str]:
        """The model names the server answers to (base models and loaded LoRA adapters)."""
        body = self._admin("GET", "/models")
        return [str(card.get("id")) for card in body.get("data", [])]

    def load_adapter(self, name: str, path: str) -> None:
        """Have the server load the LoRA adapter at `path` (on its machine) under `name`.

        Idempotent across replicas: an adapter another process already loaded under `name` is
        accepted. Raises AdapterError when the server refuses (unknown path, LoRA not enabled,
        runtime loading not allowed), GeneratorUnavailableError when it cannot be reached.
        """
        if name in self.served_models():
            return
        try:
            self._admin("POST", "/load_lora_adapter", {"lora_name": name, "lora_path": path})
        except AdapterError:
            if name in self.served_models():  # another replica loaded it meanwhile
                return
            raise
        logger.info("LoRA adapter %s loaded on %s", name, self.base_url)

    def unload_adapter(self, name: str) -> None:
        """Have the server drop the LoRA adapter `name`. Raises AdapterError if it has none."""
        self._admin("POST", "/unload_lora_adapter", {"lora_name": name})

    def _admin(self, method: str, route: str, payload: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self._api_key.get_secret_value()}"}
        url = self.base_url.rstrip("/") + route
        try:
            response = httpx.request(
                method, url, json=payload, headers=headers, timeout=self.timeout_s
            )
        except httpx.HTTPError as error:
            raise GeneratorUnavailableError(
                f"model server {self.base_url} unreachable: {type(error).__name__}"
            ) from error
        if response.status_code < 400:
            try:
                return response.json()
            except ValueError:
                return {"message": response.text}
        message = _error_message(response)
        if response.status_code == 404 and message == "Not Found":
            raise AdapterError(
                f"{self.base_url} does not offer {route}: start vLLM with --enable-lora and "
                "VLLM_ALLOW_RUNTIME_LORA_UPDATING=True"
            )
        if response.status_code >= 500:
            raise GeneratorUnavailableError(f"model server {self.base_url} failed: {message}")
        raise AdapterError(f"model server refused {route}: {message}")

    def _build_client(self) -> ChatOpenAI:
        return ChatOpenAI(
            model=self.model,
            base_url=self.base_url,
            api_key=self._api_key,
            timeout=self.timeout_s,
            max_retries=self.max_retries,
            temperature=0.0,
            stream_usage=True,
        )

    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_new_tokens: int | None = None,
        on_token: TokenCallback | None = None,
    ) -> Generation:
        started = time.perf_counter()
        limit = max_new_tokens or self.max_new_tokens
        client, version = self._client, self.model_version
        try:
            if on_token is None:
                message: AIMessage = client.invoke(list(messages), max_tokens=limit)
                text, first_at = str(message.text), None
            else:
                text, message, first_at = self._stream(client, messages, limit, on_token, started)
        except openai.NotFoundError as error:
            raise AdapterError(
                f"the server at {self.base_url} serves no model named {self.model!r}: {error}"
            ) from error
        except openai.APIError as error:
            raise GeneratorUnavailableError(
                f"model server {self.base_url} failed: {type(error).__name__}: {error}"
            ) from error
        total = time.perf_counter() - started
        usage: dict[str, Any] = dict(message.usage_metadata or {})
        return Generation(
            text=text,
            model_version=version,
            prompt_tokens=int(usage.get("input_tokens", 0)),
            completion_tokens=int(usage.get("output_tokens", 0)),
            first_token_s=(first_at if first_at is not None else time.perf_counter()) - started,
            total_s=total,
        )

    def _stream(
        self,
        client: ChatOpenAI,
        messages: Sequence[ChatMessage],
        limit: int,
        on_token: TokenCallback,
        started: float,
    ) -> tuple[str, AIMessage, float | None]:
        pieces: list[str] = []
        first_at: float | None = None
        usage: Any = None
        for chunk in client.stream(list(messages), max_tokens=limit):
            if isinstance(chunk, AIMessageChunk) and chunk.usage_metadata:
                usage = chunk.usage_metadata
            piece = str(chunk.text)
            if piece:
                first_at = first_at or time.perf_counter()
                pieces.append(piece)
                on_token(piece)
            # httpx's timeout is per read; this bounds the whole answer.
            if time.perf_counter() - started > self.timeout_s:
                raise GenerationTimeoutError(self.timeout_s)
        text = "".join(pieces)
        return text, AIMessage(content=text, usage_metadata=usage), first_at


def _error_message(response: httpx.Response) -> str:
    """The message of a vLLM/OpenAI/FastAPI error body, whichever shape it has."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip() or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        for key in ("message", "detail"):
            if body.get(key):
                return str(body[key])
    return str(body)
