"""Per-format parsers (Markdown, HTML, PDF, DOCX, text) that build a ParsedDocument."""
