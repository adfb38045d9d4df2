"""Models: waiting for the learning loop's functions (see the learning-loop interfaces)."""

from __future__ import annotations

import gradio as gr

from admin.context import ConsoleContext


def build(ctx: ConsoleContext, tab: gr.Tab) -> None:
    gr.Markdown("This tab is being built.")
