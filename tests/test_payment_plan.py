import os
import subprocess
import tempfile

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestPaymentPlan(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Plan = cls.env["account.dunning.payment.plan"]
        cls.Installment = cls.env["account.dunning.payment.plan.installment"]
        cls.business = cls._create_customer("Plan Business GmbH")
        cls.consumer = cls._create_customer("Erika Mustermann", is_company=False)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _offer(self, moves, first_due_date, **values):
        return self._offer_plan(moves, first_due_date, **values)

    def _accept(self, plan):
        plan.action_propose()
        plan.action_accept()
        self.assertEqual(plan.state, "active")
        return plan

    def _messages(self, plan, text):
        return plan.message_ids.filtered(
            lambda m: text in (m.subject or "") or text in str(m.body)
        )

    def _decision(self, run, invoice):
        return run.line_ids.filtered(lambda line: line.move_id == invoice)

    # ------------------------------------------------------------------
    # Schedule
    # ------------------------------------------------------------------
    @freeze_time("2026-01-01")
    def test_schedule_sums_exactly_with_odd_cents(self):
        # 100.00 in three: the last installment absorbs the rounding.
        invoice = self._invoice(self.business, 100.0, "2025-12-01", "2025-12-15")
        plan = self._offer(invoice, "2026-01-31", installment_number=3)
        self.assertRecordValues(
            plan.installment_ids,
            [
                {"sequence": 1, "due_date": self._date("2026-01-31"), "amount": 33.33},
                {"sequence": 2, "due_date": self._date("2026-02-28"), "amount": 33.33},
                {"sequence": 3, "due_date": self._date("2026-03-31"), "amount": 33.34},
            ],
        )
        self.assertEqual(plan.amount_total, 100.0)
        self.assertEqual(plan.state, "draft")
        plan.action_cancel()

        # By installment amount, with odd cents: 300 + 300 + 300 + 100.01.
        odd = self._invoice(self.business, 1000.01, "2025-12-01", "2025-12-15")
        plan = self._offer(
            odd,
            "2026-01-15",
            schedule_mode="amount",
            installment_amount=300.0,
            frequency="weekly",
        )
        self.assertEqual(plan.installment_ids.mapped("amount"), [300.0] * 3 + [100.01])
        self.assertEqual(
            [str(d) for d in plan.installment_ids.mapped("due_date")],
            ["2026-01-15", "2026-01-22", "2026-01-29", "2026-02-05"],
        )
        self.assertAlmostEqual(sum(plan.installment_ids.mapped("amount")), 1000.01)
        plan.action_cancel()

        # Down payment, then quarterly installments: 100 + 300 + 300 + 300.01.
        plan = self._offer(
            odd,
            "2026-01-15",
            down_payment=100.0,
            installment_number=3,
            frequency="quarterly",
        )
        self.assertRecordValues(
            plan.installment_ids,
            [
                {"amount": 100.0, "is_down_payment": True},
                {"amount": 300.0, "is_down_payment": False},
                {"amount": 300.0, "is_down_payment": False},
                {"amount": 300.01, "is_down_payment": False},
            ],
        )
        self.assertEqual(
            [str(d) for d in plan.installment_ids.mapped("due_date")],
            ["2026-01-15", "2026-04-15", "2026-07-15", "2026-10-15"],
        )
        self.assertEqual(plan.amount_total, 1000.01)
        plan.action_cancel()

        # Fees of the agreement and 5 % interest: each installment carries the
        # interest on its principal from the offer date to its due date.
        # The 40.00 are the fee of the final notice the plan is offered from:
        # a user adds charges through "Include Interest and Fees" only.
        invoice = self._invoice(self.business, 1000.0, "2025-12-01", "2025-12-15")
        letter = self._send_final_letter(self.business, invoice, "2025-12-30", fee=40.0)
        form = self._plan_wizard_form(letter=letter)
        self._fill(
            form,
            {
                "include_charges": True,
                "first_due_date": "2026-02-01",
                "installment_number": 3,
                "interest_rate": 5.0,
            },
        )
        # 1,000.00 open + 40.00 fee + 8.54 plan interest (computed below).
        self.assertEqual(form.amount_charges, 40.0)
        self.assertEqual(form.amount_total, 1048.54)
        plan = self.Plan.browse(form.save().action_create_plan()["res_id"])
        # 1040 = 346.67 + 346.67 + 346.66; interest 31, 59 and 90 days.
        self.assertRecordValues(
            plan.installment_ids,
            [
                {"principal_amount": 346.67, "interest_amount": 1.47, "amount": 348.14},
                {"principal_amount": 346.67, "interest_amount": 2.80, "amount": 349.47},
                {"principal_amount": 346.66, "interest_amount": 4.27, "amount": 350.93},
            ],
        )
        self.assertRecordValues(
            plan,
            [{"amount_open": 1000.0, "amount_interest": 8.54, "amount_total": 1048.54}],
        )
        self._accept(plan)
        charges = plan.charge_move_id
        self.assertEqual(charges.amount_total, 48.54)
        self.assertIn(charges, plan.move_ids)
        self.assertEqual(plan.amount_paid, 0.0)
        self.assertEqual(plan.amount_residual, 1048.54)

    # ------------------------------------------------------------------
    # Payments
    # ------------------------------------------------------------------
    def test_payments_fill_installments_in_order(self):
        older = self._invoice(self.business, 600.0, "2025-11-01", "2025-12-01")
        newer = self._invoice(self.business, 400.0, "2025-12-01", "2026-01-01")
        with freeze_time("2026-01-10"):
            plan = self._accept(
                self._offer(older | newer, "2026-02-01", installment_number=3)
            )
        self.assertEqual(
            plan.installment_ids.mapped("amount"), [333.33, 333.33, 333.34]
        )

        # A part payment on one invoice fills the first installment partly.
        with freeze_time("2026-01-25"):
            self._pay(older, 200.0, "2026-01-25")
        self.assertRecordValues(
            plan.installment_ids,
            [
                {"amount_paid": 200.0, "amount_residual": 133.33, "state": "partial"},
                {"amount_paid": 0.0, "amount_residual": 333.33, "state": "open"},
                {"amount_paid": 0.0, "amount_residual": 333.34, "state": "open"},
            ],
        )
        self.assertEqual(plan.amount_paid, 200.0)

        # One payment registered on the plan covers several installments and is
        # reconciled with the invoices oldest first.
        with freeze_time("2026-02-01"):
            action = plan.action_register_payment()
            self.assertEqual(action["context"]["default_amount"], 133.33)
            register = (
                self.env[action["res_model"]]
                .with_context(**action["context"])
                .create({"amount": 500.0, "payment_date": "2026-02-01"})
            )
            register._create_payments()
        self.assertEqual(older.amount_residual, 0.0)
        self.assertEqual(newer.amount_residual, 300.0)
        self.assertRecordValues(
            plan.installment_ids,
            [
                {"amount_paid": 333.33, "state": "paid"},
                {"amount_paid": 333.33, "state": "paid"},
                {"amount_paid": 33.34, "state": "partial"},
            ],
        )

        # A credit note on a covered invoice counts like a payment.
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": self.business.id,
                "invoice_date": "2026-02-10",
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Discount",
                            "quantity": 1,
                            "price_unit": 50.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        refund.action_post()
        (refund.line_ids | newer.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).reconcile()
        self.assertEqual(plan.installment_ids[2].amount_paid, 83.34)
        self.assertEqual(plan.installment_ids[2].amount_residual, 250.0)
        self.assertEqual(plan.amount_residual, 250.0)

        # The daily check dates each installment with the payment completing it.
        with freeze_time("2026-02-11"):
            plan.action_check()
        self.assertEqual(
            [str(d) if d else d for d in plan.installment_ids.mapped("date_paid")],
            ["2026-02-01", "2026-02-01", False],
        )
        self.assertEqual(plan.state, "active")

    # ------------------------------------------------------------------
    # Dunning integration
    # ------------------------------------------------------------------
    def test_dunning_skips_plan_invoices_and_resumes_after_breach(self):
        restarter = self._create_customer("Restart KG")
        self._set_segment(self.business, "standard")
        self._set_segment(restarter, "standard")
        invoice = self._invoice(self.business, 900.0, "2025-12-20", "2026-01-05")
        other = self._invoice(restarter, 900.0, "2025-12-20", "2026-01-05")
        with freeze_time("2026-01-13"):
            run = self._run("2026-01-13")
            run.letter_ids.action_mark_done()
        reminder = invoice.dunning_level_id
        self.assertEqual(reminder.name, "Payment Reminder")
        self.assertEqual(other.dunning_level_id, reminder)

        with freeze_time("2026-01-14"):
            # Offered from the reminder: the wizard takes the letter's invoices.
            letter = run.letter_ids.filtered(lambda lt: lt.partner_id == self.business)
            form = self._plan_wizard_form(letter=letter)
            self.assertEqual(form.move_ids.ids, invoice.ids)
            self._fill(form, {"first_due_date": "2026-02-01", "installment_number": 3})
            wizard = form.save()
            self.assertEqual(wizard.move_ids, invoice)
            plan = self.Plan.browse(wizard.action_create_plan()["res_id"])
            self.assertEqual(plan.letter_id, letter)
            self._accept(plan)
            plan_restart = self._offer(other, "2026-02-01", installment_number=3)
            plan_restart.resume_mode = "restart"
            self._accept(plan_restart)
        self.assertEqual(plan.acknowledgment_date, self._date("2026-01-14"))
        self.assertEqual(plan.grace_days, 5, "taken from the customer's policy")

        # 23 days overdue would reach the first dunning letter: skipped.
        with freeze_time("2026-01-28"):
            run = self._run("2026-01-28")
        decision = self._decision(run, invoice)
        self.assertEqual(decision.decision, "skip")
        self.assertEqual(decision.reason, "payment_plan")
        self.assertIn(plan.name, decision.note)
        self.assertFalse(run.letter_ids)
        self.assertEqual(invoice.dunning_level_id, reminder)

        # The first installment stays unpaid past its grace days: broken.
        with freeze_time("2026-02-06"):
            self.Plan._cron_payment_plans()
        self.assertEqual(plan.state, "active", "grace days not yet over")
        with freeze_time("2026-02-07"):
            self.Plan._cron_payment_plans()
        self.assertEqual(plan.state, "broken")
        self.assertEqual(plan_restart.state, "broken")
        self.assertEqual(plan.broken_date, self._date("2026-02-07"))
        profile = self.Profile.search(
            [
                ("partner_id", "=", self.business.id),
                ("company_id", "=", self.company.id),
            ]
        )
        self.assertEqual(profile.broken_plan_count, 1)
        self.assertEqual(profile.score_plans, -15.0)

        # Dunning resumes: at the next level after the one the invoice had, or
        # from the first level for the plan set to restart.
        self.assertFalse(other.dunning_level_id)
        with freeze_time("2026-02-07"):
            run = self._run("2026-02-07")
        decision = self._decision(run, invoice)
        self.assertEqual(decision.decision, "letter")
        self.assertEqual(decision.level_id.name, "First Dunning Letter")
        self.assertEqual(invoice.dunning_level_id.name, "First Dunning Letter")
        self.assertEqual(self._decision(run, other).level_id, reminder)

    # ------------------------------------------------------------------
    # Breach rules
    # ------------------------------------------------------------------
    def test_breach_business_one_installment_after_grace_days(self):
        invoice = self._invoice(self.business, 1000.0, "2025-12-01", "2025-12-15")
        with freeze_time("2026-01-10"):
            plan = self._accept(
                self._offer(invoice, "2026-02-01", installment_number=24)
            )
        self.assertFalse(plan.is_consumer)
        # Paid late but within the grace days: the plan stands.
        with freeze_time("2026-02-05"):
            self._pay(invoice, 41.67, "2026-02-05")
            self.Plan._cron_payment_plans()
        self.assertEqual(plan.state, "active")
        # The second installment (due 1 March) is missed: after 5 grace days
        # the plan is broken, though the arrears are far below 10 %.
        with freeze_time("2026-03-06"):
            self.Plan._cron_payment_plans()
            self.assertEqual(plan.state, "active")
            self.assertTrue(plan.at_risk)
            self.assertIn(plan, self.Plan.search([("at_risk", "=", True)]))
        with freeze_time("2026-03-07"):
            self.Plan._cron_payment_plans()
        self.assertEqual(plan.state, "broken")
        self.assertIn("Installment 2", plan.breach_reason)
        self.assertEqual(plan.amount_residual, 958.33)
        self.assertTrue(plan.activity_ids, "the responsible is asked to follow up")

    def test_breach_consumer_two_installments_ten_percent_after_warning(self):
        invoice = self._invoice(self.consumer, 1000.0, "2025-12-01", "2025-12-15")
        with freeze_time("2026-01-10"):
            plan = self._accept(
                self._offer(invoice, "2026-02-01", installment_number=24)
            )
        self.assertTrue(plan.is_consumer)
        # Two consecutive installments missed, 83.34 in arrears (< 10 %):
        # no warning, no breach.
        with freeze_time("2026-03-20"):
            self.Plan._cron_payment_plans()
        self.assertEqual(plan.state, "active")
        self.assertFalse(plan.warning_date)
        # Third installment missed: 125.01 >= 100.00 in arrears -> warning with
        # a two-week deadline, the plan still stands.
        with freeze_time("2026-04-02"):
            self.Plan._cron_payment_plans()
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.warning_date, self._date("2026-04-02"))
        self.assertEqual(plan.warning_deadline, self._date("2026-04-16"))
        warning = self._messages(plan, "installments in arrears")
        self.assertEqual(len(warning), 1)
        self.assertIn("2026", str(warning.body))
        with freeze_time("2026-04-16"):
            self.Plan._cron_payment_plans()
        self.assertEqual(plan.state, "active", "deadline not yet passed")
        with freeze_time("2026-04-17"):
            self.Plan._cron_payment_plans()
        self.assertEqual(plan.state, "broken")
        self.assertIn("3 consecutive installments", plan.breach_reason)

        # Paying the arrears within the deadline withdraws the warning.
        second = self._invoice(self.consumer, 1000.0, "2025-12-01", "2025-12-15")
        with freeze_time("2026-01-10"):
            plan = self._accept(
                self._offer(second, "2026-02-01", installment_number=24)
            )
        with freeze_time("2026-04-02"):
            self.Plan._cron_payment_plans()
        self.assertTrue(plan.warning_deadline)
        with freeze_time("2026-04-10"):
            self._pay(second, 125.01, "2026-04-10")
        with freeze_time("2026-04-17"):
            self.Plan._cron_payment_plans()
        self.assertEqual(plan.state, "active")
        self.assertFalse(plan.warning_deadline)

    # ------------------------------------------------------------------
    # Completion
    # ------------------------------------------------------------------
    def test_completion(self):
        self._set_segment(self.business, "standard")
        invoice = self._invoice(self.business, 500.0, "2025-12-01", "2025-12-15")
        with freeze_time("2026-01-10"):
            # Offered on invoices selected in the list (action binding).
            plan = self._accept(
                self._offer_plan(
                    invoice, "2026-02-01", from_list=True, installment_number=2
                )
            )
        self.assertEqual(invoice.dunning_payment_plan_ids, plan)
        with freeze_time("2026-02-01"):
            self._pay(invoice, 250.0, "2026-02-01")
            self.Plan._cron_payment_plans()
        self.assertEqual(plan.state, "active")
        with freeze_time("2026-02-27"):
            self._pay(invoice, 250.0, "2026-02-27")
        self.assertEqual(plan.amount_residual, 0.0)
        with freeze_time("2026-02-28"):
            self.Plan._cron_payment_plans()
        self.assertRecordValues(
            plan,
            [
                {
                    "state": "completed",
                    "completed_date": self._date("2026-02-27"),
                    "completed_on_time": True,
                }
            ],
        )
        self.assertEqual(plan.installment_ids.mapped("state"), ["paid", "paid"])
        profile = self.Profile.search(
            [
                ("partner_id", "=", self.business.id),
                ("company_id", "=", self.company.id),
            ]
        )
        self.assertEqual(profile.completed_plan_count, 1)
        self.assertEqual(profile.score_plans, 5.0)
        self.assertIn("completed on time", profile.score_breakdown)
        # The finished plan no longer blocks anything.
        blocks = self.Plan._get_dunning_blocks(
            self.company, invoice.ids, self._date("2026-03-01")
        )
        self.assertEqual(blocks, {})

    # ------------------------------------------------------------------
    # Reminders
    # ------------------------------------------------------------------
    def test_reminders_not_duplicated_when_cron_runs_twice(self):
        invoice = self._invoice(self.business, 300.0, "2025-12-01", "2025-12-15")
        with freeze_time("2026-01-10"):
            plan = self._accept(
                self._offer(invoice, "2026-02-01", installment_number=3)
            )
        self.assertEqual((plan.reminder_days_before, plan.reminder_days_after), (3, 2))
        first = plan.installment_ids[0]
        with freeze_time("2026-01-28"):
            self.Plan._cron_payment_plans()
        self.assertFalse(self._messages(plan, "due soon"), "too early")
        for day in ("2026-01-29", "2026-01-29", "2026-01-30"):
            with freeze_time(day):
                self.Plan._cron_payment_plans()
        reminders = self._messages(plan, "due soon")
        self.assertEqual(len(reminders), 1)
        self.assertIn("installment 1", reminders.subject)
        self.assertIn(self.business, reminders.partner_ids)
        self.assertEqual(first.reminder_sent_date, self._date("2026-01-29"))

        # Missed: one notice two days after the due date, not repeated.
        for day in ("2026-02-02", "2026-02-03", "2026-02-03", "2026-02-04"):
            with freeze_time(day):
                self.Plan._cron_payment_plans()
        missed = self._messages(plan, "not received")
        self.assertEqual(len(missed), 1)
        self.assertEqual(first.missed_sent_date, self._date("2026-02-03"))
        self.assertEqual(len(self._messages(plan, "due soon")), 1)

    # ------------------------------------------------------------------
    # Bad input
    # ------------------------------------------------------------------
    @freeze_time("2026-01-10")
    def test_bad_input_raises_and_writes_nothing(self):
        invoice = self._invoice(self.business, 1000.0, "2025-12-01", "2025-12-15")
        other_customer = self._invoice(
            self._create_customer("Someone Else AG"), 100.0, "2025-12-01", "2025-12-15"
        )
        paid = self._invoice(self.business, 100.0, "2025-12-01", "2025-12-15")
        self._pay(paid, 100.0, "2026-01-05")
        company_2 = self.setup_other_company()["company"]
        foreign = (
            self.env["account.move"]
            .with_company(company_2)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.business.id,
                    "invoice_date": "2025-12-01",
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Other company", "quantity": 1, "price_unit": 50}
                        )
                    ],
                }
            )
        )
        foreign.action_post()
        plans_before = self.Plan.search_count([])
        installments_before = self.Installment.search_count([])
        cases = [
            (invoice, {"installment_number": 0}, "at least 1"),
            (invoice, {"installment_number": -2}, "at least 1"),
            (
                invoice,
                {"schedule_mode": "amount", "installment_amount": -50.0},
                "greater than zero",
            ),
            (invoice, {"first_due_date": "2026-01-09"}, "in the past"),
            (invoice, {"down_payment": 1000.0}, "down payment"),
            (invoice | other_customer, {}, "one customer"),
            (invoice | foreign, {}, "one company"),
            (paid, {}, "already paid"),
        ]
        for moves, values, message in cases:
            with self.subTest(message=message, values=values):
                first_due_date = values.pop("first_due_date", "2026-02-01")
                with self.assertRaises(ValidationError) as caught:
                    self._offer(moves, first_due_date, **values)
                self.assertIn(message, str(caught.exception))
                self.assertEqual(self.Plan.search_count([]), plans_before)
        # Installments that do not add up to the acknowledged amount.
        with self.assertRaises(ValidationError) as caught:
            self.Plan.create(
                {
                    "move_ids": [Command.set(invoice.ids)],
                    "installment_ids": [
                        Command.create({"due_date": "2026-02-01", "amount": 500.0}),
                        Command.create({"due_date": "2026-03-01", "amount": 499.99}),
                    ],
                }
            )
        message = str(caught.exception).replace("\xa0", " ")
        self.assertIn("add up to $ 999.99", message)
        self.assertIn("acknowledged amount is $ 1,000.00", message)
        self.assertEqual(self.Plan.search_count([]), plans_before)
        self.assertEqual(self.Installment.search_count([]), installments_before)
        self.assertFalse(invoice.dunning_payment_plan_ids)

        # An invoice belongs to one live plan at a time.
        plan = self._offer(invoice, "2026-02-01")
        with self.assertRaises(ValidationError) as caught:
            self._offer(invoice, "2026-02-01")
        self.assertIn("already belong to payment plan", str(caught.exception))
        self.assertEqual(self.Plan.search_count([]), plans_before + 1)
        # A schedule edited to a different total cannot be saved.
        with self.assertRaises(ValidationError) as caught:
            plan.installment_ids[0].amount = 100.0
        self.assertIn("add up to", str(caught.exception))
        self.assertEqual(plan.installment_ids[0].amount, 333.33)


@tagged("post_install", "-at_install")
class TestPaymentPlanAgreement(DunningTestCommon, HttpCase):
    """The agreement rendered by wkhtmltopdf; an HTTP test so that the
    renderer can load the report assets from the test server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Plan = cls.env["account.dunning.payment.plan"]
        cls.business = cls._create_customer("Plan Business GmbH")
        cls.consumer = cls._create_customer("Erika Mustermann", is_company=False)

    def _offer(self, moves, first_due_date, **values):
        return self._offer_plan(moves, first_due_date, **values)

    def test_agreement_pdf_rendered(self):
        invoice = self._invoice(self.business, 1000.0, "2025-12-01", "2025-12-15")
        consumer_invoice = self._invoice(
            self.consumer, 750.0, "2025-12-01", "2025-12-15"
        )
        with freeze_time("2026-01-10"):
            plan = self._offer(invoice, "2026-02-01", installment_number=3)
            consumer_plan = self._offer(
                consumer_invoice, "2026-02-01", installment_number=3
            )
            (plan | consumer_plan).action_propose()
        texts = {}
        for record in (plan, consumer_plan):
            pdf, report_type = (
                self.env["ir.actions.report"]
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf(
                    "account_relationship_dunning.action_report_payment_plan",
                    record.ids,
                )
            )
            self.assertEqual(report_type, "pdf")
            self.assertTrue(pdf.startswith(b"%PDF"))
            texts[record] = self._pdf_text(pdf)
        text = texts[plan]
        for expected in (
            "Payment Plan Agreement",
            plan.name,
            "Creditor",
            self.company.name,
            "Debtor",
            "Plan Business GmbH",
            invoice.name,
            "acknowledges owing",
            "1,000.00",
            "333.33",
            "333.34",
            "02/01/2026",
            "03/01/2026",
            "04/01/2026",
            "5 days after its due date",
            "signature of the creditor",
            "signature of the debtor",
        ):
            self.assertIn(expected, text)
        self.assertNotIn("two consecutive installments", text)
        consumer_text = texts[consumer_plan]
        self.assertIn("two consecutive installments", consumer_text)
        self.assertIn("10 % of the total amount", consumer_text)
        self.assertIn("250.00", consumer_text)
        self.assertIn("Erika Mustermann", consumer_text)

    def _pdf_text(self, pdf):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "plan.pdf")
            with open(path, "wb") as handle:
                handle.write(pdf)
            result = subprocess.run(
                ["pdftotext", "-layout", path, "-"],
                capture_output=True,
                check=True,
                timeout=60,
            )
        return " ".join(result.stdout.decode().split())
