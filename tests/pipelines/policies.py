"""Small policy documents for the freshness tests: distinct facts, a few chunks each."""

from __future__ import annotations

from pathlib import Path

from knowledge.db import watched_sources
from knowledge.services import Services
from pipelines.sources import classify

OWNER = "people@northwind.example"


def policy(
    title: str, *sections: tuple[str, str], review_by: str = "2027-12-31", owner: str | None = OWNER
) -> str:
    """A Markdown policy with front matter and one `##` section per (heading, text)."""
    front = [f"title: {title}", "audiences: [everyone]", f"review_by: {review_by}"]
    if owner:
        front.append(f"owner: {owner}")
    body = "\n\n".join(f"## {heading}\n{text}" for heading, text in sections)
    return "---\n" + "\n".join(front) + f"\n---\n# {title}\n\n{body}\n"


COWORKING = policy(
    "Coworking policy",
    ("Allowance", "Employees may expense a coworking desk up to EUR 150 per month with a receipt."),
    ("How to claim", "Submit the receipt in the expenses tool within 30 days."),
)
COWORKING_V2 = COWORKING.replace("EUR 150", "EUR 275")
BICYCLE = policy(
    "Bicycle scheme",
    ("Lease", "The bicycle lease scheme covers one e-bike per employee for 36 months."),
    ("Repairs", "Bicycle repairs are paid up to EUR 90 a year."),
)
PARKING = policy(
    "Parking policy",
    ("Spaces", "The Lisbon office has 12 parking spaces, booked in the Parkly app a day ahead."),
    ("Visitors", "Visitor parking must be booked by reception before 16:00."),
)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def watch(services: Services, location: str | Path) -> None:
    kind, where = classify(str(location))
    with services.db.session() as session:
        watched_sources.add_source(session, location=where, kind=kind, added_by="test")


def passages_text(services: Services, question: str, k: int = 5) -> str:
    return "\n".join(p.text for p in services.retriever.retrieve(question, k=k))


def sources_of(services: Services, question: str, k: int = 5) -> set[str]:
    return {p.source_name for p in services.retriever.retrieve(question, k=k)}
