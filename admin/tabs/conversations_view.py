"""Conversations tab layout: filters, the paged exchange table, detail, decisions, preview."""

from __future__ import annotations

from typing import Any

import gradio as gr

from admin.auth import action
from admin.context import ConsoleContext
from admin.tabs.conversations import (
    FILTERS,
    HEADERS,
    KINDS,
    correct_answer,
    decide,
    exchange_detail,
    exchange_table,
    make_filter,
    sync_queue,
)


def _ids_on(rows: Any) -> list[int]:
    try:
        return [int(v) for v in rows.iloc[:, 0].tolist() if str(v).strip()]
    except (AttributeError, ValueError):
        return []


def build(ctx: ConsoleContext, tab: gr.Tab) -> None:
    with gr.Row():
        chosen = gr.CheckboxGroup(FILTERS, label="Show only", scale=3)
        kinds = gr.CheckboxGroup(KINDS, label="Channel kind", scale=2)
    with gr.Row():
        since = gr.Textbox(label="From (YYYY-MM-DD)")
        until = gr.Textbox(label="To (YYYY-MM-DD)")
        search = gr.Textbox(label="Question contains")
        page = gr.Number(value=1, label="Page", precision=0, minimum=1)
        refresh = gr.Button("Refresh")
        sync = gr.Button("Sync votes")
    page_label = gr.Markdown()
    table = gr.Dataframe(headers=HEADERS, interactive=False, wrap=True, label="Exchanges")
    with gr.Row():
        selected = gr.Number(label="Exchange id (click a row)", precision=0)
        token = gr.Textbox(visible=False)
        reason = gr.Textbox(label="Reason (needed to reject)", scale=2)
    with gr.Row():
        approve = gr.Button("Approve", variant="primary")
        reject = gr.Button("Reject", variant="stop")
        reopen = gr.Button("Back to new")
        approve_page = gr.Button("Approve whole page")
        reject_page = gr.Button("Reject whole page")
    message = gr.Markdown()
    with gr.Row():
        detail = gr.Markdown(label="Exchange")
        preview = gr.Textbox(
            label="What would enter a dataset (the prompt builder's example, PII scrubbed as "
            "the dataset build does)",
            lines=14,
            interactive=False,
        )
    correction = gr.Textbox(label="Write or fix the answer", lines=3)
    save_correction = gr.Button("Save correction and approve")
    inputs = [chosen, kinds, since, until, search, page]

    @action(ctx, "viewer")
    def on_table(
        chosen: list[str],
        kinds: list[str],
        since: str,
        until: str,
        search: str,
        page: float,
        request: gr.Request,
    ) -> tuple[Any, str]:
        return exchange_table(ctx, make_filter(chosen, kinds, since, until, search), int(page or 1))

    @action(ctx, "viewer")
    def on_detail(exchange_id: float, request: gr.Request) -> tuple[str, str, str]:
        if not exchange_id:
            return "", "", ""
        return exchange_detail(ctx, int(exchange_id))

    def decision(kind: str) -> Any:
        @action(ctx, "editor")
        def on_decide(exchange_id: float, reason: str, token: str, request: gr.Request) -> str:
            ids = [int(exchange_id)] if exchange_id else []
            return decide(ctx, ids, kind, reason, str(request.username), token)

        return on_decide

    def bulk(kind: str) -> Any:
        @action(ctx, "editor")
        def on_bulk(rows: Any, reason: str, request: gr.Request) -> str:
            return decide(ctx, _ids_on(rows), kind, reason, str(request.username))

        return on_bulk

    @action(ctx, "editor")
    def on_correct(exchange_id: float, text: str, token: str, request: gr.Request) -> str:
        if not exchange_id:
            raise ValueError("Pick an exchange (click a row) first.")
        return correct_answer(ctx, int(exchange_id), text, str(request.username), token)

    @action(ctx, "editor")
    def on_sync(request: gr.Request) -> str:
        return sync_queue(ctx, str(request.username))

    def on_select(evt: gr.SelectData, rows: Any) -> Any:
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        try:
            return int(rows.iloc[row, 0])
        except (AttributeError, IndexError, ValueError):
            return None

    table_out = [table, page_label]
    detail_out = [detail, preview, token]
    tab.select(on_table, inputs, table_out, api_name="exchanges")
    for trigger in (refresh.click, search.submit, page.submit, chosen.change, kinds.change):
        trigger(on_table, inputs, table_out, api_visibility="private")
    table.select(on_select, [table], [selected], api_visibility="private").then(
        on_detail, [selected], detail_out, api_visibility="private"
    )
    selected.submit(on_detail, [selected], detail_out, api_name="exchange")
    for button, kind in ((approve, "approve"), (reject, "reject"), (reopen, "reopen")):
        button.click(
            decision(kind), [selected, reason, token], [message], api_name=f"curation_{kind}"
        ).then(on_table, inputs, table_out, api_visibility="private").then(
            on_detail, [selected], detail_out, api_visibility="private"
        )
    for button, kind in ((approve_page, "approve"), (reject_page, "reject")):
        button.click(bulk(kind), [table, reason], [message], api_name=f"curation_bulk_{kind}").then(
            on_table, inputs, table_out, api_visibility="private"
        )
    save_correction.click(
        on_correct, [selected, correction, token], [message], api_name="curation_correct"
    ).then(on_detail, [selected], detail_out, api_visibility="private").then(
        on_table, inputs, table_out, api_visibility="private"
    )
    sync.click(on_sync, [], [message], api_name="curation_sync").then(
        on_table, inputs, table_out, api_visibility="private"
    )
