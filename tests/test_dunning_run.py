import psycopg2
from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningRun(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.strategic = cls._create_customer("Strategic Partner AG")
        cls.strategic.user_id = cls.salesperson
        cls.newcomer = cls._create_customer("Newcomer GmbH")
        cls.inv_strategic = cls._invoice(
            cls.strategic, 1000.0, "2026-01-01", "2026-01-31"
        )
        cls.inv_new = cls._invoice(cls.newcomer, 1000.0, "2026-01-01", "2026-01-31")
        cls._set_segment(cls.strategic, "strategic")
        cls._set_segment(cls.newcomer, "new")

    def _decision(self, run, invoice):
        return run.line_ids.filtered(lambda line: line.move_id == invoice)

    @freeze_time("2026-02-14")
    def test_strategic_gets_call_newcomer_gets_letter(self):
        run = self._run("2026-02-14")
        letters = run.letter_ids
        strategic_letter = letters.filtered(lambda lt: lt.partner_id == self.strategic)
        new_letter = letters.filtered(lambda lt: lt.partner_id == self.newcomer)
        # Same invoice, same 14 days overdue: the strategic partner gets a call
        # by the salesperson, the new customer a reminder letter.
        self.assertEqual(strategic_letter.channel, "phone")
        self.assertEqual(strategic_letter.level_id.name, "Personal Call")
        self.assertEqual(strategic_letter.activity_ids.user_id, self.salesperson)
        self.assertEqual(self._decision(run, self.inv_strategic).decision, "call")
        self.assertEqual(new_letter.channel, "email")
        self.assertEqual(new_letter.level_id.name, "Payment Reminder")
        self.assertEqual(new_letter.state, "ready")
        self.assertFalse(new_letter.activity_ids)
        self.assertEqual(self.inv_new.dunning_level_id, new_letter.level_id)
        self.assertEqual(str(self.inv_new.dunning_last_date), "2026-02-14")
        self.assertRecordValues(
            new_letter.line_ids,
            [
                {
                    "move_id": self.inv_new.id,
                    "amount_total": 1000.0,
                    "amount_paid": 0.0,
                    "amount_residual": 1000.0,
                    "days_overdue": 14,
                    "escalated": True,
                }
            ],
        )
        self.assertRecordValues(
            run,
            [{"invoice_count": 2, "letter_count": 1, "call_count": 1, "skip_count": 0}],
        )

    @freeze_time("2026-02-14")
    def test_call_claims_final_when_created(self):
        """A phone call is created done: the run inserts it with its claims
        final (no later update), the letter waits for sending with its
        claims open."""
        run = self._run("2026-02-14")
        call = run.letter_ids.filtered(lambda lt: lt.partner_id == self.strategic)
        letter = run.letter_ids.filtered(lambda lt: lt.partner_id == self.newcomer)
        # Read back from the database, not from the cache the run filled.
        self.env.invalidate_all()
        self.assertRecordValues(
            call + letter,
            [
                {"channel": "phone", "state": "done", "claims_frozen": True},
                {"channel": "email", "state": "ready", "claims_frozen": False},
            ],
        )
        # 1000.00 open, a first contact: no interest, fee or compensation.
        self.assertRecordValues(
            call, [{"amount_residual": 1000.0, "amount_total_due": 1000.0}]
        )
        with self.assertRaises(UserError):
            call.line_ids.write({"interest_amount": 5.0})
        self.assertEqual(call.line_ids.interest_amount, 0.0)

    def test_levels_advance_with_time_and_respect_interval(self):
        # New-customer ladder: reminder at 5 days, 1st letter at 19 days with at
        # least 14 days since the previous step, 2nd letter at 33 days.
        with freeze_time("2026-02-15"):
            run = self._run("2026-02-15")
            self.assertEqual(self.inv_new.dunning_level_id.name, "Payment Reminder")
        with freeze_time("2026-02-20"):
            run = self._run("2026-02-20")
            decision = self._decision(run, self.inv_new)
            self.assertEqual(decision.reason, "interval")
            self.assertFalse(
                run.letter_ids.filtered(lambda lt: lt.partner_id == self.newcomer)
            )
            self.assertEqual(self.inv_new.dunning_level_id.name, "Payment Reminder")
        with freeze_time("2026-03-01"):
            run = self._run("2026-03-01")
            self.assertEqual(self._decision(run, self.inv_new).decision, "letter")
            self.assertEqual(self.inv_new.dunning_level_id.name, "First Dunning Letter")
        with freeze_time("2026-03-03"):
            # 31 days overdue, the 2nd letter starts at 33 days: nothing new.
            run = self._run("2026-03-03")
            self.assertEqual(self._decision(run, self.inv_new).reason, "no_escalation")
        with freeze_time("2026-03-20"):
            run = self._run("2026-03-20")
            self.assertEqual(
                self.inv_new.dunning_level_id.name, "Second Dunning Letter"
            )
            self.assertEqual(str(self.inv_new.dunning_last_date), "2026-03-20")

    def test_levels_are_climbed_one_at_a_time(self):
        # 60 days overdue on the first run: the customer gets the reminder, not
        # the final notice.
        with freeze_time("2026-04-01"):
            self._run("2026-04-01")
        self.assertEqual(self.inv_new.dunning_level_id.name, "Payment Reminder")

    @freeze_time("2026-02-14")
    def test_partial_payment_below_minimum_amount_skips(self):
        standard = self._create_customer("Standard KG")
        invoice = self._invoice(standard, 100.0, "2026-01-01", "2026-01-31")
        self._set_segment(standard, "standard")
        self._pay(invoice, 97.0, "2026-02-10")
        self.assertEqual(invoice.amount_residual, 3.0)
        run = self._run("2026-02-14")
        decision = self._decision(run, invoice)
        self.assertEqual(decision.decision, "skip")
        self.assertEqual(decision.reason, "min_amount")
        self.assertEqual(decision.amount_overdue, 3.0)
        self.assertFalse(invoice.dunning_level_id)

    @freeze_time("2026-02-14")
    def test_partial_payment_above_minimum_is_dunned_for_the_rest(self):
        self._pay(self.inv_new, 400.0, "2026-02-10")
        run = self._run("2026-02-14")
        line = run.letter_ids.filtered(
            lambda lt: lt.partner_id == self.newcomer
        ).line_ids
        self.assertRecordValues(
            line,
            [{"amount_total": 1000.0, "amount_paid": 400.0, "amount_residual": 600.0}],
        )

    def test_blocks_until_a_date(self):
        with freeze_time("2026-02-14"):
            self.inv_new.write(
                {"dunning_blocked_until": "2026-02-28", "dunning_block_reason": "Call"}
            )
            profile = self.Profile._get_profiles(self.company, self.strategic)
            profile.write({"block_until": "2026-03-31", "block_reason": "Holiday"})
            run = self._run("2026-02-14")
            self.assertEqual(self._decision(run, self.inv_new).reason, "blocked")
            self.assertEqual(self._decision(run, self.inv_strategic).reason, "blocked")
            self.assertFalse(run.letter_ids)
        with freeze_time("2026-03-01"):
            # The invoice block has expired, the customer block has not.
            run = self._run("2026-03-01")
            self.assertEqual(self._decision(run, self.inv_new).decision, "letter")
            self.assertEqual(self._decision(run, self.inv_strategic).reason, "blocked")

    @freeze_time("2026-02-14")
    def test_excluded_invoice_is_skipped(self):
        self.inv_new.dunning_excluded = True
        run = self._run("2026-02-14")
        self.assertEqual(self._decision(run, self.inv_new).reason, "excluded")

    @freeze_time("2026-02-14")
    def test_second_run_same_day_creates_nothing(self):
        first = self._run("2026-02-14")
        self.assertEqual(len(first.letter_ids), 2)
        letters_before = self.env["account.dunning.letter"].search_count([])
        activities_before = self.env["mail.activity"].search_count([])
        second = self._run("2026-02-14")
        self.assertFalse(second.letter_ids)
        # Both invoices already reached the level their age allows today.
        self.assertEqual(set(second.line_ids.mapped("decision")), {"skip"})
        self.assertEqual(set(second.line_ids.mapped("reason")), {"no_escalation"})
        self.assertEqual(
            self.env["account.dunning.letter"].search_count([]), letters_before
        )
        self.assertEqual(self.env["mail.activity"].search_count([]), activities_before)

    @freeze_time("2026-02-14")
    def test_cron_is_idempotent(self):
        self.env["account.dunning.run"]._cron_daily_run(batch_size=10)
        runs = self.env["account.dunning.run"].search(
            [("company_id", "=", self.company.id), ("date", "=", "2026-02-14")]
        )
        self.assertEqual(len(runs), 1)
        self.assertEqual(len(runs.letter_ids), 2)
        self.env["account.dunning.run"]._cron_daily_run(batch_size=10)
        self.assertEqual(
            self.env["account.dunning.run"].search_count(
                [("company_id", "=", self.company.id), ("date", "=", "2026-02-14")]
            ),
            1,
        )

    @freeze_time("2026-02-14")
    def test_database_refuses_two_letters_for_one_customer_a_day(self):
        run = self._run("2026-02-14")
        letter = run.letter_ids[0]
        with (
            self.assertRaises(psycopg2.IntegrityError),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            # sudo: only the engine creates letters; the database must refuse
            # a second one even then.
            letter.sudo().copy({"name": "/", "run_id": False})

    @freeze_time("2026-02-14")
    def test_simulation_writes_nothing(self):
        newcomer2 = self._create_customer("Unknown Newcomer GmbH")
        invoice = self._invoice(newcomer2, 500.0, "2026-01-01", "2026-01-31")
        profiles_before = self.Profile.search_count([])
        run = self._run("2026-02-14", simulation=True)
        self.assertTrue(run.simulation)
        self.assertFalse(run.letter_ids)
        self.assertFalse(self.env["account.dunning.letter"].search_count([]))
        self.assertFalse(self.inv_new.dunning_level_id)
        self.assertFalse(invoice.dunning_level_id)
        self.assertEqual(self.Profile.search_count([]), profiles_before)
        # ...but it tells what a real run would do.
        self.assertEqual(self._decision(run, self.inv_new).decision, "letter")
        self.assertEqual(self._decision(run, self.inv_strategic).decision, "call")
        self.assertEqual(self._decision(run, invoice).decision, "letter")

    @freeze_time("2026-02-14")
    def test_customer_without_email_falls_back_to_post(self):
        self.newcomer.email = False
        run = self._run("2026-02-14")
        letter = run.letter_ids.filtered(lambda lt: lt.partner_id == self.newcomer)
        self.assertEqual(letter.channel, "post")
        self.assertIn("No e-mail address", letter.channel_note)

    @freeze_time("2026-02-14")
    def test_one_letter_per_customer_at_highest_level(self):
        older = self._invoice(self.newcomer, 200.0, "2025-12-01", "2025-12-31")
        # sudo: the level an earlier run left (engine output).
        older.sudo().write(
            {
                "dunning_level_id": self._level("new", "Payment Reminder").id,
                "dunning_last_date": "2026-01-10",
            }
        )
        run = self._run("2026-02-14")
        letter = run.letter_ids.filtered(lambda lt: lt.partner_id == self.newcomer)
        self.assertEqual(len(letter), 1)
        self.assertEqual(letter.level_id.name, "First Dunning Letter")
        self.assertEqual(letter.line_ids.move_id, older | self.inv_new)
        self.assertEqual(letter.amount_residual, 1200.0)
        self.assertEqual(older.dunning_level_id.name, "First Dunning Letter")
        self.assertEqual(self.inv_new.dunning_level_id.name, "Payment Reminder")


@tagged("post_install", "-at_install")
class TestDunningApproval(DunningTestCommon):
    def test_final_notice_waits_for_manager_approval(self):
        customer = self._create_customer("Late Payer GmbH")
        invoice = self._invoice(customer, 800.0, "2026-01-01", "2026-01-31")
        self._set_segment(customer, "new")
        final = self._level("new", "Final Notice")
        second = self._level("new", "Second Dunning Letter")
        # sudo: the level an earlier run left (engine output).
        invoice.sudo().write(
            {"dunning_level_id": second.id, "dunning_last_date": "2026-02-20"}
        )
        with freeze_time("2026-03-20"):
            run = self._run("2026-03-20")
        letter = run.letter_ids
        self.assertEqual(letter.level_id, final)
        self.assertEqual(letter.state, "to_approve")
        with freeze_time("2026-04-10"):
            run2 = self._run("2026-04-10")
        self.assertEqual(run2.line_ids.reason, "approval")
        user = self._dunning_user()
        with self.assertRaises(UserError):
            letter.with_user(user).action_approve()
        self.assertEqual(letter.state, "to_approve")
        letter.action_approve()
        self.assertEqual(letter.state, "ready")
        self.assertEqual(letter.approved_by_id, self.env.user)

    def test_cancel_restores_previous_level(self):
        customer = self._create_customer("Cancel GmbH")
        invoice = self._invoice(customer, 800.0, "2026-01-01", "2026-01-31")
        self._set_segment(customer, "new")
        with freeze_time("2026-02-14"):
            run = self._run("2026-02-14")
        self.assertTrue(invoice.dunning_level_id)
        run.letter_ids.action_cancel()
        self.assertFalse(invoice.dunning_level_id)
        self.assertFalse(invoice.dunning_last_date)
        self.assertEqual(run.letter_ids.state, "cancel")
