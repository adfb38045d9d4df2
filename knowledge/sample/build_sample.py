"""Regenerate the PDF and DOCX documents of the sample Northwind Labs handbook.

The Markdown and HTML handbook files are written by hand; the binary formats
are generated here from the content defined below, so they can be reviewed as
text and rebuilt byte-for-byte identically:

    python knowledge/sample/build_sample.py          # rewrite the files
    python knowledge/sample/build_sample.py --check  # fail if they are stale

Metadata follows the conventions of the Markdown front matter: the document
title and, in the keywords, the owner, the audiences and the review date, e.g.
``owner=travel@northwind.example; audiences=everyone; review_by=2027-05-31``.
The owner is also written as the author, but the parser reads it only from the
keywords (a file's author is whoever typed it, not the policy's owner).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import docx
from docx.document import Document as DocxDocument
from docx.shared import Pt
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

HANDBOOK_DIR = Path(__file__).resolve().parent / "handbook"

# Fixed timestamps keep the generated files byte-stable between runs.
FIXED_DATETIME = dt.datetime(2026, 11, 1, 9, 0, 0)
ZIP_TIMESTAMP = (2026, 11, 1, 9, 0, 0)


# --------------------------------------------------------------------------
# Content model
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A section heading; level 1 or 2 (the document title is level 0)."""

    text: str
    level: int


@dataclass(frozen=True)
class Para:
    """A plain paragraph of body text."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A bulleted (or numbered) list."""

    items: tuple[str, ...]
    numbered: bool = False


@dataclass(frozen=True)
class Table:
    """A table with a header row."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Heading | Para | Bullets | Table


@dataclass(frozen=True)
class SampleDocument:
    """One generated handbook document and its metadata."""

    filename: str
    title: str
    owner: str
    review_by: str
    blocks: tuple[Block, ...]
    audiences: tuple[str, ...] = ("everyone",)

    @property
    def keywords(self) -> str:
        """Metadata keywords carrying the owner, audiences and review date."""
        return (
            f"owner={self.owner}; audiences={','.join(self.audiences)}; review_by={self.review_by}"
        )


def h1(text: str) -> Heading:
    """Return a level-1 heading."""
    return Heading(text, 1)


def h2(text: str) -> Heading:
    """Return a level-2 heading."""
    return Heading(text, 2)


def p(text: str) -> Para:
    """Return a paragraph."""
    return Para(text)


def ul(*items: str) -> Bullets:
    """Return a bulleted list."""
    return Bullets(tuple(items))


def ol(*items: str) -> Bullets:
    """Return a numbered list."""
    return Bullets(tuple(items), numbered=True)


def table(header: Sequence[str], *rows: Sequence[str]) -> Table:
    """Return a table; every row must have as many cells as the header."""
    if any(len(row) != len(header) for row in rows):
        raise ValueError(f"ragged table under header {header!r}")
    return Table(tuple(header), tuple(tuple(row) for row in rows))


# --------------------------------------------------------------------------
# Document contents
# --------------------------------------------------------------------------

BUSINESS_TRAVEL = SampleDocument(
    filename="business-travel.pdf",
    title="Business Travel Policy",
    owner="travel@northwind.example",
    review_by="2027-05-31",
    blocks=(
        p(
            "Travel helps us meet customers, partners and each other, but it costs "
            "money, time and carbon. Before booking, ask yourself whether a video "
            "call would do. When a trip is worthwhile, this policy explains how to "
            "book it, which class of travel and accommodation you can use, and what "
            "daily allowances apply. Costs not covered here, such as mileage and "
            "client meals, follow the Expenses and Reimbursements policy."
        ),
        h1("Before you travel"),
        h2("Approval"),
        p("Every business trip needs approval before anything is booked."),
        ul(
            "Your manager approves all trips in Voyage, our travel booking portal.",
            "Trips outside your country of employment also need department head approval.",
            "Trips to a country on the Security team's high-risk list need sign-off "
            "from security@northwind.example at least 28 days before departure.",
        ),
        h2("Booking"),
        ul(
            "Book flights, trains and hotels through Voyage, so that we can reach you "
            "in an emergency and our travel insurance applies automatically.",
            "Book flights at least 14 days before departure; later bookings need a "
            "short justification.",
            "Bookings made outside Voyage are reimbursed only if they were cheaper "
            "than the equivalent Voyage fare; attach a screenshot of the comparison.",
            "The travel team helps with complex itineraries, visas and group travel: "
            "travel@northwind.example or #travel on Slack.",
        ),
        h1("Class of travel"),
        h2("Flights"),
        table(
            ("Flight duration", "Class allowed"),
            ("Under 6 hours", "Economy"),
            ("6 hours or more", "Premium economy"),
            (
                "Over 10 hours, overnight, when you must work on arrival",
                "Business class, with VP approval",
            ),
        ),
        p(
            "Flight duration means the scheduled time in the air for a single "
            "flight, not the total journey time including connections. Paid seat "
            "selection and one checked bag are allowed on every flight."
        ),
        h2("Rail"),
        p(
            "Choose the train over a plane for any journey under 5 hours when a "
            "direct rail connection exists, such as Lisbon to Porto. Standard class "
            "is the default; first class is allowed for journeys over 3 hours, so "
            "that you can work comfortably on board."
        ),
        h2("Ground transport"),
        p(
            "Use public transport, airport trains and shuttles where practical. "
            "Taxis and ride-hailing are fine late at night, with heavy luggage or "
            "when public transport is impractical. Rental cars are limited to the "
            "compact category and must be booked through Voyage. Using your own car "
            "is reimbursed per kilometre under the Expenses and Reimbursements policy."
        ),
        h1("Accommodation"),
        p(
            "Book a hotel within the nightly cap for your destination. The cap "
            "includes taxes but excludes breakfast."
        ),
        table(
            ("Destination", "Nightly hotel cap"),
            ("Lisbon", "EUR 140"),
            ("Porto", "EUR 125"),
            ("Toronto", "CAD 260"),
            ("London", "GBP 210"),
            ("New York", "USD 320"),
            ("All other cities", "EUR 160"),
        ),
        p(
            "During major conferences or trade fairs the caps may be exceeded with "
            "your manager's approval. Apartment rentals are allowed within the same "
            "caps. If you stay with friends or family instead of a hotel, you can "
            "claim a hospitality allowance of EUR 40 per night to thank your hosts."
        ),
        h1("Per diems"),
        p(
            "A per diem is a fixed daily allowance for meals, snacks, drinks and small "
            "incidentals such as tips. You do not need receipts, and you keep "
            "whatever you do not spend."
        ),
        table(
            ("Destination", "Daily per diem"),
            ("Portugal", "EUR 50"),
            ("Rest of Europe", "EUR 65"),
            ("Canada", "CAD 95"),
            ("United States", "USD 85"),
            ("Rest of the world", "EUR 60"),
        ),
        ul(
            "Per diems apply to trips with at least one overnight stay, and to day "
            "trips lasting more than 8 hours.",
            "On the day you leave and the day you return, you receive 75% of the daily rate.",
            "Reduce your claim by 25% of the daily rate for each lunch or dinner that "
            "is provided free, for example by a conference or a customer.",
            'Claim per diems in Ledgerly under "Per diem" within 30 days of returning.',
        ),
        h1("While you are away"),
        h2("Travel insurance and emergencies"),
        p(
            "All trips booked through Voyage are automatically covered by Northwind's "
            "travel insurance, which includes medical treatment, repatriation and "
            "trip cancellation. In an emergency, contact travel-assist@northwind.example "
            "or use the 24/7 assistance button in the Voyage app. If a company laptop "
            "or phone is lost or stolen while travelling, follow the lost-device steps "
            "in IT Security Essentials."
        ),
        h2("Weekends and time in lieu"),
        p(
            "If you travel on a weekend day or a public holiday, you receive one day "
            "off in lieu for each such day, to be taken within 2 months of the trip. "
            'Record it in Peoplehub as "Travel day in lieu".'
        ),
        h2("Combining business and leisure"),
        p(
            "You may extend a business trip by up to 3 personal days, as long as the "
            "cost of the flights does not increase. You pay for the extra nights, "
            "meals and activities, and the travel insurance does not cover the "
            "personal part of the trip. Partners and family may join you at their "
            "own expense."
        ),
        h1("After you travel"),
        ul(
            "Submit all remaining expenses in Ledgerly within 30 days of your return.",
            "Report unused or cancelled tickets to travel@northwind.example so that "
            "the credits can be reused.",
            "Frequent-flyer miles and hotel points are yours to keep, but they must "
            "never influence which flight or hotel you book.",
        ),
    ),
)

WHISTLEBLOWING = SampleDocument(
    filename="whistleblowing.pdf",
    title="Speak Up (Whistleblowing) Policy",
    owner="ethics@northwind.example",
    review_by="2027-01-15",
    blocks=(
        p(
            "Northwind Labs wants to hear about wrongdoing as early as possible, "
            "because problems that surface early are easier to fix. This policy "
            "explains what you can report, how to report it, what happens afterwards "
            "and how we protect you. It implements the EU Whistleblower Directive "
            "(2019/1937), Portuguese Law No. 93/2021 and the applicable Canadian "
            "laws. For everyday workplace grievances, such as a disagreement with "
            "your manager, use the process in the Code of Conduct instead."
        ),
        h1("Who can speak up"),
        ul(
            "Current and former employees",
            "Contractors, freelancers and interns",
            "Job applicants",
            "Suppliers and their staff",
            "Shareholders and members of the board",
        ),
        h1("What you can report"),
        h2("Covered concerns"),
        ul(
            "Fraud, theft or financial misreporting",
            "Bribery or corruption",
            "Breaches of data protection or information security law",
            "Health and safety risks",
            "Environmental damage",
            "Breaches of competition or export control law",
            "Retaliation against someone who spoke up",
            "Serious harassment or discrimination that management has failed to address",
        ),
        h2("How sure you need to be"),
        p(
            "You do not need proof, only reasonable grounds to believe that what you "
            "report is true. You are protected even if it later turns out that you "
            "were mistaken. Knowingly making a false report, however, is a "
            "disciplinary matter."
        ),
        h1("How to raise a concern"),
        h2("The Speak Up portal"),
        p(
            "The Speak Up portal at speakup.northwind.example is run by ClearLine, an "
            "independent provider. It is available 24/7, accepts reports in 12 "
            "languages and lets you stay anonymous. After submitting, you receive a "
            "reference code and a password so that you can follow up and answer "
            "questions without revealing your identity. Keep them safe: nobody, "
            "including ClearLine, can recover them for you."
        ),
        h2("Email and meetings"),
        ul(
            "Email ethics@northwind.example. Only the members of the Ethics Committee "
            "can read this mailbox.",
            "Ask for an in-person or video meeting with a member of the Ethics "
            "Committee; it will be arranged within 10 working days of your request.",
        ),
        h2("What to include"),
        ul(
            "What happened, when and where",
            "Who was involved, and who else may know about it",
            "How you came to know about it",
            "Any documents or other evidence you already have. Do not gather evidence "
            "illegally or access systems you are not authorised to use.",
        ),
        h1("What happens after you report"),
        table(
            ("Step", "Timeline"),
            ("Acknowledgement of receipt", "Within 7 days"),
            (
                "Initial assessment by the Ethics Committee",
                "Within 5 working days of the acknowledgement",
            ),
            (
                "Feedback on the actions taken or planned",
                "Within 3 months of the acknowledgement",
            ),
            ("Retention of case records", "5 years after the case is closed"),
        ),
        p(
            "The Ethics Committee is made up of the General Counsel, the Chief People "
            "Officer and an independent member of the board. If a report concerns one "
            "of them, that person is excluded from the case. Investigations are "
            "confidential, and only the people who need to know your identity will "
            "learn it, with your consent where the law requires it."
        ),
        h1("Protection from retaliation"),
        p(
            "Nobody may be dismissed, demoted, disciplined, harassed or otherwise "
            "treated less favourably because they raised a concern in good faith or "
            "helped with an investigation. Retaliation is treated as gross misconduct. "
            "If you believe you are suffering retaliation, report it through the same "
            "channels straight away."
        ),
        h1("If someone reports a concern to you"),
        p(
            "Managers who receive a concern must forward it to ethics@northwind.example "
            "within 24 hours. They must not investigate it themselves, contact the "
            "people involved or share the identity of the person who raised it."
        ),
        h1("External reporting"),
        p(
            "We encourage you to use the internal channels first, because they are "
            "usually the fastest way to fix a problem. You also have the right to "
            "report directly to the competent authorities, for example the relevant "
            "regulator in Portugal or Canada, and in some situations to make a public "
            "disclosure. Write to ethics@northwind.example if you need help finding "
            "the right authority."
        ),
    ),
)

DEVICES = SampleDocument(
    filename="devices-equipment.docx",
    title="Devices and Equipment",
    owner="it-help@northwind.example",
    review_by="2027-08-31",
    blocks=(
        p(
            "Good tools make good work possible. This guide explains which laptop, "
            "monitor and accessories Northwind Labs provides, how often they are "
            "replaced, what to do when something breaks and what happens to your "
            "equipment when you leave. Home-office furniture is covered separately "
            "by the Expenses and Reimbursements policy."
        ),
        h1("Your laptop"),
        h2("Standard models"),
        table(
            ("Role family", "Standard laptop", "Refresh cycle"),
            ("Engineering and data", "MacBook Pro 14-inch, 36 GB memory", "Every 3 years"),
            ("Design and video", "MacBook Pro 16-inch, 48 GB memory", "Every 3 years"),
            ("All other roles", "MacBook Air 15-inch, 16 GB memory", "Every 4 years"),
        ),
        p(
            "A Lenovo ThinkPad X1 Carbon running Windows is available on request for "
            "any role whose software requires it. It follows the refresh cycle of "
            "your role family."
        ),
        h2("Delivery for new joiners"),
        p(
            "Your laptop is shipped by courier to arrive at least 5 working days "
            "before your start date. Keep it sealed until your first day, when the "
            "IT team walks you through the setup."
        ),
        h2("Refresh and buy-back"),
        ul(
            "IT contacts you one month before your laptop is due for refresh and "
            "ships the new one to you.",
            "Return the old laptop within 10 working days of receiving the new one.",
            "Laptops more than 2 years old can be bought, after IT has wiped them, "
            "for a flat fee of EUR 99 at refresh or when you leave Northwind.",
        ),
        h1("Monitors and accessories"),
        ul(
            "Every employee receives a 27-inch monitor for home, a keyboard, a mouse "
            "and a noise-cancelling headset. Office desks already have monitors.",
            "On top of that, you have an accessory budget of EUR 120 per year to "
            "spend in the Kit Shop, IT's online catalogue, on items such as docking "
            "stations, webcams and cables.",
            "Everything ordered from the Kit Shop remains company property.",
        ),
        h1("Mobile phones"),
        p(
            "Company phones are issued only to on-call engineers and field staff. "
            "Everyone else may use their personal phone for Slack, email and calendar, "
            "as long as the Work Profile is installed from the Self Service app. "
            "Employees on an on-call rota who use their personal phone receive a "
            "phone allowance of EUR 30 per month."
        ),
        h1("Software"),
        p(
            "Install software from the Self Service app. If what you need is not "
            "listed, request it there: IT and Security review new software requests "
            "within 4 working days. Please do not buy software licences yourself and "
            "claim them as expenses."
        ),
        h1("Lost, stolen or damaged equipment"),
        h2("Reporting"),
        p(
            "Report a lost or stolen device immediately, following the steps in IT "
            "Security Essentials, so that the device can be locked and wiped."
        ),
        h2("Replacements"),
        table(
            ("Situation", "What happens"),
            (
                "Lost or stolen laptop",
                "A replacement laptop is shipped on the next working day after the report",
            ),
            (
                "Broken laptop",
                "Loaner laptops are available for same-day pickup at the Lisbon and "
                "Toronto IT desks",
            ),
            ("Lost security key", "See IT Security Essentials for the replacement process"),
        ),
        p(
            "Your files are restored from the company drive, so a replacement laptop "
            "is ready to use on the day it arrives."
        ),
        h2("Damage"),
        p(
            "Accidental damage is covered by Northwind. If equipment is damaged "
            "through negligence more than once in 12 months, you may be asked to "
            "contribute up to EUR 100 towards the repair."
        ),
        h1("Personal devices"),
        ul(
            "Personal computers must never be used for company work or to access company systems.",
            "Personal phones are allowed with the Work Profile installed. Removing "
            "the Work Profile deletes only company data, never your personal data.",
        ),
        h1("When you leave Northwind"),
        ul(
            "Return all equipment, including your laptop, monitor, security keys and "
            "any company phone, within 10 working days of your last day.",
            "IT sends remote employees a prepaid shipping box; Lisbon and Toronto "
            "employees can hand equipment in at the IT desk.",
            "Where local law allows, the value of equipment that is not returned is "
            "deducted from your final pay.",
        ),
        p("Questions: it-help@northwind.example or #it-help on Slack."),
    ),
)

ONBOARDING = SampleDocument(
    filename="onboarding.docx",
    title="Onboarding at Northwind Labs",
    owner="onboarding@northwind.example",
    review_by="2027-07-31",
    blocks=(
        p(
            "Welcome to Northwind Labs! This guide walks you through your first 90 "
            "days, from the moment you sign your contract to the end of your "
            "probation review. Your manager, your onboarding buddy and the People "
            "team are all here to help, so please ask questions early and often."
        ),
        h1("Before your first day"),
        ul(
            "About 2 weeks before your start date you receive an invitation to "
            "Peoplehub. Complete your personal details, emergency contact and bank "
            "details there.",
            "Your laptop arrives by courier at least 5 working days before your "
            "start date. Leave it in its box until your first morning; the setup is "
            "done together with IT.",
            "New employees always start on a Monday, so that they can join the "
            "weekly welcome session.",
            "Hybrid and remote joiners can start planning their home office; the "
            "home-office allowance is described in the Expenses and Reimbursements "
            "policy.",
        ),
        h1("Your first week"),
        h2("Day one"),
        p(
            "Your first day begins with the welcome session at 09:30 Lisbon time for "
            "Lisbon and European remote joiners, and at 09:30 Toronto time for "
            "Toronto and Canadian joiners. The session covers Northwind's history and "
            "products and how we work, and the IT team helps you set up your laptop, "
            "security keys and accounts."
        ),
        h2("Essential deadlines"),
        table(
            ("Task", "Deadline"),
            ("Set up your security keys and password manager", "Day one"),
            ("Agree your 30-60-90 day plan with your manager", "By the end of your first week"),
            ("Complete the security awareness training", "Within your first 10 working days"),
            ("Enrol in health insurance and other benefits", "Within 31 days of your start date"),
            ("Complete the Code of Conduct training", "Within your first month"),
            (
                "Complete the home-workspace self-assessment (hybrid and remote)",
                "Within your first month",
            ),
            ("Spend your home-office allowance", "Within your first 90 days"),
        ),
        h1("Your first 90 days"),
        h2("The 30-60-90 day plan"),
        p(
            "In your first week you and your manager agree goals for day 30, day 60 "
            "and day 90. You review progress together at each of these points, and "
            "the notes feed into your probation review."
        ),
        h2("Your onboarding buddy"),
        p(
            "Every new joiner is paired with a buddy from a different team for their "
            "first 3 months. Your buddy is your go-to person for the questions you "
            "might not want to ask your manager: where things live, who to ask and "
            "how our meetings work. Expect a coffee chat at least once a week during "
            "your first month."
        ),
        h2("Northwind Launch"),
        p(
            "Northwind Launch is a two-day, in-person bootcamp in Lisbon that brings "
            "new joiners together with the leadership team. It runs six times a year, "
            "and every new joiner attends one within their first 4 months. Travel and "
            "accommodation are booked by the People team under the Business Travel "
            "Policy."
        ),
        h1("Probation"),
        table(
            ("Country of employment", "Probation period"),
            ("Portugal", "90 days (180 days for roles at level L5 and above)"),
            ("Canada", "3 months"),
            (
                "Other countries (employer of record)",
                "As stated in your contract, never more than 6 months",
            ),
        ),
        p(
            "Your manager holds a probation review meeting with you at least 2 weeks "
            "before your probation period ends. If things are going well, your "
            "probation is confirmed in writing. If more time is needed, probation can "
            "be extended once where local law allows, and you receive clear written "
            "goals for the extension."
        ),
        h1("Who to ask"),
        ul(
            "Onboarding logistics: onboarding@northwind.example",
            "Everything else, with everyone who joined in the last 6 months: #new-joiners on Slack",
            "Laptop and account problems: it-help@northwind.example",
            "The unwritten rules: your onboarding buddy",
        ),
    ),
)

DOCUMENTS: tuple[SampleDocument, ...] = (BUSINESS_TRAVEL, WHISTLEBLOWING, DEVICES, ONBOARDING)


# --------------------------------------------------------------------------
# PDF rendering (reportlab)
# --------------------------------------------------------------------------


class _HeadingParagraph(Paragraph):
    """A paragraph that also gets a PDF outline (bookmark) entry."""

    def __init__(self, text: str, style: ParagraphStyle, outline_level: int) -> None:
        super().__init__(escape(text), style)
        self.outline_level = outline_level
        self.plain_text = text


class _OutlinedDocTemplate(SimpleDocTemplate):
    """A document template that bookmarks every heading in the PDF outline."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._bookmarks = 0

    def afterFlowable(self, flowable: Flowable) -> None:
        """Register an outline entry once a heading has been placed on a page."""
        if not isinstance(flowable, _HeadingParagraph):
            return
        key = f"heading-{self._bookmarks}"
        self._bookmarks += 1
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(
            flowable.plain_text, key, level=flowable.outline_level, closed=False
        )


def _pdf_styles() -> StyleSheet1:
    """Return the stylesheet with clearly sized title and headings."""
    styles = getSampleStyleSheet()
    styles["Title"].fontSize = 22
    styles["Title"].leading = 27
    styles["Heading1"].fontSize = 16
    styles["Heading1"].leading = 20
    styles["Heading1"].spaceBefore = 14
    styles["Heading2"].fontSize = 13
    styles["Heading2"].leading = 16
    styles["Heading2"].spaceBefore = 10
    styles["BodyText"].fontSize = 10.5
    styles["BodyText"].leading = 14
    styles.add(ParagraphStyle("TableCell", parent=styles["BodyText"], fontSize=9.5, leading=12))
    styles.add(ParagraphStyle("TableHead", parent=styles["TableCell"], fontName="Helvetica-Bold"))
    return styles


def _pdf_table(block: Table, styles: StyleSheet1, width: float) -> PdfTable:
    """Render a table block with wrapping cells and a shaded header row."""
    data = [[Paragraph(escape(cell), styles["TableHead"]) for cell in block.header]]
    data += [[Paragraph(escape(cell), styles["TableCell"]) for cell in row] for row in block.rows]
    result = PdfTable(data, colWidths=[width / len(block.header)] * len(block.header))
    result.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dfe6ee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return result


def _pdf_flowables(document: SampleDocument, width: float) -> list[Flowable]:
    """Translate a document's blocks into reportlab flowables."""
    styles = _pdf_styles()
    story: list[Flowable] = [_HeadingParagraph(document.title, styles["Title"], 0)]
    for block in document.blocks:
        if isinstance(block, Heading):
            story.append(
                _HeadingParagraph(block.text, styles[f"Heading{block.level}"], block.level)
            )
        elif isinstance(block, Para):
            story.append(Paragraph(escape(block.text), styles["BodyText"]))
        elif isinstance(block, Bullets):
            items = [ListItem(Paragraph(escape(item), styles["BodyText"])) for item in block.items]
            if block.numbered:
                story.append(ListFlowable(items, bulletType="1", leftIndent=14))
            else:
                # An en dash rather than the default bullet, which pypdf extracts as \x7f.
                story.append(
                    ListFlowable(items, bulletType="bullet", start="\u2013", leftIndent=14)
                )
        else:
            story.append(Spacer(1, 4))
            story.append(_pdf_table(block, styles, width))
            story.append(Spacer(1, 8))
    return story


def render_pdf(document: SampleDocument) -> bytes:
    """Return the PDF bytes for a document (byte-stable across runs)."""
    rl_config.invariant = 1
    buffer = io.BytesIO()
    template = _OutlinedDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2.2 * cm,
        rightMargin=2.2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=document.title,
        author=document.owner,
        subject=f"Northwind Labs employee handbook: {document.title}",
        keywords=document.keywords,
        creator="helpbot knowledge/sample/build_sample.py",
        invariant=1,
    )
    template.build(_pdf_flowables(document, template.width))
    return buffer.getvalue()


# --------------------------------------------------------------------------
# DOCX rendering (python-docx)
# --------------------------------------------------------------------------


def _docx_table(target: DocxDocument, block: Table) -> None:
    """Append a grid table with a bold header row."""
    grid = target.add_table(rows=1 + len(block.rows), cols=len(block.header))
    grid.style = "Table Grid"
    for row_index, cells in enumerate((block.header, *block.rows)):
        for column, text in enumerate(cells):
            paragraph = grid.cell(row_index, column).paragraphs[0]
            run = paragraph.add_run(text)
            run.bold = row_index == 0


def _stable_zip(data: bytes) -> bytes:
    """Rewrite a zip archive with fixed timestamps so the bytes are reproducible."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return output.getvalue()


def render_docx(document: SampleDocument) -> bytes:
    """Return the DOCX bytes for a document (byte-stable across runs)."""
    result = docx.Document()
    result.styles["Normal"].font.size = Pt(11)
    result.add_heading(document.title, level=0)
    for block in document.blocks:
        if isinstance(block, Heading):
            result.add_heading(block.text, level=block.level)
        elif isinstance(block, Para):
            result.add_paragraph(block.text)
        elif isinstance(block, Bullets):
            style = "List Number" if block.numbered else "List Bullet"
            for item in block.items:
                result.add_paragraph(item, style=style)
        else:
            _docx_table(result, block)

    properties = result.core_properties
    properties.title = document.title
    properties.author = document.owner
    properties.subject = f"Northwind Labs employee handbook: {document.title}"
    properties.keywords = document.keywords
    properties.category = "employee handbook"
    properties.comments = f"Review by {document.review_by}."
    properties.last_modified_by = document.owner
    properties.revision = 1
    properties.created = FIXED_DATETIME
    properties.modified = FIXED_DATETIME
    properties.last_printed = FIXED_DATETIME

    buffer = io.BytesIO()
    result.save(buffer)
    return _stable_zip(buffer.getvalue())


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------

RENDERERS: dict[str, Callable[[SampleDocument], bytes]] = {
    ".pdf": render_pdf,
    ".docx": render_docx,
}


def render(document: SampleDocument) -> bytes:
    """Render a document in the format implied by its file name."""
    return RENDERERS[Path(document.filename).suffix](document)


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or, with --check, verify) the generated handbook files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if a generated file is missing or out of date",
    )
    args = parser.parse_args(argv)

    stale: list[str] = []
    for document in DOCUMENTS:
        path = HANDBOOK_DIR / document.filename
        content = render(document)
        if args.check:
            if not path.exists() or path.read_bytes() != content:
                stale.append(document.filename)
            continue
        path.write_bytes(content)
        print(
            f"wrote {path.relative_to(HANDBOOK_DIR.parent.parent.parent)} ({len(content):,} bytes)"
        )

    if stale:
        print("out of date: " + ", ".join(stale) + " (run build_sample.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
