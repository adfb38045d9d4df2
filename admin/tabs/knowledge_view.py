"""Knowledge tab layout: upload, the document table, preview, replace, review, delete, re-index."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from admin.auth import action
from admin.context import ConsoleContext
from admin.tabs.knowledge import (
    AT_SOURCE_CHOICES,
    DOC_HEADERS,
    RESULT_HEADERS,
    chunk_preview,
    confirm_review,
    delete_document,
    document_table,
    reindex_now,
    replace_document,
    upload,
)


def build(ctx: ConsoleContext, tab: gr.Tab) -> None:
    limit_mb = ctx.services.settings.max_upload_bytes // (1024 * 1024)
    with gr.Accordion("Upload documents", open=True):
        files = gr.File(
            label=f"PDF, DOCX, Markdown, HTML or text (up to {limit_mb} MB each)",
            file_count="multiple",
            file_types=[".pdf", ".docx", ".md", ".markdown", ".html", ".htm", ".txt"],
        )
        with gr.Row():
            audiences = gr.Textbox(label="Audiences (blank: what the file says)")
            owner = gr.Textbox(label="Owner (email)")
            review_by = gr.Textbox(label="Review by (YYYY-MM-DD)")
        upload_button = gr.Button("Upload and index", variant="primary")
        upload_status = gr.Markdown()
        results = gr.Dataframe(headers=RESULT_HEADERS, label="Per-file results", wrap=True)
    with gr.Row():
        search = gr.Textbox(label="Search documents", scale=3)
        page = gr.Number(value=1, label="Page", precision=0, minimum=1, scale=1)
        refresh = gr.Button("Refresh", scale=1)
        reindex = gr.Button("Re-index now", scale=1)
    page_label = gr.Markdown()
    table = gr.Dataframe(headers=DOC_HEADERS, label="Documents", wrap=True, interactive=False)
    with gr.Row():
        selected = gr.Textbox(label="Document id (click a row)", scale=2)
        preview = gr.Button("Preview chunks", scale=1)
    with gr.Row():
        replacement = gr.File(label="Replace with", file_count="single", scale=2)
        replace = gr.Button("Replace", scale=1)
    with gr.Row():
        until = gr.Textbox(label="Still correct until (YYYY-MM-DD)", scale=2)
        review = gr.Button("Confirm review", scale=1)
    with gr.Row():
        at_source = gr.Radio(
            AT_SOURCE_CHOICES, label="If a watched source still holds it", value="", scale=2
        )
        delete = gr.Button("Delete", variant="stop", scale=1)
    message = gr.Markdown()
    chunks = gr.Textbox(label="Chunks", lines=12, interactive=False)

    @action(ctx, "editor")
    def on_upload(
        files: list[Any] | None, audiences: str, owner: str, review_by: str, request: gr.Request
    ) -> Iterator[tuple[str, list[list[Any]]]]:
        yield from upload(ctx, files, audiences, owner, review_by, str(request.username))

    @action(ctx, "viewer")
    def on_table(search: str, page: float, request: gr.Request) -> tuple[Any, str]:
        return document_table(ctx, search, int(page or 1))

    @action(ctx, "viewer")
    def on_preview(document_id: str, request: gr.Request) -> str:
        return chunk_preview(ctx, document_id)

    @action(ctx, "editor")
    def on_replace(document_id: str, file: Any, request: gr.Request) -> str:
        return replace_document(ctx, document_id, file, str(request.username))

    @action(ctx, "editor")
    def on_review(document_id: str, until: str, request: gr.Request) -> str:
        return confirm_review(ctx, document_id, until, str(request.username))

    @action(ctx, "editor")
    def on_delete(document_id: str, at_source: str | None, request: gr.Request) -> str:
        return delete_document(ctx, document_id, at_source, str(request.username))

    @action(ctx, "editor")
    def on_reindex(request: gr.Request) -> str:
        return reindex_now(ctx, str(request.username))

    def on_select(evt: gr.SelectData, rows: Any) -> str:
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        try:
            return str(rows.iloc[row, 0])
        except (AttributeError, IndexError):
            return ""

    upload_button.click(
        on_upload, [files, audiences, owner, review_by], [upload_status, results], api_name="upload"
    ).then(on_table, [search, page], [table, page_label], api_visibility="private")
    tab.select(on_table, [search, page], [table, page_label], api_name="documents")
    for trigger in (refresh.click, search.submit, page.submit):
        trigger(on_table, [search, page], [table, page_label], api_visibility="private")
    table.select(on_select, [table], [selected], api_visibility="private")
    preview.click(on_preview, [selected], [chunks], api_name="chunks")
    replace.click(on_replace, [selected, replacement], [message], api_name="replace").then(
        on_table, [search, page], [table, page_label], api_visibility="private"
    )
    review.click(on_review, [selected, until], [message], api_name="review").then(
        on_table, [search, page], [table, page_label], api_visibility="private"
    )
    delete.click(on_delete, [selected, at_source], [message], api_name="delete").then(
        on_table, [search, page], [table, page_label], api_visibility="private"
    )
    reindex.click(on_reindex, [], [message], api_name="reindex")
