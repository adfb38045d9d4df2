"""A tiny client for the console's HTTP API: log in, call a named endpoint, read its result."""

from __future__ import annotations

import json
from typing import Any

import httpx


def login(base_url: str, name: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=60)
    response = client.post("/login", data={"username": name, "password": password})
    assert response.status_code == 200, response.text
    return client


def call(client: httpx.Client, endpoint: str, data: list[Any]) -> tuple[str, Any]:
    """("complete", outputs) or ("error", message) from Gradio's two-step call API."""
    started = client.post(f"/gradio_api/call/{endpoint}", json={"data": data})
    assert started.status_code == 200, started.text
    event_id = started.json()["event_id"]
    kind, payload = "", None
    with client.stream("GET", f"/gradio_api/call/{endpoint}/{event_id}") as events:
        for line in events.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and kind in ("complete", "error"):
                payload = json.loads(line.split(":", 1)[1].strip() or "null")
                break
    if kind == "error":
        return "error", (payload or {}).get("error") if isinstance(payload, dict) else payload
    return kind, payload


def dummy(parameter: dict[str, Any]) -> Any:
    """A harmless value of the parameter's type (its default when it has one)."""
    if parameter.get("parameter_has_default"):
        return parameter.get("parameter_default")
    kind = str(parameter.get("python_type", {}).get("type", ""))
    if parameter.get("component") == "File":
        return None
    if "bool" in kind:
        return False
    if "float" in kind or "int" in kind:
        return 0
    if kind.startswith(("list", "List")):
        return []
    if "Dict" in kind or "dict" in kind:
        return None
    return ""
