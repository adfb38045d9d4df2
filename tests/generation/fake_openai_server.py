"""A real HTTP server on 127.0.0.1 speaking OpenAI's /v1/chat/completions and vLLM's LoRA
routes (/v1/models, /v1/load_lora_adapter, /v1/unload_lora_adapter), for backend tests."""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeOpenAIServer:
    """Answers every chat request with `pieces` (one SSE chunk each when streaming).

    `status` other than 200 makes every request fail with that code; `delay_s` sleeps before
    answering, `chunk_delay_s` before each streamed chunk; a model not in `models` gets a 404
    like vLLM's. Requests are recorded in order.

    LoRA routes behave like vLLM's: without `runtime_lora` (VLLM_ALLOW_RUNTIME_LORA_UPDATING)
    they are absent (FastAPI's 404 "Not Found"); without `lora_enabled` (--enable-lora) loading
    fails with 400; a path with no adapter is a 404 NotFoundError, a name already loaded a 400,
    and unloading an unknown name a 404. A loaded adapter's name becomes a servable model.
    """

    pieces: list[str] = field(default_factory=lambda: ["Staff ", "get ", "25 ", "days."])
    models: set[str] = field(default_factory=lambda: {"helpbot", "v3", "v4"})
    usage: tuple[int, int] = (42, 4)
    status: int = 200
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    lora_enabled: bool = True
    runtime_lora: bool = True
    loras: dict[str, str] = field(default_factory=dict)
    """Loaded LoRA adapters: name -> path."""
    _httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> None:
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def completion(self, model: str) -> dict[str, Any]:
        prompt, completion = self.usage
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(self.pieces)},
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(prompt, completion),
        }

    def chunks(self, model: str, include_usage: bool) -> list[dict[str, Any]]:
        base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model}
        chunks = [
            {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece}}]}
            for piece in self.pieces
        ]
        chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if include_usage:
            chunks.append({**base, "choices": [], "usage": _usage(*self.usage)})
        return chunks


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (timeout tests) is expected, not worth a traceback


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:
            server.requests.append({"path": self.path, "body": None})
            if self.path != "/v1/models":
                return self._json(404, {"detail": "Not Found"})
            cards = [{"id": name, "object": "model"} for name in sorted(server.models)]
            cards += [
                {"id": name, "object": "model", "root": path, "parent": "helpbot"}
                for name, path in server.loras.items()
            ]
            return self._json(200, {"object": "list", "data": cards})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            server.requests.append(
                {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
            )
            time.sleep(server.delay_s)
            if self.path in ("/v1/load_lora_adapter", "/v1/unload_lora_adapter"):
                return self._lora(body)
            if self.path != "/v1/chat/completions":
                return self._json(404, {"error": {"message": "no such route"}})
            if server.status != 200:
                return self._json(server.status, {"error": {"message": "engine crashed"}})
            if body["model"] not in server.models and body["model"] not in server.loras:
                return self._json(404, {"error": {"message": f"model {body['model']} not found"}})
            if not body.get("stream"):
                return self._json(200, server.completion(body["model"]))
            include_usage = bool(body.get("stream_options", {}).get("include_usage"))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for chunk in server.chunks(body["model"], include_usage):
                time.sleep(server.chunk_delay_s)
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _lora(self, body: dict[str, Any]) -> None:
            if not server.runtime_lora:
                return self._json(404, {"detail": "Not Found"})
            name, path = body.get("lora_name"), body.get("lora_path")
            if self.path.endswith("/unload_lora_adapter"):
                if name not in server.loras:
                    return self._error(
                        404, "NotFoundError", f"The lora adapter '{name}' cannot be found."
                    )
                del server.loras[name]
                return self._text(f"Success: LoRA adapter '{name}' removed successfully.")
            if not name or not path:
                return self._error(
                    400, "InvalidUserInput", "Both 'lora_name' and 'lora_path' must be provided."
                )
            if name in server.loras:
                return self._error(
                    400, "InvalidUserInput", f"The lora adapter '{name}' has already been loaded."
                )
            if not server.lora_enabled:
                return self._error(
                    400, "BadRequestError", "LoRA is not enabled. Use --enable-lora to enable LoRA."
                )
            if not os.path.isfile(os.path.join(path, "adapter_config.json")):
                return self._error(404, "NotFoundError", f"No adapter found for {path}")
            server.loras[name] = path
            return self._text(f"Success: LoRA adapter '{name}' added successfully.")

        def _error(self, status: int, kind: str, message: str) -> None:
            self._json(status, {"error": {"message": message, "type": kind, "code": status}})

        def _text(self, text: str) -> None:
            data = text.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
