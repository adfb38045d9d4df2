"""Models tab layout: the registry, lineage, evaluation report, promote and roll back."""

from __future__ import annotations

from typing import Any

import gradio as gr

from admin.auth import action
from admin.context import ConsoleContext
from admin.tabs.models import (
    HEADERS,
    HISTORY_HEADERS,
    evaluate,
    history_rows,
    lineage,
    promote,
    report_view,
    rollback,
    version_rows,
)


def build(ctx: ConsoleContext, tab: gr.Tab) -> None:
    versions = gr.Dataframe(headers=HEADERS, interactive=False, wrap=True, label="Registry")
    with gr.Row():
        version_id = gr.Textbox(label="Version id (click a row)", scale=2)
        evaluate_button = gr.Button("Evaluate", scale=1)
    with gr.Row():
        details = gr.Markdown()
        verdict = gr.Markdown()
    figures = gr.BarPlot(
        x="metric",
        y="value",
        color="answerer",
        title="Candidate vs live vs base",
        height=280,
        y_lim=[0, 1],
    )
    questions = gr.Dataframe(
        headers=["against", "result", "question"], interactive=False, label="Per-question"
    )
    with gr.Row():
        force = gr.Checkbox(label="Force past a failing gate (owner; needs a reason)")
        reason = gr.Textbox(label="Reason", scale=2)
    with gr.Row():
        promote_button = gr.Button("Promote", variant="primary")
        rollback_button = gr.Button("Roll back", variant="stop")
    message = gr.Markdown()
    history = gr.Dataframe(headers=HISTORY_HEADERS, interactive=False, label="Promotions")

    @action(ctx, "viewer")
    def on_refresh(request: gr.Request) -> tuple[Any, Any]:
        return version_rows(ctx), history_rows(ctx)

    @action(ctx, "viewer")
    def on_version(version: str, request: gr.Request) -> tuple[Any, ...]:
        if not version.strip():
            return "", "", None, []
        text, frame, rows = report_view(ctx, version)
        return lineage(ctx, version), text, frame, rows

    @action(ctx, "trainer")
    def on_evaluate(version: str, request: gr.Request) -> str:
        return evaluate(ctx, version, str(request.username))

    @action(ctx, "trainer")
    def on_promote(version: str, forced: bool, why: str, request: gr.Request) -> str:
        if forced:
            from admin.auth import session_user

            session_user(ctx, request, "owner")
        return promote(ctx, version, forced, why, str(request.username))

    @action(ctx, "trainer")
    def on_rollback(why: str, request: gr.Request) -> str:
        return rollback(ctx, why, str(request.username))

    def on_select(evt: gr.SelectData, rows: Any) -> str:
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        try:
            return str(rows.iloc[row, 0])
        except (AttributeError, IndexError):
            return ""

    tables = [versions, history]
    shown = [details, verdict, figures, questions]
    tab.select(on_refresh, [], tables, api_name="models")
    versions.select(on_select, [versions], [version_id], api_visibility="private").then(
        on_version, [version_id], shown, api_visibility="private"
    )
    version_id.submit(on_version, [version_id], shown, api_name="model_version")
    evaluate_button.click(on_evaluate, [version_id], [message], api_name="evaluate")
    promote_button.click(
        on_promote, [version_id, force, reason], [message], api_name="promote"
    ).then(on_refresh, [], tables, api_visibility="private")
    rollback_button.click(on_rollback, [reason], [message], api_name="rollback").then(
        on_refresh, [], tables, api_visibility="private"
    )
