"""The month benchmark's own figures: the loss curve drawn, the 18F scores picked right."""

from __future__ import annotations

import re

from benchmarks.bench_learning_loop import _pick, curve_svg


def test_the_figure_draws_each_step_its_running_mean_and_the_validation_losses() -> None:
    curve = [{"step": s, "loss": 1.0 / s} for s in range(1, 11)] + [{"step": 10, "eval_loss": 0.4}]
    svg = curve_svg(curve, window=4)
    lines = re.findall(r'<polyline [^>]*points="([^"]+)"', svg)
    assert [len(points.split()) for points in lines] == [10, 10]
    raw, mean = ([tuple(map(float, p.split(","))) for p in line.split()] for line in lines)
    assert raw[0][1] < raw[-1][1]  # the loss falls: its y (downwards in SVG) grows
    assert mean[0] == raw[0] and mean[-1][1] < raw[-1][1]  # the mean lags the falling loss
    assert svg.count("<circle") == 1 and "validation loss" in svg


def test_no_losses_no_figure() -> None:
    assert curve_svg([]) == ""
    assert curve_svg([{"step": 1, "lr": 0.0}]) == ""


def test_the_18f_figures_carry_the_refusal_rate_and_the_grounding_pass_rate() -> None:
    picked = _pick({"refusal_rate_answerable": 0.25, "grounding_failure_rate": 0.4})
    assert picked["refused_answerable"] == 0.25 and picked["grounding_pass_rate"] == 0.6
    assert _pick({"grounding_failure_rate": None})["grounding_pass_rate"] is None
