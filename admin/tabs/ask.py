"""Ask (playground): one question to up to three answerers side by side, with every signal shown."""

from __future__ import annotations

from typing import Any

import gradio as gr

from admin.auth import action, record
from admin.context import ConsoleContext
from knowledge.answering.abstention import AbstentionRule, signals
from knowledge.answering.answer_types import Answer, Asker
from knowledge.stores.base import EVERYONE

PASSAGE_HEADERS = ["#", "document", "section", "fused", "bm25", "vector", "stale", "text"]
MAX_COLUMNS = 3


def backend_choices(ctx: ConsoleContext) -> list[str]:
    """What the playground can compare: the configured (live) answerer, the extractive
    answer, the base model, and every registered adapter."""
    choices = ["live", "extractive", "base"]
    try:
        from knowledge.db import registry

        for version in registry.list_versions(ctx.services.db):
            if version.adapter_path and version.status != "retired":
                choices.append(f"adapter:{version.adapter_path}")
    except Exception:  # the registry is optional: the playground still works without it
        pass
    return choices


def parse_audiences(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(a.strip() for a in text.split(",") if a.strip()))
    return chosen or (EVERYONE,)


def explain(answer: Answer, ctx: ConsoleContext) -> str:
    """Why the engine answered or abstained, and whether the grounding check passed."""
    settings = ctx.services.settings
    if answer.abstained:
        if not answer.passages:
            reason = "nothing the asker may see was retrieved"
        else:
            rule = AbstentionRule(
                settings.abstain_below,
                settings.abstain_term_check_below,
                settings.abstain_min_term_coverage,
            )
            seen = signals(answer.standalone_question, answer.passages)
            if seen.cosine < rule.abstain_below:
                reason = f"best cosine {seen.cosine:.3f} is below {rule.abstain_below}"
            elif rule.checks_terms(seen.cosine):
                reason = (
                    f"best cosine {seen.cosine:.3f} is middling and the passages cover "
                    f"{seen.coverage:.0%} of the question's words (needs "
                    f"{rule.min_term_coverage:.0%})"
                )
            else:
                reason = "the model said the passages do not answer it"
        verdict = f"**Abstained:** {reason}."
    elif answer.grounding_failed:
        verdict = (
            "**Grounding failed:** the model stated facts not in the passages; quoted instead."
        )
    else:
        verdict = "**Grounded:** every fact checked against the passages."
    return verdict


def render_answer(backend: str, answer: Answer, ctx: ConsoleContext) -> str:
    lines = [f"### {backend}", f"`{answer.model_version}`", "", answer.text, ""]
    if answer.note:
        lines += [f"> {answer.note}", ""]
    for c in answer.citations:
        review = f", review by {c.review_by}" if c.review_by else ""
        overdue = " **(review overdue)**" if c.stale else ""
        lines.append(
            f"[{c.number}] {c.title} — {c.section} ({c.source} v{c.version}{review}){overdue}"
        )
    lines += ["", explain(answer, ctx), f"confidence {answer.confidence:.3f}"]
    timings = " · ".join(f"{stage} {seconds:.2f}s" for stage, seconds in answer.timings.items())
    lines.append(f"timings: {timings}")
    return "\n".join(lines)


def passage_rows(answer: Answer) -> list[list[Any]]:
    return [
        [
            rank,
            f"{p.document_id} v{p.version}",
            p.section,
            round(p.score, 4),
            None if p.bm25_score is None else round(p.bm25_score, 3),
            None if p.vector_score is None else round(p.vector_score, 4),
            "yes" if p.stale else "",
            p.text[:300],
        ]
        for rank, p in enumerate(answer.passages, start=1)
    ]


def ask(
    ctx: ConsoleContext, question: str, audiences: str, backends: list[str], request: gr.Request
) -> tuple[list[str], list[list[Any]]]:
    """Answer with each chosen backend (at most three); passages come from the first."""
    if not question.strip():
        raise ValueError("Type a question first.")
    chosen = list(dict.fromkeys(backends or ["live"]))[:MAX_COLUMNS]
    asker = Asker(f"console:{request.username}", parse_audiences(audiences))
    answers = []
    for backend in chosen:
        answers.append((backend, ctx.answerer(backend).answer(question, asker)))
    record(ctx, str(request.username), "console.ask", "", backends=chosen)
    columns = [render_answer(name, answer, ctx) for name, answer in answers]
    columns += [""] * (MAX_COLUMNS - len(columns))
    return columns, passage_rows(answers[0][1])


def build(ctx: ConsoleContext) -> None:
    with gr.Row():
        question = gr.Textbox(
            label="Question", placeholder="How much parental leave do I get?", scale=4
        )
        audiences = gr.Textbox(label="Audiences (comma-separated)", value=EVERYONE, scale=2)
    backends = gr.CheckboxGroup(
        backend_choices(ctx), value=["live", "extractive"], label="Compare (up to three)"
    )
    go = gr.Button("Ask", variant="primary")
    with gr.Row():
        outputs = [gr.Markdown(elem_classes=["answer-column"]) for _ in range(MAX_COLUMNS)]
    passages = gr.Dataframe(headers=PASSAGE_HEADERS, label="Retrieved passages", wrap=True)

    @action(ctx, "viewer")
    def on_ask(
        question: str, audiences: str, backends: list[str], request: gr.Request
    ) -> tuple[Any, ...]:
        columns, rows = ask(ctx, question, audiences, backends, request)
        return (*columns, rows)

    go.click(on_ask, [question, audiences, backends], [*outputs, passages], api_name="ask")
    question.submit(
        on_ask, [question, audiences, backends], [*outputs, passages], api_visibility="private"
    )
