"""A realistic synthetic workforce: skills, departments, time zones, names.

Shared by the demo (`devtools/demo.py`) and the benchmarks (`bench/synthetic.py`):
skills grouped by field (about 200 real tags), departments, regional time-zone
clusters with their shares of a global workforce, and experience shares.
"""

from __future__ import annotations

SKILL_GROUPS: dict[str, tuple[str, ...]] = {
    "engineering": (
        "Python", "SQL", "JavaScript", "TypeScript", "React", "Go", "Java", "Kotlin", "Swift", "Rust", "C++",
        "C#", ".NET", "Ruby on Rails", "PHP", "Node.js", "Vue.js", "Angular", "HTML & CSS", "GraphQL",
        "REST API design", "Microservices", "System design", "Distributed systems", "Kubernetes", "Docker",
        "Terraform", "AWS", "Google Cloud", "Azure", "CI/CD", "Git", "Linux", "Bash scripting", "Networking",
        "Observability", "Site reliability", "Incident response", "Performance tuning", "Security basics",
        "Threat modelling", "Penetration testing", "Identity & access management", "Cryptography",
        "Mobile development", "iOS", "Android", "Flutter", "Unit testing", "Test automation", "Code review",
        "Refactoring", "Technical writing", "API documentation", "Open source",
    ),
    "data": (
        "Data analysis", "Statistics", "Machine learning", "Deep learning", "NLP", "Computer vision",
        "LLM prompting", "MLOps", "Data engineering", "Airflow", "dbt", "Spark", "Kafka", "Data modelling",
        "Data visualisation", "Tableau", "Power BI", "Looker", "Excel", "Google Sheets", "A/B testing",
        "Experiment design", "Forecasting", "R", "Pandas", "Data governance", "Privacy & GDPR",
    ),
    "design & product": (
        "Product management", "Product discovery", "Roadmapping", "User research", "UX design", "UI design",
        "Figma", "Design systems", "Accessibility", "Prototyping", "Information architecture", "Service design",
        "Copywriting", "UX writing", "Product analytics", "Pricing strategy", "Go-to-market", "Growth",
        "Customer journey mapping", "Jobs to be done",
    ),
    "business & go-to-market": (
        "Sales", "Negotiation", "Account management", "Customer success", "Customer support", "Cold outreach",
        "Sales forecasting", "Salesforce", "HubSpot", "Partnerships", "Business development",
        "Marketing strategy", "Content marketing", "SEO", "Paid ads", "Social media", "Brand strategy",
        "Email marketing", "Event planning", "PR & communications", "Market research", "Competitive analysis",
        "Finance basics", "Budgeting", "Financial modelling", "Accounting", "FP&A", "Procurement",
        "Contract law basics", "Compliance", "Risk management", "Operations", "Supply chain", "Logistics",
        "Project management", "Program management", "Agile", "Scrum", "Kanban", "OKRs", "Process improvement",
        "Lean", "Six Sigma", "Change management", "Vendor management", "Business strategy", "Business cases",
    ),
    "people & leadership": (
        "Public speaking", "Presentation skills", "Storytelling", "Writing", "Giving feedback",
        "Receiving feedback", "Coaching", "Mentoring", "People management", "Hiring & interviewing",
        "Onboarding", "Team building", "Conflict resolution", "Difficult conversations", "Delegation",
        "Time management", "Prioritisation", "Decision making", "Facilitation", "Running workshops",
        "Stakeholder management", "Managing up", "Influencing without authority", "Strategic thinking",
        "Career planning", "Personal branding", "Networking (people)", "Emotional intelligence", "Resilience",
        "Wellbeing", "Diversity & inclusion", "Remote collaboration", "Cross-cultural communication",
        "Executive presence", "Leading meetings", "Building a business case", "Budget ownership",
        "Performance reviews", "Compensation", "Learning & development", "Employer branding",
    ),
    "languages & misc": (
        "Spanish", "French", "German", "Portuguese", "Japanese", "Mandarin", "Hindi", "English writing",
        "Sign language", "Photography", "Video editing", "Illustration", "Podcasting", "Blogging",
        "Note-taking systems", "Spreadsheet automation", "No-code tools", "Zapier", "Notion", "Jira",
    ),
}
SKILLS: tuple[str, ...] = tuple(skill for group in SKILL_GROUPS.values() for skill in group)

DEPARTMENTS: tuple[str, ...] = (
    "Engineering", "Sales", "Customer Success", "Marketing", "Product", "Data", "Design", "Finance",
    "People", "Operations", "Support", "Legal", "Security", "IT", "Platform", "Mobile", "Growth",
    "Partnerships", "Research", "Procurement", "Facilities", "Communications", "Strategy",
    "Quality", "Executive Office",
)

GOAL_WORDS: tuple[str, ...] = (
    "leadership", "management", "promotion", "architecture", "speaking", "writing", "data", "product",
    "strategy", "career-change", "confidence", "networking", "technical", "design", "sales", "finance",
    "coaching", "hiring", "startup", "staff-engineer", "principal", "executive", "communication",
    "influence", "negotiation", "visibility", "learning", "teaching", "ml", "cloud", "security",
    "analytics", "ux", "operations", "people", "balance", "international", "relocation", "mentoring",
    "entrepreneurship",
)

# What the demo's people write in their career goals ("Grow towards {a} …"): each phrase is
# one of bot.career_topics' catalog phrases, so shared goals name real topics.
GOAL_PHRASES: tuple[str, ...] = (
    "leadership", "people management", "public speaking", "product management", "data science",
    "machine learning", "software architecture", "a staff engineer role", "technical writing", "strategy",
    "negotiation", "visibility", "cloud", "security", "UX design", "sales", "finance", "coaching", "hiring",
    "entrepreneurship", "communication", "an international role", "stakeholder management", "mentoring",
    "analytics", "operations",
)

# (UTC offset hours, share of workforce): US West/East, Brazil, UK, Europe, India, Singapore, Japan, Sydney
TZ_CLUSTERS: tuple[tuple[float, float], ...] = (
    (-8, 0.12), (-7, 0.05), (-6, 0.05), (-5, 0.18), (-3, 0.04), (0, 0.12), (1, 0.15), (2, 0.05),
    (5.5, 0.12), (8, 0.06), (9, 0.03), (10, 0.03),
)

FIRST_NAMES = (
    "Ana", "Ben", "Chloé", "Dev", "Emeka", "Fatima", "Grace", "Hiro", "Ines", "Jonas", "Kavya", "Liam",
    "Mei", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Victor", "Wen", "Ximena",
    "Yusuf", "Zoe", "Arjun", "Bea", "Carlos", "Dana", "Eli", "Freya", "Gabriel", "Hana", "Ivan", "Jade",
)
LAST_NAMES = (
    "Silva", "Okafor", "Nguyen", "Schmidt", "Kowalski", "Haddad", "Tanaka", "Rossi", "García", "Patel",
    "Johansson", "Dubois", "Kim", "Moreau", "Ali", "Singh", "O'Brien", "Costa", "Novak", "Chen",
)

EXPERIENCE_SHARES = (0.12, 0.20, 0.28, 0.20, 0.12, 0.08)

# Where each department's people mostly teach from (their own field) — the demo draws
# offers mostly from here and wants mostly from elsewhere, as in a real organisation.
DEPARTMENT_FIELDS: dict[str, tuple[str, ...]] = {
    "Engineering": ("engineering",), "Platform": ("engineering",), "Mobile": ("engineering",),
    "Security": ("engineering",), "IT": ("engineering",), "Quality": ("engineering", "business & go-to-market"),
    "Data": ("data",), "Research": ("data", "design & product"),
    "Product": ("design & product",), "Design": ("design & product",), "Growth": ("design & product", "data"),
    "Sales": ("business & go-to-market",), "Customer Success": ("business & go-to-market",),
    "Marketing": ("business & go-to-market",), "Finance": ("business & go-to-market",),
    "Operations": ("business & go-to-market",), "Support": ("business & go-to-market",),
    "Legal": ("business & go-to-market",), "Partnerships": ("business & go-to-market",),
    "Procurement": ("business & go-to-market",), "Facilities": ("business & go-to-market",),
    "Communications": ("people & leadership", "business & go-to-market"),
    "Strategy": ("business & go-to-market", "people & leadership"),
    "People": ("people & leadership",), "Executive Office": ("people & leadership",),
}

# Complementary clusters: the fields whose people want to learn what a field teaches, and
# teach what it wants (symmetric, so a want in one direction has an offer coming back).
# Within a field the catalog lists the most common skills first; people draw from the
# head of each list far more often than from the tail, as in a real organisation.
FIELD_EXCHANGES: dict[str, tuple[str, ...]] = {
    "engineering": ("data", "design & product", "people & leadership"),
    "data": ("engineering", "business & go-to-market", "design & product"),
    "design & product": ("engineering", "data", "business & go-to-market"),
    "business & go-to-market": ("data", "design & product", "people & leadership"),
    "people & leadership": ("business & go-to-market", "engineering"),
}

# An IANA zone for each UTC offset of TZ_CLUSTERS (what Slack's users.info reports).
TZ_NAMES: dict[float, str] = {
    -8: "America/Los_Angeles", -7: "America/Denver", -6: "America/Chicago", -5: "America/New_York",
    -3: "America/Sao_Paulo", 0: "Europe/London", 1: "Europe/Berlin", 2: "Europe/Athens",
    5.5: "Asia/Kolkata", 8: "Asia/Singapore", 9: "Asia/Tokyo", 10: "Australia/Sydney",
}

# More names for larger demo workspaces (the benchmarks keep FIRST_NAMES/LAST_NAMES).
MORE_FIRST_NAMES = (
    "Kofi", "Lucía", "Mateo", "Noor", "Olga", "Pedro", "Rahul", "Sakura", "Tomás", "Valentina", "Wei",
    "Yara", "Zainab", "Aiko", "Bruno", "Camille", "Diego", "Elif", "Farah", "Giulia", "Hugo", "Ingrid",
    "Jamal", "Keiko", "Leila", "Marco", "Nia", "Oscar", "Paula", "Rafael", "Sara", "Theo", "Ursula",
)
MORE_LAST_NAMES = (
    "Mensah", "Fernández", "Yamamoto", "Ahmed", "Ivanova", "Pereira", "Sharma", "Sato", "López",
    "Romano", "Wang", "Nasser", "Bakr", "Larsen", "Martin", "Ortiz", "Demir", "Farouk", "Bianchi",
    "Lambert", "Berg", "Diallo", "Mori", "Khan", "Ricci", "Mbeki", "Eriksen", "Vargas", "Wójcik",
)
