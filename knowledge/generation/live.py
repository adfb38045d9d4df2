"""The registry's read side: answer engines per model version, and a service following the live one.

`LiveAnswerer` is the AnswerService of every answering process. It reads the registry's live
pointer (one primary-key query) at most every `poll_s` seconds; when it moved, the new
version's engine is built (a LoRA adapter loaded beside the others into the one local base
model, or loaded into the vLLM server) and later questions use it. An answer already running
keeps the engine it started with, and its pinned generator, so it finishes on the old version.
When the new version cannot be loaded, the old one keeps answering and the error is logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from knowledge.answering.answer_engine import AnswerEngine, EngineOptions
from knowledge.answering.answer_types import Answer, Asker, OnToken, Turn
from knowledge.answering.backends import UnavailableGenerator, engine_options
from knowledge.db import registry
from knowledge.db.connection import Database
from knowledge.db.document_models import utcnow
from knowledge.db.registry import VersionInfo
from knowledge.generation.base import Generator, GeneratorUnavailableError
from knowledge.generation.model_files import SHIPPED_MODEL_NAME
from knowledge.services import Services
from knowledge.settings import setting_default

logger = logging.getLogger(__name__)

RETRY_FAILED_S = 60.0
"""A live version that could not be loaded is tried again after this long, not every poll."""


class VersionEngines:
    """Builds (once) the AnswerEngine of each registry version. Every local version shares one
    loaded base model: adapters are loaded side by side and each engine holds a generator
    pinned to its own adapter, so switching versions never disturbs a running answer."""

    def __init__(
        self,
        services: Services,
        options: EngineOptions | None = None,
        *,
        local: Any = None,
        openai: Any = None,
    ) -> None:
        self._services = services
        self._settings = services.settings
        self._options = options or engine_options(services.settings)
        self._local = local
        self._openai = openai
        self._engines: dict[str, AnswerEngine] = {}
        self._lock = threading.Lock()

    def engine_for(self, version: VersionInfo) -> AnswerEngine:
        """The version's engine. Raises AdapterError (adapter missing, corrupt, for another
        base, refused by the server) or GeneratorUnavailableError (server unreachable)."""
        with self._lock:
            engine = self._engines.get(version.id)
            if engine is None:
                generator = self._generator_for(version)
                engine = AnswerEngine(self._services.retriever, generator, self._options)
                self._engines[version.id] = engine
            return engine

    def _generator_for(self, version: VersionInfo) -> Generator | None:
        if version.kind == "extractive" or self._settings.generator == "extractive":
            return None  # HELPBOT_GENERATOR=extractive: this process never runs a model
        if self._settings.generator == "openai":
            return self._openai_for(version)
        local = self._local_model()
        if isinstance(local, UnavailableGenerator):
            return local
        if version.kind == "base":
            return local.with_adapter(None)
        name = local.load_adapter(version.adapter_path or "", name=version.id, activate=False)
        return local.with_adapter(name)

    def _local_model(self) -> Any:
        if self._local is None:
            from knowledge.generation.factory import build_generator

            s = self._settings
            try:
                self._local = build_generator(
                    "local",
                    base_model=s.base_model,
                    models_dir=s.models_dir,
                    device=s.generation_device,
                    max_new_tokens=s.max_new_tokens,
                    timeout_s=s.generation_timeout_s,
                )
            except GeneratorUnavailableError as error:
                logger.error("the local model is unavailable; answers will quote passages")
                self._local = UnavailableGenerator(str(error))
        return self._local

    def _openai_for(self, version: VersionInfo) -> Generator:
        if self._openai is None:
            from knowledge.generation.factory import build_generator

            s = self._settings
            self._openai = build_generator(
                "openai",
                max_new_tokens=s.max_new_tokens,
                timeout_s=s.generation_timeout_s,
                openai_base_url=s.openai_base_url,
                openai_api_key=s.openai_api_key.get_secret_value(),
                openai_model=s.openai_model,
            )
        server = self._openai
        if version.kind == "base":
            return server.with_model(self._settings.openai_model)
        server.load_adapter(version.id, version.adapter_path or "")
        label = f"{self._settings.openai_model}+adapter:{version.id}"
        return server.with_model(version.id, label)


class LiveAnswerer:
    """An AnswerService that answers with whatever version the registry says is live."""

    def __init__(
        self,
        db: Database,
        engines: VersionEngines,
        *,
        poll_s: float = setting_default("model_poll_seconds"),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._engines = engines
        self.poll_s = poll_s
        self._clock = clock
        self._version_id: str | None = None
        self._engine: AnswerEngine | None = None
        self._checked_at: float | None = None
        self._failed: dict[str, float] = {}  # version id -> when loading it last failed
        self._switching = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def version_id(self) -> str | None:
        """The registry version answering now (None before the first look)."""
        return self._version_id

    @property
    def model_version(self) -> str:
        return self._engine.model_version if self._engine else registry.EXTRACTIVE_ID

    def answer(
        self,
        question: str,
        asker: Asker,
        history: tuple[Turn, ...] = (),
        *,
        on_token: OnToken | None = None,
    ) -> Answer:
        engine = self.current_engine()  # held for the whole answer: a switch cannot touch it
        return engine.answer(question, asker, history, on_token=on_token)

    def current_engine(self) -> AnswerEngine:
        checked = self._checked_at
        if checked is None or self._clock() - checked >= self.poll_s:
            self.refresh()
        if self._engine is None:  # the registry could not be read at all: quote passages
            self._engine = self._engines.engine_for(_EXTRACTIVE)
        return self._engine

    def refresh(self) -> str | None:
        """Look at the live pointer now and switch if it moved; returns the serving version.

        Never raises: an unreadable registry or an unloadable version is logged and the
        current version keeps answering. Only one thread switches at a time; others go on
        with the current engine meanwhile.
        """
        if not self._switching.acquire(blocking=self._engine is None):
            return self._version_id
        try:
            self._checked_at = self._clock()
            try:
                live = registry.live_version_id(self._db)
            except Exception as error:  # one line a poll: the poll retries every few seconds
                logger.warning(
                    "cannot read the model registry (%s); keeping %s",
                    type(error).__name__,
                    self._version_id,
                )
                return self._version_id
            if live is None or live == self._version_id:
                return self._version_id
            failed_at = self._failed.get(live)
            if failed_at is not None and self._clock() - failed_at < RETRY_FAILED_S:
                return self._version_id
            self._switch_to(live)
            return self._version_id
        finally:
            self._switching.release()

    def _switch_to(self, version_id: str) -> None:
        started = time.perf_counter()
        try:
            version = registry.get_version(self._db, version_id)
            engine = self._engines.engine_for(version)
        except Exception as error:
            self._failed[version_id] = self._clock()
            logger.error(
                "live version %s cannot be loaded (%s: %s); %s keeps answering",
                version_id,
                type(error).__name__,
                error,
                self._version_id or "extractive",
            )
            return
        previous, self._version_id, self._engine = self._version_id, version_id, engine
        self._failed.pop(version_id, None)
        logger.info(
            "now answering with %s (was %s; switch took %.2f s)",
            version_id,
            previous,
            time.perf_counter() - started,
        )

    # --- optional background polling (switches before the next question arrives) --------

    def start(self) -> None:
        """Poll in a daemon thread every poll_s, so a new version is loaded ahead of need."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._poll, name="helpbot-live-model", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_s):
            self.refresh()


_EXTRACTIVE = VersionInfo(
    id=registry.EXTRACTIVE_ID,
    kind="extractive",
    base_model="",
    base_revision="",
    adapter_path=None,
    dataset_version_id=None,
    dataset_hash=None,
    hyperparameters={},
    code_version="",
    status="live",
    metrics={},
    error=None,
    created_by="",
    created_at=utcnow(),
    promoted_by=None,
    promoted_at=None,
)


def configured_base_model(services: Services) -> str:
    """The base model as the registry records it: the setting, or the shipped model's name."""
    return services.settings.base_model or SHIPPED_MODEL_NAME


def live_answer_service(services: Services, *, start: bool = True) -> LiveAnswerer:
    """The AnswerService of an answering process: bootstraps the registry if needed and
    follows its live pointer (every `model_poll_seconds`, in a background thread if `start`)."""
    registry.ensure_bootstrap(services.db, base_model=configured_base_model(services))
    poll_s = float(getattr(services.settings, "model_poll_seconds", 2.0))
    answerer = LiveAnswerer(services.db, VersionEngines(services), poll_s=poll_s)
    if start:
        answerer.start()
    return answerer
