"""Reaching Weaviate: the client, a readiness probe, retries, errors as StoreUnavailableError."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import grpc
import httpx
import weaviate
from weaviate.classes.init import AdditionalConfig, Auth, GrpcConfig, Timeout
from weaviate.exceptions import (
    UnexpectedStatusCodeError,
    WeaviateBaseError,
    WeaviateConnectionError,
    WeaviateGRPCUnavailableError,
    WeaviateRetryError,
    WeaviateTimeoutError,
)
from weaviate.logger import logger as client_logger
from weaviate.outputs.batch import ErrorObject

from knowledge.stores.base import SchemaMismatchError, StoreUnavailableError

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 3  # tries per operation on transient errors (connection refused, 503, UNAVAILABLE)
BACKOFF_S = 0.1  # first retry delay; doubles per retry
PROBE_TIMEOUT_S = 1.0  # readiness probe while Weaviate is known to be failing

# gRPC calls wait for the channel to (re)connect until their deadline instead of failing at once:
# the client retries UNAVAILABLE itself with sleeps of 1, 2, 4... seconds (over 30 s in total),
# which would turn an outage into a hang. Reconnect backoff stays short so a restarted server is
# picked up within a second.
# A start-up error counts only through its cause (a refused connection is transient; a server
# too old for this client is not).
_TRANSIENT = (
    httpx.TransportError,
    WeaviateConnectionError,
    WeaviateGRPCUnavailableError,
    WeaviateRetryError,
)

_WAIT_FOR_READY = {
    "methodConfig": [{"name": [{"service": "weaviate.v1.Weaviate"}], "waitForReady": True}]
}
_GRPC_OPTIONS = [
    ("grpc.service_config", json.dumps(_WAIT_FOR_READY)),
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1_000),
    ("grpc.enable_http_proxy", 0),
]


class WeaviateConnection:
    """One Weaviate client, created on first use, and every call through it retried and classified.

    Every call has a timeout; transient failures are retried with exponential backoff; anything
    that still fails reaches the caller as StoreUnavailableError with a one-line reason. After a
    failure, calls first probe the server's readiness endpoint so an outage fails fast instead
    of waiting out each timeout.
    """

    def __init__(self, url: str, *, grpc_port: int, api_key: str | None, timeout_s: float) -> None:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if not parts.hostname:
            raise ValueError(f"not a Weaviate URL: {url!r}")
        self.url = url
        self.timeout_s = timeout_s
        self._secure = parts.scheme == "https"
        self._host = parts.hostname
        self._http_port = parts.port or (443 if self._secure else 80)
        self._grpc_port = grpc_port
        self._api_key = api_key
        self._client: weaviate.WeaviateClient | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._failing = False

    def client(self) -> weaviate.WeaviateClient:
        with self._lock:
            if self._closed:
                raise StoreUnavailableError("the Weaviate store was closed")
            if self._client is None:
                self._client = weaviate.connect_to_custom(
                    http_host=self._host,
                    http_port=self._http_port,
                    http_secure=self._secure,
                    grpc_host=self._host,
                    grpc_port=self._grpc_port,
                    grpc_secure=self._secure,
                    auth_credentials=Auth.api_key(self._api_key) if self._api_key else None,
                    additional_config=AdditionalConfig(
                        timeout=Timeout(
                            query=self.timeout_s, insert=self.timeout_s, init=self.timeout_s
                        ),
                        grpc_config=GrpcConfig(channel_options=_GRPC_OPTIONS),
                    ),
                    # The init checks ask PyPI for the latest client version: no network
                    # calls besides Weaviate's, and readiness is probed on failure instead.
                    skip_init_checks=True,
                )
                # Process-wide but idempotent: addFilter skips a filter already attached.
                client_logger.addFilter(_REDACT_FAILED_OBJECTS)
            return self._client

    def ready(self) -> bool:
        """Quick readiness check used while calls are failing (public endpoint, no auth)."""
        scheme = "https" if self._secure else "http"
        ready = f"{scheme}://{self._host}:{self._http_port}/v1/.well-known/ready"
        try:
            return httpx.get(ready, timeout=min(PROBE_TIMEOUT_S, self.timeout_s)).is_success
        except httpx.HTTPError:
            return False

    def call(self, action: str, work: Callable[[weaviate.WeaviateClient], T]) -> T:
        """`work(client)`, retried on transient errors; `action` completes "... while <action>"."""
        if self._failing and not self.ready():
            raise StoreUnavailableError(
                f"Weaviate at {self.url} is unavailable (not ready) while {action}"
            )
        delay = BACKOFF_S
        for attempt in range(1, ATTEMPTS + 1):
            try:
                result = work(self.client())
            except (StoreUnavailableError, SchemaMismatchError, ValueError):
                raise
            except Exception as exc:
                kind = classify(exc)
                log.debug(
                    "weaviate %s failed (%s, attempt %d)", action, kind, attempt, exc_info=True
                )
                if kind == "transient" and attempt < ATTEMPTS:
                    time.sleep(delay)
                    delay *= 2
                    continue
                if kind != "error":
                    self._failing = True
                reason = {
                    "transient": "is unreachable",
                    "timeout": f"did not answer within {self.timeout_s:g} s",
                }.get(kind, "failed")
                # `from None`: callers get one plain line, not a chain of gRPC internals
                # (the full error is logged above at DEBUG).
                raise StoreUnavailableError(
                    f"Weaviate at {self.url} {reason} while {action}: {one_line(exc)}"
                ) from None
            self._failing = False
            return result
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except WeaviateBaseError:  # closing a half-dead connection must not raise
                log.debug("closing the Weaviate client failed", exc_info=True)


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and what caused it (the client wraps RpcError and httpx errors)."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    return chain


def classify(exc: BaseException) -> str:
    """'transient' (retry), 'timeout' (no retry: it would multiply the wait) or 'error'."""
    for err in _chain(exc):
        if isinstance(err, grpc.RpcError) and callable(getattr(err, "code", None)):
            code = err.code()
            if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED):
                return "transient"
            return "timeout" if code == grpc.StatusCode.DEADLINE_EXCEEDED else "error"
        if isinstance(err, UnexpectedStatusCodeError):
            return "transient" if err.status_code in (502, 503, 504) else "error"
        if isinstance(err, httpx.TimeoutException | WeaviateTimeoutError):
            return "timeout"
        if isinstance(err, _TRANSIENT):
            return "transient"
    return "error"


def one_line(exc: BaseException) -> str:
    """The error's text on one line, at most 300 characters."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


class _RedactFailedObjects(logging.Filter):
    """Keeps the uuid and reason of each object in insert_many's partial-failure record.

    weaviate-client (collections/data/executor.py, logger "weaviate-client") logs that record
    at ERROR with every refused object whole: properties (policy text) and vector included.
    The adapter already returns the same failures in UpsertResult, so the record stays, minus
    the objects. Every other record passes untouched.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg
        if isinstance(msg, dict) and isinstance(msg.get("errors"), dict):
            errors: dict[Any, Any] = msg["errors"]
            if any(isinstance(err, ErrorObject) for err in errors.values()):
                # A new dict: the ErrorObjects themselves belong to the caller's result.
                record.msg = {**msg, "errors": {i: _redacted(err) for i, err in errors.items()}}
        return True


def _redacted(err: object) -> object:
    if not isinstance(err, ErrorObject):
        return err
    uuid = err.original_uuid or err.object_.uuid
    return {"uuid": str(uuid), "message": err.message}


_REDACT_FAILED_OBJECTS = _RedactFailedObjects()
