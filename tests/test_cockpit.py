from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestCockpitFixes(DunningTestCommon):
    """Fixes from the walk-through of the demo."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._create_customer("Walkthrough GmbH")
        cls._set_segment(cls.customer, "new")
        cls.invoice = cls._invoice(cls.customer, 1000.0, "2026-01-01", "2026-01-31")

    def test_record_dispute_from_invoice_form_carries_invoice_and_saves(self):
        action = self.invoice.action_dunning_dispute()
        form = Form(self.env[action["res_model"]].with_context(**action["context"]))
        self.assertEqual(len(form.line_ids), 1, "the invoice is on the form")
        form.reason = "quality"
        dispute = form.save()
        self.assertEqual(dispute.partner_id, self.customer)
        # One line, the whole open amount of the invoice (1000.00), no duplicate.
        self.assertRecordValues(
            dispute.line_ids, [{"move_id": self.invoice.id, "amount_disputed": 1000.0}]
        )
        self.assertEqual(dispute.amount_disputed, 1000.0)

    @freeze_time("2026-02-14")
    def test_send_reloads_the_view(self):
        run = self._run("2026-02-14")
        letter = run.letter_ids
        self.assertEqual(letter.state, "ready")
        result = letter.action_send_email()
        self.assertEqual(letter.state, "done")
        self.assertEqual(result["params"]["next"]["tag"], "soft_reload")

    @freeze_time("2026-03-15")
    def test_customer_tab_aging_and_block(self):
        # Open: 1000 due 2026-01-31 (43 days: 31-60), 200 due 2026-03-10
        # (5 days: 1-30), 300 due 2026-04-15 (not due); 100 of the 200 paid.
        second = self._invoice(self.customer, 200.0, "2026-02-08", "2026-03-10")
        self._invoice(self.customer, 300.0, "2026-03-15", "2026-04-15")
        self._pay(second, 100.0, "2026-03-12")
        partner = self.customer.with_company(self.company)
        # open 1000 + 100 + 300 = 1400; overdue 1000 + 100 = 1100
        self.assertEqual(partner.dunning_open_amount, 1400.0)
        self.assertEqual(partner.dunning_overdue_amount, 1100.0)
        buckets = self.env["res.partner"]._get_dunning_aging(
            self.company, self.customer.ids, fields.Date.to_date("2026-03-15")
        )[self.customer.id]
        self.assertEqual(
            {key: float(value) for key, value in buckets.items()},
            {
                "not_due": 300.0,
                "1_30": 100.0,
                "31_60": 1000.0,
                "61_90": 0.0,
                "over_90": 0.0,
            },
        )
        # Block the whole customer from its form: stored on the profile and
        # respected by the next run.
        with Form(self.customer) as form:
            form.dunning_block_until = "2026-03-31"
            form.dunning_block_reason = "Merger talks"
        profile = self.Profile._get_profiles(self.company, self.customer)
        self.assertEqual(str(profile.block_until), "2026-03-31")
        self.assertEqual(profile.block_reason, "Merger talks")
        run = self._run("2026-03-15")
        self.assertEqual(set(run.line_ids.mapped("reason")), {"blocked"})
        self.assertFalse(run.letter_ids)
        self.assertEqual(str(self.invoice.dunning_next_date), "2026-04-01")

    def test_customer_block_needs_dunning_user(self):
        user = self._dunning_user()
        user.groups_id -= self.env.ref(
            "account_relationship_dunning.group_dunning_user"
        )
        user.groups_id -= self.env.ref(
            "account_relationship_dunning.group_dunning_manager"
        )
        with self.assertRaises(UserError):
            self.customer.with_user(user).write(
                {"dunning_block_until": "2030-01-01", "dunning_block_reason": "x"}
            )

    @freeze_time("2026-02-14")
    def test_decisions_outcome_and_next_date_respects_blocks(self):
        other = self._create_customer("Skipped GmbH")
        self._set_segment(other, "new")
        skipped = self._invoice(other, 500.0, "2026-01-01", "2026-01-31")
        skipped.write(
            {"dunning_blocked_until": "2026-02-20", "dunning_block_reason": "Call"}
        )
        run = self._run("2026-02-14")
        outcomes = {line.move_id: line.outcome for line in run.line_ids}
        self.assertEqual(outcomes, {self.invoice: "dunned", skipped: "blocked"})
        groups = self.env["account.dunning.run.line"].read_group(
            [("run_id", "=", run.id)], ["days_overdue:max"], ["outcome"]
        )
        labels = dict(
            self.env["account.dunning.run.line"]
            ._fields["outcome"]
            ._description_selection(self.env)
        )
        self.assertEqual(labels["dunned"], "Dunned")
        self.assertEqual({g["outcome"] for g in groups}, {"dunned", "blocked"})
        # Days overdue are never summed: 14 and 14 give max 14 per group.
        total = self.env["account.dunning.run.line"].read_group(
            [("run_id", "=", run.id)], ["days_overdue"], []
        )[0]
        self.assertEqual(total["days_overdue"], 14)
        # The blocked invoice's next step is after its block (2026-02-21),
        # an excluded one has none.
        self.assertEqual(str(skipped.dunning_next_date), "2026-02-21")
        skipped.dunning_excluded = True
        skipped.invalidate_recordset(["dunning_next_date"])
        self.assertFalse(skipped.dunning_next_date)

    @freeze_time("2026-02-14")
    def test_run_wizard_explains_second_run(self):
        wizard = self.env["account.dunning.run.wizard"].create({"simulation": False})
        self.assertFalse(wizard.today_run_notice)
        run = self._run("2026-02-14")
        wizard = self.env["account.dunning.run.wizard"].create({"simulation": False})
        self.assertEqual(wizard.today_run_id, run)
        self.assertIn("creates no new letter", wizard.today_run_notice)
        self.assertIn(run.name, wizard.today_run_notice)
        wizard.simulation = True
        self.assertFalse(wizard.today_run_notice)
        wizard.simulation = False
        second = self.env["account.dunning.run"].browse(wizard.action_run()["res_id"])
        self.assertFalse(second.simulation)
        self.assertFalse(second.letter_ids)
        # the invoice got its level today: the next one is not reached yet
        self.assertEqual(second.line_ids.reason, "no_escalation")


@tagged("post_install", "-at_install")
class TestPromises(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._create_customer("Promising GmbH")
        cls._set_segment(cls.customer, "new")
        cls.invoice = cls._invoice(cls.customer, 1000.0, "2026-01-01", "2026-01-31")
        cls.Promise = cls.env["account.dunning.promise"]

    def _promise(self, amount, date_promised, moves=None):
        action = (
            self.invoice.action_dunning_promise()
            if moves is None
            else self.customer.action_dunning_promise()
        )
        form = Form(self.env[action["res_model"]].with_context(**action["context"]))
        form.date_promised = date_promised
        form.amount = amount
        return form.save()

    def test_promise_pauses_dunning_then_kept(self):
        with freeze_time("2026-02-10"):
            promise = self._promise(1000.0, "2026-02-20")
            self.assertEqual(promise.move_ids, self.invoice)
            self.assertEqual(promise.amount_open_at_promise, 1000.0)
            self.assertEqual(str(self.invoice.dunning_next_date), "2026-02-21")
        with freeze_time("2026-02-14"):
            run = self._run("2026-02-14")
            line = run.line_ids
            self.assertRecordValues(line, [{"reason": "promise", "outcome": "promise"}])
            self.assertFalse(run.letter_ids)
        self._pay(self.invoice, 1000.0, "2026-02-19")
        with freeze_time("2026-02-21"):
            self._run("2026-02-21")
            self.assertRecordValues(promise, [{"state": "kept", "amount_paid": 1000.0}])
            self.assertEqual(str(promise.date_closed), "2026-02-21")
            profile = self.Profile._get_profiles(self.company, self.customer)
            profile.action_recompute_score()
            self.assertEqual(profile.kept_promise_count, 1)
            self.assertEqual(profile.score_promises, 2.0)
            self.assertIn("Promises to pay", profile.score_breakdown)

    def test_broken_promise_resumes_dunning_with_activity(self):
        with freeze_time("2026-02-10"):
            promise = self._promise(600.0, "2026-02-20", moves=False)
            self.assertEqual(promise.move_ids, self.invoice, "all open invoices")
        # Only 400 of the promised 600 paid: broken.
        self._pay(self.invoice, 400.0, "2026-02-18")
        with freeze_time("2026-02-23"):
            profile = self.Profile._get_profiles(self.company, self.customer)
            profile.action_recompute_score()
            score_before = profile.score
            run = self._run("2026-02-23")
            self.assertRecordValues(
                promise, [{"state": "broken", "amount_paid": 400.0}]
            )
            self.assertEqual(len(promise.activity_ids), 1)
            self.assertEqual(promise.activity_ids.user_id, self.env.user)
            # Dunning resumes in the same run: 23 days overdue, 600 open.
            self.assertEqual(run.line_ids.decision, "letter")
            profile.action_recompute_score()
            self.assertEqual(profile.broken_promise_count, 1)
            self.assertEqual(profile.score_promises, -8.0)
            self.assertEqual(round(score_before - profile.score, 1), 8.0)

    def test_promise_from_letter_and_rules(self):
        with freeze_time("2026-02-14"):
            letter = self._run("2026-02-14").letter_ids
            action = letter.action_record_promise()
            form = Form(self.env[action["res_model"]].with_context(**action["context"]))
            form.date_promised = "2026-02-28"
            promise = form.save()
            self.assertEqual(promise.letter_id, letter)
            self.assertEqual(promise.amount, 1000.0)
            with self.assertRaises(UserError):
                form = Form(self.Promise.with_context(**action["context"]))
                form.date_promised = "2026-02-01"
                form.save()
            outsider = self._dunning_user("no_dunning")
            outsider.groups_id -= self.env.ref(
                "account_relationship_dunning.group_dunning_user"
            )
            with self.assertRaises(UserError):
                self.Promise.with_user(outsider).create(
                    {
                        "partner_id": self.customer.id,
                        "date_promised": "2026-02-20",
                        "amount": 10.0,
                    }
                )
