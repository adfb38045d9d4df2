"""Training tab layout: datasets, hyperparameters, the job queue, live loss curves and the log."""

from __future__ import annotations

from typing import Any

import gradio as gr

from admin.auth import action
from admin.context import ConsoleContext
from admin.tabs.training import (
    DATASET_HEADERS,
    JOB_HEADERS,
    build_dataset,
    cancel_job,
    dataset_preview,
    dataset_rows,
    job_log,
    job_rows,
    loss_curves,
    slack_consent_note,
    start_training,
    worker_status,
)
from admin.tabs.training_fields import PROFILES, hyperparameters

REFRESH_SECONDS = 2.0


def _first_cell(evt: gr.SelectData, rows: Any) -> Any:
    row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
    try:
        return rows.iloc[row, 0]
    except (AttributeError, IndexError):
        return None


def build(ctx: ConsoleContext, tab: gr.Tab) -> None:
    workers = gr.Markdown()
    gr.Markdown("### Datasets")
    datasets = gr.Dataframe(headers=DATASET_HEADERS, interactive=False, wrap=True)
    with gr.Row():
        dataset_id = gr.Textbox(label="Dataset id (click a row)", scale=2)
        preview = gr.Button("Preview", scale=1)
        build_button = gr.Button("Build a dataset from approved items", scale=2)
        then_train = gr.Checkbox(label="then train on it", scale=1)
    with gr.Row():
        gr.Markdown(slack_consent_note(ctx))
        include_slack = gr.Checkbox(label="include Slack conversations in this build")
    with gr.Row():
        stats = gr.Code(label="Manifest and statistics", language="json", lines=12)
        examples = gr.Textbox(label="Examples as chat", lines=12, interactive=False)
    gr.Markdown("### Hyperparameters")
    profile = gr.Dropdown(list(PROFILES), value="fast", label="Profile")
    fields = []
    with gr.Row():
        for h in hyperparameters():
            fields.append(
                gr.Textbox(value=str(h.default), label=h.name, info=h.help, min_width=200)
            )
    names = [h.name for h in hyperparameters()]
    start = gr.Button("Start training", variant="primary")
    message = gr.Markdown()
    gr.Markdown("### Jobs")
    job_table = gr.Dataframe(headers=JOB_HEADERS, interactive=False, wrap=True)
    with gr.Row():
        job_id = gr.Number(label="Job id (click a row)", precision=0)
        cancel = gr.Button("Cancel job", variant="stop")
    curves = gr.LinePlot(x="step", y="loss", color="series", title="Loss", height=280)
    log = gr.Textbox(label="Job log", lines=10, interactive=False, autoscroll=True)
    timer = gr.Timer(REFRESH_SECONDS, active=False)

    @action(ctx, "viewer")
    def on_refresh(request: gr.Request) -> tuple[Any, ...]:
        return worker_status(ctx), dataset_rows(ctx), job_rows(ctx)

    @action(ctx, "viewer")
    def on_job(job: float, request: gr.Request) -> tuple[Any, str]:
        if not job:
            return loss_curves(ctx, 0), ""
        return loss_curves(ctx, int(job)), job_log(ctx, int(job))

    @action(ctx, "viewer")
    def on_preview(dataset: str, request: gr.Request) -> tuple[str, str]:
        return dataset_preview(ctx, dataset)

    def values_of(data: dict[Any, Any]) -> dict[str, Any]:
        return {name: data.get(field) for name, field in zip(names, fields, strict=True)}

    @action(ctx, "trainer")
    def on_build(data: dict[Any, Any], request: gr.Request) -> str:
        return build_dataset(
            ctx,
            bool(data.get(then_train)),
            str(data.get(profile)),
            values_of(data),
            str(request.username),
            include_slack=bool(data.get(include_slack)),
        )

    @action(ctx, "trainer")
    def on_start(data: dict[Any, Any], request: gr.Request) -> str:
        return start_training(
            ctx,
            str(data.get(dataset_id) or ""),
            str(data.get(profile)),
            values_of(data),
            str(request.username),
        )

    @action(ctx, "trainer")
    def on_cancel(job: float, request: gr.Request) -> str:
        if not job:
            raise ValueError("Pick a job (click a row) first.")
        return cancel_job(ctx, int(job), str(request.username))

    overview = [workers, datasets, job_table]
    tab.select(on_refresh, [], overview, api_name="training").then(
        lambda: gr.Timer(active=True), None, timer, api_visibility="private"
    )
    timer.tick(on_refresh, [], overview, api_visibility="private").then(
        on_job, [job_id], [curves, log], api_visibility="private"
    )
    datasets.select(_first_cell, [datasets], [dataset_id], api_visibility="private")
    job_table.select(_first_cell, [job_table], [job_id], api_visibility="private").then(
        on_job, [job_id], [curves, log], api_visibility="private"
    )
    job_id.submit(on_job, [job_id], [curves, log], api_name="job")
    preview.click(on_preview, [dataset_id], [stats, examples], api_name="dataset_preview")
    build_button.click(
        on_build,
        {then_train, include_slack, profile, *fields},
        [message],
        api_name="dataset_build",
    ).then(on_refresh, [], overview, api_visibility="private")
    start.click(on_start, {dataset_id, profile, *fields}, [message], api_name="train").then(
        on_refresh, [], overview, api_visibility="private"
    )
    cancel.click(on_cancel, [job_id], [message], api_name="cancel_job").then(
        on_refresh, [], overview, api_visibility="private"
    )
