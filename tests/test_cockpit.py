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
        user = self._dunning_user()
        Wizard = self.env["account.dunning.run.wizard"].with_user(user)
        form = Form(Wizard)
        self.assertTrue(form.simulation, "a simulation unless the user says so")
        form.simulation = False
        self.assertFalse(form.today_run_notice)
        run = self._run("2026-02-14")
        form = Form(Wizard)
        form.simulation = False
        self.assertEqual(form.today_run_id, run)
        self.assertIn("creates no new letter", form.today_run_notice)
        self.assertIn(run.name, form.today_run_notice)
        form.simulation = True
        self.assertFalse(form.today_run_notice)
        form.simulation = False
        wizard = form.save()
        second = self.env["account.dunning.run"].browse(wizard.action_run()["res_id"])
        self.assertRecordValues(
            second,
            [{"simulation": False, "user_id": user.id, "letter_count": 0}],
        )
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


@tagged("post_install", "-at_install")
class TestDashboard(DunningTestCommon):
    """The overview's figures equal independent SQL on the same data."""

    @freeze_time("2026-03-15")
    def test_figures_match_sql_and_open_their_records(self):
        new = self._create_customer("Dash New GmbH")
        standard = self._create_customer("Dash Standard GmbH")
        self._set_segment(new, "new")
        self._set_segment(standard, "standard")
        inv_new_old = self._invoice(new, 1000.0, "2025-11-01", "2025-12-01")  # 104 days
        self._invoice(new, 400.0, "2026-02-01", "2026-02-20")  # 23 days
        inv_std = self._invoice(standard, 700.0, "2026-01-01", "2026-01-31")  # 43 days
        self._invoice(standard, 300.0, "2026-03-01", "2026-03-31")  # not due
        blocked = self._invoice(standard, 250.0, "2026-01-10", "2026-02-09")  # 34 days
        blocked.write(
            {"dunning_blocked_until": "2026-03-20", "dunning_block_reason": "x"}
        )
        self._pay(inv_std, 200.0, "2026-02-10")
        self._dispute(new, inv_new_old, amounts=[600.0])
        data = self.env["account.dunning.dashboard"].get_dashboard_data()
        today = fields.Date.to_date("2026-03-15")

        # Open amounts by bucket, computed independently from the invoices.
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT CASE WHEN %(today)s - invoice_date_due <= 0 THEN 'not_due'
                        WHEN %(today)s - invoice_date_due <= 30 THEN '1_30'
                        WHEN %(today)s - invoice_date_due <= 60 THEN '31_60'
                        WHEN %(today)s - invoice_date_due <= 90 THEN '61_90'
                        ELSE 'over_90' END,
                   SUM(amount_residual)
              FROM account_move
             WHERE company_id = %(company)s AND move_type = 'out_invoice'
               AND state = 'posted' AND payment_state IN ('not_paid', 'partial')
          GROUP BY 1
            """,
            {"today": today, "company": self.company.id},
        )
        expected = {bucket: float(amount) for bucket, amount in self.env.cr.fetchall()}
        # Hand check: 1000 (>90), 400 (1-30), 500 + 250 (31-60), 300 (not due).
        self.assertEqual(
            expected,
            {"over_90": 1000.0, "1_30": 400.0, "31_60": 750.0, "not_due": 300.0},
        )
        totals = data["aging"]["totals"]
        self.assertEqual({k: v["amount"] for k, v in totals.items()}, expected)
        # Every figure opens exactly the records behind it.
        for bucket, cell in totals.items():
            moves = self.env["account.move"].search(cell["action"]["domain"])
            self.assertEqual(sum(moves.mapped("amount_residual")), expected[bucket])
        standard_row = next(
            row
            for row in data["aging"]["segment_id"]
            if row["id"] == self.segment["standard"].id
        )
        self.assertEqual(standard_row["cells"]["31_60"]["amount"], 750.0)
        self.assertEqual(standard_row["total"], 1050.0)
        moves = self.env["account.move"].search(
            standard_row["cells"]["31_60"]["action"]["domain"]
        )
        self.assertEqual(moves, inv_std | blocked)

        amounts = {item["key"]: item for item in data["amounts"]}
        self.env.cr.execute(
            """
            SELECT SUM(l.amount_disputed) FROM account_dunning_dispute_line l
              JOIN account_dunning_dispute d ON d.id = l.dispute_id
             WHERE d.company_id = %s
               AND d.state IN ('open', 'clarification', 'mediation')
            """,
            [self.company.id],
        )
        self.assertEqual(amounts["dispute"]["amount"], float(self.env.cr.fetchone()[0]))
        self.assertEqual(amounts["dispute"]["amount"], 600.0)
        self.assertEqual(amounts["blocked"]["amount"], 250.0)
        self.assertEqual(
            self.env["account.move"].search(amounts["blocked"]["action"]["domain"]),
            blocked,
        )

        # DSO of March 2026 (15 days so far): receivables at the end
        # 1000 + 400 + 500 + 300 + 250 = 2450, credit sales in March 300:
        # 2450 / 300 × 15 = 122.5 days.
        march = data["monthly"][-1]
        self.assertEqual(march["month"], "2026-03-01")
        self.assertEqual(march["dso"], 122.5)
        # CEI of February: receivables on 02-01 are the invoices of November
        # and January (1000 + 700 + 250 = 1950), February's credit sales 400,
        # on 02-28 1950 + 400 - 200 paid = 2150; none of them is still
        # current (not yet due) on 02-28.
        self.env.cr.execute(
            """
            SELECT COALESCE(SUM(l.balance) FILTER (WHERE l.date < '2026-02-01'), 0),
                   COALESCE(SUM(l.balance) FILTER (WHERE l.date <= '2026-02-28'), 0),
                   COALESCE(SUM(l.balance) FILTER (
                       WHERE l.date BETWEEN '2026-02-01' AND '2026-02-28'
                         AND m.move_type = 'out_invoice' AND l.balance > 0), 0)
              FROM account_move_line l
              JOIN account_move m ON m.id = l.move_id
              JOIN account_account a ON a.id = l.account_id
             WHERE l.company_id = %s AND l.parent_state = 'posted'
               AND a.account_type = 'asset_receivable'
            """,
            [self.company.id],
        )
        opening, closing, sales = (float(v) for v in self.env.cr.fetchone())
        self.assertEqual((opening, closing, sales), (1950.0, 2150.0, 400.0))
        february = data["monthly"][-2]
        # (1950 + 400 - 2150) / (1950 + 400 - 0) = 200 / 2350 = 8.5 %
        self.assertEqual(february["cei"], 8.5)
        work = {item["key"]: item["count"] for item in data["work"]}
        self.assertEqual(work["to_approve"], 0)
