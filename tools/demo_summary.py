# Runs today's dunning run of the main company and prints what it decided,
# one row per customer with overdue invoices. Fed to the Odoo shell:
#
#     python3 -m odoo shell -d dunning_demo --no-http < tools/demo_summary.py
#
# The shell provides `env`. It does not commit on its own, so the run is
# committed at the end for the web client to show it.
from collections import Counter, defaultdict

company = env.ref("base.main_company")
run = env["account.dunning.run"]._run_dunning(company)

reason_labels = dict(
    env["account.dunning.run.line"]._fields["reason"]._description_selection(env)
)
channel_labels = dict(
    env["account.dunning.letter"]._fields["channel"]._description_selection(env)
)
state_labels = dict(
    env["account.dunning.letter"]._fields["state"]._description_selection(env)
)
profiles = {
    profile.partner_id: profile
    for profile in env["account.dunning.profile"].search(
        [
            ("company_id", "=", company.id),
            ("partner_id", "in", run.line_ids.partner_id.ids),
        ]
    )
}
letters = {letter.partner_id: letter for letter in run.letter_ids}

rows = defaultdict(lambda: env["account.dunning.run.line"])
for line in run.line_ids:
    rows[line.partner_id] |= line


def highest_level(partner, lines):
    """The highest level the customer's invoices have reached after the run."""
    levels = lines.move_id.dunning_level_id | lines.level_id
    if not levels:
        return "-"
    return max(levels, key=lambda level: (level.days_overdue, level.id)).name


def action(partner):
    letter = letters.get(partner)
    if not letter:
        return "-"
    text = (
        f"{letter.level_id.name}: {channel_labels[letter.channel]}, "
        f"{state_labels[letter.state].lower()}"
    )
    if letter.activity_ids:
        text += " + call"
    return text


def next_step(lines):
    """Invoices at the last level whose deadline passed: legal step due."""
    due = lines.filtered(lambda line: line.decision == "next_step")
    return f"Legal step due x{len(due)}" if due else ""


columns = [
    ("Customer", 31),
    ("Segment", 17),
    ("Score", 5),
    ("Inv.", 4),
    ("Highest level", 21),
    ("Letter / activity created today", 44),
    ("Legal step due / skipped (reason x invoices)", 0),
]
header = "  ".join(
    f"{title:>{width}}" if title in ("Score", "Inv.") else f"{title:<{width}}"
    for title, width in columns
)
print()
print(f"Dunning run {run.name} for {company.name} on {run.date}")
print(header)
print("-" * len(header.rstrip()) + "-" * 10)
skipped = Counter()
for partner in sorted(
    rows, key=lambda p: (-profiles[p].score if p in profiles else 1, p.name)
):
    lines = rows[partner]
    profile = profiles.get(partner)
    reasons = Counter(reason_labels[line.reason] for line in lines if line.reason)
    skipped.update(line.reason for line in lines if line.reason)
    cells = [
        partner.name[:31],
        (profile.segment_id.name if profile else "-")[:17],
        f"{profile.score:.1f}" if profile else "-",
        str(len(lines)),
        highest_level(partner, lines)[:21],
        action(partner)[:44],
        ", ".join(
            filter(
                None,
                [
                    next_step(lines),
                    *(f"{label} x{count}" for label, count in sorted(reasons.items())),
                ],
            )
        ),
    ]
    print(
        "  ".join(
            f"{cell:>{width}}" if title in ("Score", "Inv.") else f"{cell:<{width}}"
            for cell, (title, width) in zip(cells, columns, strict=True)
        ).rstrip()
    )

print()
print(f"Overdue invoices considered: {run.invoice_count}")
print(f"Letters / e-mails:           {run.letter_count}")
print(f"Phone calls:                 {run.call_count}")
print(f"Legal steps due (customers): {run.next_step_count}")
print(f"Skipped invoices:            {run.skip_count}")
for reason, count in skipped.most_common():
    print(f"  {reason_labels[reason]:<42} {count:>4}")

if run.warning_message:
    print()
    print("Warnings:")
    for warning in run.warning_message.splitlines():
        print(f"  {warning}")

# The shell never commits: keep the run for the web client.
env.cr.commit()
