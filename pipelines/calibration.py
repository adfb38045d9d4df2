"""Re-calibration of abstention when the knowledge changes (a scheduled job; a no-op otherwise)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from knowledge.answering.calibration import Calibration, is_current, recalibrate
from knowledge.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CalibrationReport:
    """What one run did: skipped (the knowledge is unchanged), calibrated, or too small."""

    result: str
    """unchanged | calibrated | too_small"""
    calibration: Calibration | None = None

    def counts(self) -> dict[str, object]:
        if self.calibration is None:
            return {"result": self.result}
        c = self.calibration
        return {
            "result": self.result,
            "answerable": c.answerable,
            "unanswerable": c.unanswerable,
            "abstain_below": c.abstain_below,
            "term_check_below": c.term_check_below,
            "min_term_coverage": c.min_term_coverage,
            "synthetic_recall": c.synthetic_recall,
            "synthetic_false_abstain": c.synthetic_false_abstain,
        }


def recalibrate_if_changed(services: Services, *, force: bool = False) -> CalibrationReport:
    """Calibrate abstention on the live knowledge unless the saved calibration already matches
    it (`force` re-computes anyway)."""
    settings = services.settings
    if not settings.abstain_self_calibrate:
        return CalibrationReport("disabled")
    if not force and is_current(services.db, settings.data_dir):
        return CalibrationReport("unchanged")
    calibration = recalibrate(
        services.db, services.retriever, settings.data_dir, k=settings.search_k
    )
    if calibration is None:
        log.info("knowledge too small to calibrate abstention; configured thresholds apply")
        return CalibrationReport("too_small")
    return CalibrationReport("calibrated", calibration)
