"""What every console handler receives: the process's services and how to answer questions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from threading import Lock

from knowledge.answering.answer_types import AnswerService
from knowledge.db.admins import ThrottlePolicy
from knowledge.db.document_models import utcnow
from knowledge.services import Services

AnswerFactory = Callable[[str], AnswerService]
"""backend spec ("local", "extractive", "adapter:PATH" ...) -> an answer service."""


@dataclass
class ConsoleContext:
    """The console's dependencies, built once by the composition root (`python -m admin`)."""

    services: Services
    answer_factory: AnswerFactory
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    clock: Callable[[], datetime] = utcnow
    _answerers: dict[str, AnswerService] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock)

    def answerer(self, backend: str) -> AnswerService:
        """One answer service per backend, built on first use and kept (models load once)."""
        with self._lock:
            if backend not in self._answerers:
                self._answerers[backend] = self.answer_factory(backend)
            return self._answerers[backend]

    def now(self) -> datetime:
        return self.clock()
