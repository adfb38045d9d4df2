"""Insights: questions per day, answer / abstain / thumbs-up rates, latency, gaps, overdue docs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import gradio as gr
import pandas as pd

from admin.auth import action
from admin.context import ConsoleContext
from knowledge.db import insights

GAP_HEADERS = ["topic", "questions", "examples"]
OVERDUE_HEADERS = ["document", "title", "owner", "review by", "days overdue"]


@dataclass(frozen=True)
class InsightFrames:
    """Everything the Insights tab draws, as plain data frames."""

    volume: pd.DataFrame
    rates: pd.DataFrame
    latency: pd.DataFrame
    gaps: pd.DataFrame
    gap_rows: list[list[Any]]
    overdue: pd.DataFrame
    overdue_rows: list[list[Any]]
    summary: str


def frames(ctx: ConsoleContext, days: int = 30) -> InsightFrames:
    days = max(1, min(int(days), 365))
    now = ctx.now()
    today = now.date()
    with ctx.services.db.session() as session:
        daily = insights.daily_stats(session, today=today, days=days)
        gaps = insights.knowledge_gaps(session, since=now - timedelta(days=days))
        overdue = insights.overdue_documents(session, today=today)
    volume = pd.DataFrame(
        {"day": pd.to_datetime([d.day for d in daily]), "questions": [d.questions for d in daily]}
    )
    rates = pd.DataFrame(
        [
            {"day": pd.Timestamp(d.day), "rate": value, "metric": metric}
            for d in daily
            if d.questions
            for metric, value in (
                ("answered", d.answer_rate),
                ("abstained", d.abstain_rate),
                ("thumbs up", d.thumbs_up_rate),
            )
            if value is not None
        ],
        columns=["day", "rate", "metric"],
    )
    latency = pd.DataFrame(
        [
            {"day": pd.Timestamp(d.day), "seconds": value, "percentile": name}
            for d in daily
            for name, value in (("p50", d.latency_p50_s), ("p95", d.latency_p95_s))
            if value is not None
        ],
        columns=["day", "seconds", "percentile"],
    )
    gap_frame = pd.DataFrame(
        {"topic": [g.label for g in gaps], "questions": [g.count for g in gaps]},
        columns=["topic", "questions"],
    )
    overdue_frame = pd.DataFrame(
        {"document": [o.document_id for o in overdue], "days": [o.days_overdue for o in overdue]},
        columns=["document", "days"],
    )
    total = sum(d.questions for d in daily)
    answered = sum(d.answered for d in daily)
    abstained = sum(d.abstained for d in daily)
    up = sum(d.thumbs_up for d in daily)
    votes = up + sum(d.thumbs_down for d in daily)
    summary = (
        f"Last {days} days: **{total}** questions · answered {_pct(answered, total)} · "
        f"abstained {_pct(abstained, total)} · thumbs up {_pct(up, votes)} of {votes} votes · "
        f"{len(overdue)} documents overdue for review"
    )
    return InsightFrames(
        volume,
        rates,
        latency,
        gap_frame,
        [[g.label, g.count, " | ".join(g.examples)] for g in gaps],
        overdue_frame,
        [
            [o.document_id, o.title, o.owner or "", o.review_by.isoformat(), o.days_overdue]
            for o in overdue
        ],
        summary,
    )


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def build(ctx: ConsoleContext, tab: gr.Tab) -> None:
    with gr.Row():
        days = gr.Slider(7, 180, value=30, step=1, label="Days")
        refresh = gr.Button("Refresh")
    summary = gr.Markdown()
    with gr.Row():
        volume = gr.BarPlot(x="day", y="questions", title="Questions per day", height=260)
        rates = gr.LinePlot(
            x="day",
            y="rate",
            color="metric",
            title="Answer, abstain and thumbs-up rates",
            y_lim=[0, 1],
            height=260,
        )
    with gr.Row():
        latency = gr.LinePlot(
            x="day", y="seconds", color="percentile", title="Answer latency (s)", height=260
        )
        gaps = gr.BarPlot(
            x="topic",
            y="questions",
            title="Knowledge gaps: abstained or thumbs-down topics",
            height=260,
            sort="-y",
        )
    gap_table = gr.Dataframe(headers=GAP_HEADERS, label="Knowledge gaps", wrap=True)
    with gr.Row():
        overdue = gr.BarPlot(
            x="document",
            y="days",
            title="Documents overdue for review (days)",
            height=260,
            sort="-y",
        )
    overdue_table = gr.Dataframe(headers=OVERDUE_HEADERS, label="Overdue for review", wrap=True)

    @action(ctx, "viewer")
    def on_refresh(days: float, request: gr.Request) -> tuple[Any, ...]:
        f = frames(ctx, int(days))
        return (
            f.summary,
            f.volume,
            f.rates,
            f.latency,
            f.gaps,
            f.gap_rows,
            f.overdue,
            f.overdue_rows,
        )

    outputs = [summary, volume, rates, latency, gaps, gap_table, overdue, overdue_table]
    tab.select(on_refresh, [days], outputs, api_name="insights")
    refresh.click(on_refresh, [days], outputs, api_visibility="private")
