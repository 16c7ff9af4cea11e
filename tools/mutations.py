#!/usr/bin/env python3
"""Mutation check: does the suite catch deliberate single-line bugs?

Each mutation below changes one line of the run, claims, letters, scoring or
access code. The script applies one mutation at a time, runs the tests named
for it with Odoo's test runner on an existing database (the addon installed
there; Python changes need no module update), records whether a test failed
("caught") or all passed ("survived"), and restores the file in any case
(``finally``), so no mutation is ever left in the tree.

    python3 tools/mutations.py DB                 # every mutation
    python3 tools/mutations.py DB --only 3 7      # some of them (numbers)
    python3 tools/mutations.py DB --list          # the table, no run

A clean run of the named tests (no mutation) goes first: a test that fails
without a bug proves nothing. Exit status 1 when a mutation survived.
"""

import argparse
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ADDON = "account_relationship_dunning"

# (file, the exact text to find (one occurrence), its replacement,
#  the tests (Odoo test tags: Class or Class.method), what the bug means)
MUTATIONS = [
    (
        "models/account_dunning_letter_workflow.py",
        'if letter.state != "ready":',
        'if letter.state not in ("ready", "to_approve"):',
        ["TestLetterWorkflowNegative.test_mark_done_refused_outside_ready"],
        "a letter waiting for approval can be marked done",
    ),
    (
        "models/account_dunning_run_decide.py",
        'if partner.id in context["dunned_today"]:',
        "if False:",
        ["TestDunningBoundaries.test_same_day_rerun_reaches_the_same_day_guard"],
        "the same-day guard of the run removed",
    ),
    (
        "models/account_dunning_profile.py",
        'values["score_disputes"] = -min(',
        'values["score_disputes"] = +min(',
        ["TestScoreFactors.test_open_dispute_lowers_the_score"],
        "the sign of the dispute factor flipped",
    ),
    (
        "models/account_dunning_run_decide.py",
        "if profile and profile.block_until and profile.block_until >= today:",
        "if profile and profile.block_until and profile.block_until > today:",
        ["TestDunningBoundaries.test_customer_block_ends_on_its_date"],
        "a customer block ends one day early",
    ),
    (
        "models/account_dunning_profile.py",
        "                 WHERE m.company_id = %(company)s\n",
        "                 WHERE %(company)s > 0\n",
        ["TestScoreFactors.test_customer_of_two_companies_is_scored_per_company"],
        "company filter removed from the scoring invoice query",
    ),
    (
        "models/account_dunning_profile.py",
        "                         WHERE l.company_id = %(company)s\n"
        "                           AND a.account_type = 'asset_receivable'\n"
        "                           AND l.date_maturity > %(d24)s",
        "                         WHERE %(company)s > 0\n"
        "                           AND a.account_type = 'asset_receivable'\n"
        "                           AND l.date_maturity > %(d24)s",
        ["TestScoreFactors.test_customer_of_two_companies_is_scored_per_company"],
        "company filter removed from the scoring punctuality query",
    ),
    (
        "models/account_dunning_dispute_dunning.py",
        '                        ("company_id", "=", company.id),\n'
        '                        ("partner_id", "in", list(metrics)),',
        '                        ("company_id", "!=", False),\n'
        '                        ("partner_id", "in", list(metrics)),',
        ["TestScoreFactors.test_customer_of_two_companies_is_scored_per_company"],
        "company filter removed from the scoring dispute count",
    ),
    (
        "models/account_dunning_run_decide.py",
        'if invoice["blocked_until"] and invoice["blocked_until"] >= today:',
        'if invoice["blocked_until"] and invoice["blocked_until"] > today:',
        ["TestDunningBoundaries.test_invoice_block_ends_on_its_date"],
        "an invoice block ends one day early",
    ),
    (
        "models/account_dunning_run_decide.py",
        'if invoice["days_overdue"] <= policy.grace_days:',
        'if invoice["days_overdue"] < policy.grace_days:',
        ["TestDunningBoundaries.test_grace_period_ends_on_its_last_day"],
        "the grace period ends one day early",
    ),
    (
        "models/account_dunning_run_decide.py",
        'if not target or target.days_overdue > invoice["days_overdue"]:',
        'if not target or target.days_overdue >= invoice["days_overdue"]:',
        ["TestDunningBoundaries.test_level_starts_on_its_day"],
        "a level starts one day late",
    ),
    (
        "models/account_dunning_run_decide.py",
        "if last and (today - last).days < target.min_days_since_previous:",
        "if last and (today - last).days <= target.min_days_since_previous:",
        ["TestDunningBoundaries.test_minimum_interval_ends_on_its_day"],
        "the minimum interval between letters one day too long",
    ),
    (
        "models/account_move_claims.py",
        "            days = (seg_end - seg_start).days + 1\n",
        "            days = (seg_end - seg_start).days\n",
        ["TestRunToHandover"],
        "interest: the last day of a period not counted",
    ),
    (
        "models/account_move_claims.py",
        "_is_dunning_consumer() else 9.0",
        "_is_dunning_consumer() else 8.0",
        ["TestRunToHandover"],
        "interest: 8 instead of 9 points over the base rate for B2B",
    ),
    (
        "models/account_dunning_letter_workflow.py",
        'if letter.state != "to_approve":',
        'if letter.state not in ("to_approve", "draft"):',
        [
            "TestLetterWorkflowNegative.test_approve_refused_outside_to_approve_and_for_users"
        ],
        "a letter still in review can be approved",
    ),
    (
        "models/account_dunning_letter_workflow.py",
        "    def action_cancel(self):\n        for letter in self:\n"
        '            if letter.state == "done":',
        "    def action_cancel(self):\n        for letter in self:\n"
        '            if letter.state == "sent":',
        [
            "TestLetterWorkflowNegative.test_cancel_refused_when_sent_or_without_dunning_group"
        ],
        "a sent letter can be cancelled like an unsent one",
    ),
    (
        "models/account_dunning_letter_guard.py",
        "        invoices get their previous level back and the next dunning run\n"
        '        reissues a letter (dunning managers only)."""\n'
        "        self._check_letter_action(manager=True)",
        "        invoices get their previous level back and the next dunning run\n"
        '        reissues a letter (dunning managers only)."""\n'
        "        self._check_letter_action()",
        [
            "TestLetterWorkflowNegative.test_cancel_sent_refused_for_users_and_unsent_letters"
        ],
        "access: a dunning user may cancel a sent letter",
    ),
    (
        "models/account_dunning_letter_review_level.py",
        "            if level == letter.level_id:",
        "            if level:",
        ["TestCockpitLeftovers.test_removing_the_highest_invoice_lowers_the_level"],
        "review: removing the highest invoice keeps the letter's level",
    ),
    (
        "models/account_dunning_dashboard.py",
        "                amount = currency._convert(",
        "                amount = amount or currency._convert(",
        ["TestCockpitLeftovers.test_dispute_amounts_in_company_currency"],
        "dashboard: amounts of another currency added unconverted",
    ),
]


def run_tests(db, tags, log):
    spec = ",".join(f"/{ADDON}:{tag}" for tag in tags)
    command = (
        "source tools/common.sh && ensure_addon_link && "
        f"odoo_run -d {db} --test-tags '{spec}' --stop-after-init "
        "--log-level=test --max-cron-threads=0 --http-interface=127.0.0.1 "
        "--http-port=$(python3 -c 'import socket;s=socket.socket();"
        's.bind(("127.0.0.1",0));print(s.getsockname()[1])\')'
    )
    with open(log, "w", encoding="utf-8") as handle:
        subprocess.run(
            ["bash", "-c", command],
            cwd=REPO,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        )
    text = Path(log).read_text(encoding="utf-8", errors="replace")
    result = re.findall(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests", text)
    if not result:
        return None, 0
    failed, errors, total = map(int, result[-1])
    return failed + errors, total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", nargs="?", help="database with the addon installed")
    parser.add_argument("--only", nargs="*", type=int, help="mutation numbers")
    parser.add_argument("--list", action="store_true", help="print the table")
    args = parser.parse_args()
    chosen = [
        (number, mutation)
        for number, mutation in enumerate(MUTATIONS, 1)
        if not args.only or number in args.only
    ]
    if args.list or not args.db:
        for number, (path, _find, _replace, tags, what) in chosen:
            print(f"{number:2}. {what}  [{path}]  -> {', '.join(tags)}")
        return 0
    log_dir = REPO / ".build" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    tags = sorted({tag for _n, m in chosen for tag in m[3]})
    bad, total = run_tests(args.db, tags, log_dir / "mutation-clean.log")
    if bad is None or bad or not total:
        print(f"clean run not green ({bad} failed of {total}): fix the tests first")
        return 2
    print(f"clean run: {total} tests pass")
    survived = []
    for number, (path, find, replace, tags, what) in chosen:
        target = REPO / path
        original = target.read_text(encoding="utf-8")
        if original.count(find) != 1:
            print(f"{number:2}. NOT APPLIED ({original.count(find)} matches): {what}")
            survived.append(number)
            continue
        try:
            target.write_text(original.replace(find, replace), encoding="utf-8")
            bad, total = run_tests(args.db, tags, log_dir / f"mutation-{number}.log")
        finally:
            target.write_text(original, encoding="utf-8")
        if not total:
            status = "NO TEST RAN"
        else:
            status = "caught" if bad else "SURVIVED"
        if not bad or not total:
            survived.append(number)
        print(f"{number:2}. {status:8} {what}  -> {', '.join(tags)}  ({bad}/{total})")
    dirty = subprocess.run(
        ["git", "diff", "--stat", "--", *{m[0] for _n, m in chosen}],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if dirty:
        print("warning: files differ from the index:\n" + dirty)
    print(f"{len(chosen) - len(survived)} of {len(chosen)} mutations caught")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
