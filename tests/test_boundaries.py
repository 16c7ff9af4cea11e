"""The exact days the engine's rules start or end, every skip reason the
tests elsewhere do not reach, the same-day guard and the run lock.

Standard ladder (shipped policy, business customers): grace 0 days,
Payment Reminder from 7 days overdue, First Dunning Letter from 21 days and
at least 14 days after the previous step. The invoices below are due on
2026-01-31, so day N overdue is 2026-01-31 + N."""

from unittest.mock import patch

from freezegun import freeze_time

from odoo import sql_db
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from ..models.account_dunning_run import RUN_LOCK_KEY, DunningRunLocked
from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningBoundaries(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._create_customer("Boundary GmbH")
        cls._set_segment(cls.customer, "standard")
        cls.invoice = cls._invoice(cls.customer, 1000.0, "2026-01-01", "2026-01-31")
        cls.reminder = cls._level("standard", "Payment Reminder")
        cls.first = cls._level("standard", "First Dunning Letter")

    def _decide_on(self, run_date):
        with freeze_time(run_date):
            run = self._run(run_date)
        return self._decision(run, self.invoice)

    def test_level_starts_on_its_day(self):
        # 2026-02-06 is day 6: before the reminder (day 7), no level yet.
        decision = self._decide_on("2026-02-06")
        self.assertRecordValues(decision, [{"decision": "skip", "reason": "grace"}])
        self.assertFalse(self.invoice.dunning_level_id)
        # 2026-02-07 is day 7: the reminder starts that very day.
        decision = self._decide_on("2026-02-07")
        self.assertRecordValues(
            decision,
            [{"decision": "letter", "level_id": self.reminder.id, "days_overdue": 7}],
        )
        self.assertEqual(self.invoice.dunning_level_id, self.reminder)

    def test_grace_period_ends_on_its_last_day(self):
        self.reminder.policy_id.grace_days = 10
        # Day 10 is the last day of grace (days overdue <= grace days).
        decision = self._decide_on("2026-02-10")
        self.assertRecordValues(
            decision, [{"decision": "skip", "reason": "grace", "days_overdue": 10}]
        )
        # Day 11: grace is over, the reminder (due since day 7) goes out.
        decision = self._decide_on("2026-02-11")
        self.assertRecordValues(
            decision, [{"decision": "letter", "level_id": self.reminder.id}]
        )

    def test_invoice_block_ends_on_its_date(self):
        with freeze_time("2026-02-14"):
            self.invoice.write(
                {"dunning_blocked_until": "2026-02-20", "dunning_block_reason": "Call"}
            )
        # Blocked up to and including 2026-02-20 ...
        decision = self._decide_on("2026-02-20")
        self.assertRecordValues(decision, [{"decision": "skip", "reason": "blocked"}])
        self.assertFalse(self.invoice.dunning_level_id)
        # ... and dunned again the day after.
        decision = self._decide_on("2026-02-21")
        self.assertEqual(decision.decision, "letter")

    def test_customer_block_ends_on_its_date(self):
        with freeze_time("2026-02-14"):
            profile = self.Profile._get_profiles(self.company, self.customer)
            profile.write({"block_until": "2026-02-20", "block_reason": "Holiday"})
        decision = self._decide_on("2026-02-20")
        self.assertRecordValues(decision, [{"decision": "skip", "reason": "blocked"}])
        self.assertIn("Customer blocked until", decision.note)
        decision = self._decide_on("2026-02-21")
        self.assertEqual(decision.decision, "letter")

    def test_minimum_interval_ends_on_its_day(self):
        # Reminder on day 10 (2026-02-10). The first letter is due from day 21
        # (2026-02-21), but only 14 days after the reminder: 2026-02-24.
        self.assertEqual(self.first.min_days_since_previous, 14)
        self.assertEqual(self._decide_on("2026-02-10").decision, "letter")
        decision = self._decide_on("2026-02-23")  # 13 days after the reminder
        self.assertRecordValues(
            decision, [{"decision": "skip", "reason": "interval", "days_overdue": 23}]
        )
        self.assertIn("Last dunning step on", decision.note)
        decision = self._decide_on("2026-02-24")  # 14 days: allowed
        self.assertRecordValues(
            decision, [{"decision": "letter", "level_id": self.first.id}]
        )

    def test_same_day_rerun_reaches_the_same_day_guard(self):
        with freeze_time("2026-02-14"):
            first = self._run("2026-02-14")
            self.assertEqual(len(first.letter_ids), 1)
            # An invoice posted after the run, 25 days overdue and at no level
            # yet: its reminder would be due, and the reminder has no minimum
            # interval, so only the same-day guard holds it back.
            later = self._invoice(self.customer, 300.0, "2025-12-20", "2026-01-20")
            self.assertEqual(self.reminder.min_days_since_previous, 0)
            second = self._run("2026-02-14")
        self.assertRecordValues(
            self._decision(second, later),
            [
                {
                    "decision": "skip",
                    "reason": "interval",
                    "note": "Already dunned today",
                    "outcome": "interval",
                }
            ],
        )
        self.assertEqual(self._decision(second, self.invoice).reason, "no_escalation")
        self.assertFalse(second.letter_ids)
        self.assertFalse(later.dunning_level_id)
        self.assertRecordValues(second, [{"letter_count": 0, "skip_count": 2}])

    def test_no_policy_for_the_segment(self):
        orphan = self.env["account.dunning.segment"].create(
            {"name": "Without policy", "code": "orphan", "company_id": self.company.id}
        )
        self.Profile._get_profiles(self.company, self.customer)._set_override(
            orphan, "Test: a segment nobody wrote a policy for"
        )
        decision = self._decide_on("2026-02-14")
        self.assertRecordValues(
            decision,
            [{"decision": "skip", "reason": "no_policy", "outcome": "no_policy"}],
        )
        self.assertFalse(self.invoice.dunning_level_id)

    def test_waiting_for_review_holds_back_new_letters(self):
        self.company.dunning_review_before_sending = True
        with freeze_time("2026-02-14"):
            letter = self._run("2026-02-14").letter_ids
        self.assertEqual(letter.state, "draft")
        # Another invoice becomes due later; the draft still waits.
        self._invoice(self.customer, 200.0, "2026-01-10", "2026-02-10")
        decision = self._decide_on("2026-03-01")
        self.assertRecordValues(decision, [{"decision": "skip", "reason": "approval"}])

    @mute_logger("odoo.sql_db")
    def test_concurrent_run_wins_the_letter(self):
        """A run of another worker commits a letter of today between this
        run's read of today's letters and its insert: the unique index
        refuses the second letter and the decision says why."""
        Run = type(self.Run)
        original = Run._prepare_context
        rival = {}

        def prepare_context(run, invoices):
            context = original(run, invoices)
            # sudo: stands for the concurrent run of the dunning process.
            rival["letter"] = (
                self.env["account.dunning.letter"]
                .sudo()
                .create(
                    {
                        "company_id": self.company.id,
                        "partner_id": self.customer.id,
                        "policy_id": self.reminder.policy_id.id,
                        "level_id": self.reminder.id,
                        "channel": "email",
                        "state": "ready",
                        "date": run.date,
                        "currency_id": self.company.currency_id.id,
                    }
                )
            )
            return context

        with (
            freeze_time("2026-02-14"),
            patch.object(Run, "_prepare_context", prepare_context),
        ):
            run = self._run("2026-02-14")
        self.assertRecordValues(
            self._decision(run, self.invoice),
            [{"decision": "skip", "reason": "concurrent", "letter_id": False}],
        )
        self.assertEqual(run.letter_ids, self.env["account.dunning.letter"])
        self.assertFalse(self.invoice.dunning_level_id)

    def test_run_lock_refuses_a_second_writer(self):
        self.env.flush_all()
        # A second database connection stands for a run in progress.
        other = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute(
                SQL(
                    "SELECT pg_try_advisory_xact_lock(%s, %s)",
                    RUN_LOCK_KEY,
                    self.company.id,
                )
            )
            self.assertTrue(other.fetchone()[0])
            with freeze_time("2026-02-14"):
                with self.assertRaisesRegex(DunningRunLocked, "already in progress"):
                    self._run("2026-02-14")
                # The daily job leaves the company to the running one.
                mine = [("company_id", "=", self.company.id)]
                runs_before = self.Run.search_count(mine)
                with mute_logger("odoo.addons.account_relationship_dunning"):
                    self.Run._cron_daily_run(batch_size=100)
                self.assertEqual(self.Run.search_count(mine), runs_before)
                # A simulation writes nothing and does not need the lock.
                simulation = self._run("2026-02-14", simulation=True)
        finally:
            other.rollback()
            other.close()
        self.assertEqual(simulation.state, "done")
        self.assertFalse(self.invoice.dunning_level_id)
        with freeze_time("2026-02-14"):
            run = self._run("2026-02-14")
        self.assertEqual(self._decision(run, self.invoice).decision, "letter")
