"""The console's layout: a header with the session's admin, one tab per area, built once."""

from __future__ import annotations

import gradio as gr

from admin.auth import session_user
from admin.context import ConsoleContext
from admin.tabs import (
    ask,
    conversations_view,
    insights,
    knowledge_view,
    models_view,
    sources,
    training_view,
)
from knowledge.db import admins

TITLE = "helpbot console"
CSS = """
.answer-column { min-height: 4em; }
footer { display: none !important; }
"""


def whoami(ctx: ConsoleContext, request: gr.Request) -> str:
    user = session_user(ctx, request, "viewer")
    with ctx.services.db.session() as session:
        role = admins.role_of(session, user)
    return f"Logged in as **{user}** ({role}) · [Log out](/logout)"


def build_app(ctx: ConsoleContext) -> gr.Blocks:
    """Every tab's layout and handlers; each handler checks the session's role itself."""
    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        with gr.Row():
            gr.Markdown(f"## {TITLE}")
            header = gr.Markdown(elem_id="whoami")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                ask.build(ctx)
            with gr.Tab("Knowledge", id="knowledge") as knowledge_tab:
                knowledge_view.build(ctx, knowledge_tab)
            with gr.Tab("Sources", id="sources") as sources_tab:
                sources.build(ctx, sources_tab)
            with gr.Tab("Conversations", id="conversations") as conversations_tab:
                conversations_view.build(ctx, conversations_tab)
            with gr.Tab("Training", id="training") as training_tab:
                training_view.build(ctx, training_tab)
            with gr.Tab("Models", id="models") as models_tab:
                models_view.build(ctx, models_tab)
            with gr.Tab("Insights", id="insights") as insights_tab:
                insights.build(ctx, insights_tab)

        def on_load(request: gr.Request) -> str:
            return whoami(ctx, request)

        app.load(on_load, None, header, api_visibility="private")
    return app
