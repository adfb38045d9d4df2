"""The text of the handbook documents generated as DOCX: devices and equipment, onboarding."""

from __future__ import annotations

from tools.sample.content import SampleDocument, h1, h2, p, table, ul

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
