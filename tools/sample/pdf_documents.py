"""The text of the handbook documents generated as PDF: business travel and whistleblowing."""

from __future__ import annotations

from tools.sample.content import SampleDocument, h1, h2, p, table, ul

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
