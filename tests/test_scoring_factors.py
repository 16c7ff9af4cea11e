"""Every score factor against values computed by hand from the formulas in
``account.dunning.profile._score`` (documented in the README), never against
the sum of the factors the code computed, and one customer invoiced by two
companies scored per company."""

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import DunningTestCommon

TODAY = "2026-06-30"


@tagged("post_install", "-at_install")
class TestScoreFactors(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Second Company")["company"]
        cls.customer = cls._create_customer("Two Companies AG")
        # Company A (the test company).
        inv1 = cls._invoice(cls.customer, 1000.0, "2025-06-30", "2025-07-30")
        cls._pay(inv1, 1000.0, "2025-07-30")  # on the due date
        inv2 = cls._invoice(cls.customer, 10000.0, "2026-03-01", "2026-03-31")
        cls._pay(inv2, 10000.0, "2026-04-10")  # 10 days late
        cls.inv3 = cls._invoice(cls.customer, 500.0, "2026-06-01", "2026-07-01")
        # Company B: other figures for every factor.
        b0 = cls._invoice_in(cls.company_b, 100.0, "2022-06-30", "2022-07-30")
        cls._pay_in(cls.company_b, b0, "2022-07-30")  # on time, > 24 months ago
        b1 = cls._invoice_in(cls.company_b, 90000.0, "2026-01-01", "2026-01-31")
        cls._pay_in(cls.company_b, b1, "2026-05-01")  # 90 days late
        cls.b2 = cls._invoice_in(cls.company_b, 200.0, "2026-06-15", "2026-07-15")

    @classmethod
    def _invoice_in(cls, company, amount, invoice_date, due_date):
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "company_id": company.id,
                    "partner_id": cls.customer.id,
                    "invoice_date": invoice_date,
                    "invoice_date_due": due_date,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Goods",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        move.action_post()
        return move

    @classmethod
    def _pay_in(cls, company, invoice, payment_date):
        return (
            cls.env["account.payment.register"]
            .with_company(company)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": invoice.amount_total, "payment_date": payment_date})
            ._create_payments()
        )

    def _dispute_in(self, company, invoice):
        return (
            self.env["account.dunning.dispute"]
            .with_company(company)
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": company.id,
                    "reason": "quality",
                    "line_ids": [Command.create({"move_id": invoice.id})],
                }
            )
        )

    def _score(self, company):
        return self.Profile.with_company(company)._recompute_scores(
            company, self.customer
        )

    @freeze_time(TODAY)
    def test_factors_by_hand_without_dispute(self):
        profile = self._score(self.company)
        self.assertRecordValues(
            profile,
            [
                {
                    "customer_since": self._date("2025-06-30"),
                    # Invoices after 2024-06-30 (24 months): all three.
                    "invoice_count": 3,
                    # Revenue after 2025-06-30 (12 months, the first invoice
                    # of that very day is out): 10,000 + 500.
                    "revenue_12m": 10500.0,
                    # Paid with due dates in the last 24 months: 1,000 on time,
                    # 10,000 ten days late -> 1,000 / 11,000 = 9.09 % on time,
                    # weighted lateness 10,000 x 10 / 11,000 = 9.09 days.
                    "on_time_ratio": 9.09,
                    "avg_days_late": 9.09,
                    "max_days_late": 10,
                    "open_dispute_count": 0,
                    # 365 days = 1.0 year x 2 points
                    "score_tenure": 2.0,
                    # 5 x log10(10,500 / 1,000) = 5 x 1.0212 = 5.106
                    "score_revenue": 5.1,
                    # (0.0909 - 0.5) x 40 = -16.36
                    "score_punctuality": -16.4,
                    # -(9.09 / 3) = -3.03
                    "score_avg_late": -3.0,
                    # -(10 / 15) = -0.67
                    "score_max_late": -0.7,
                    "score_plans": 0.0,
                    "score_disputes": 0.0,
                    # 50 + 2.0 + 5.1 - 16.4 - 3.0 - 0.7 = 37.0
                    "score": 37.0,
                }
            ],
        )

    @freeze_time(TODAY)
    def test_open_dispute_lowers_the_score(self):
        self._dispute_in(self.company, self.inv3)
        profile = self._score(self.company)
        # One open dispute: -5 points (37.0 - 5.0 = 32.0), never a bonus.
        self.assertRecordValues(
            profile,
            [{"open_dispute_count": 1, "score_disputes": -5.0, "score": 32.0}],
        )
        self.assertIn("-5.0", profile.score_breakdown)

    @freeze_time(TODAY)
    def test_customer_of_two_companies_is_scored_per_company(self):
        self._dispute_in(self.company_b, self.b2)
        profile_a = self._score(self.company)
        profile_b = self._score(self.company_b)
        # Company A sees none of company B's invoices, payments or disputes.
        self.assertRecordValues(
            profile_a,
            [
                {
                    "company_id": self.company.id,
                    "customer_since": self._date("2025-06-30"),
                    "revenue_12m": 10500.0,
                    "on_time_ratio": 9.09,
                    "max_days_late": 10,
                    "open_dispute_count": 0,
                    "score": 37.0,
                }
            ],
        )
        self.assertRecordValues(
            profile_b,
            [
                {
                    "company_id": self.company_b.id,
                    "customer_since": self._date("2022-06-30"),
                    "invoice_count": 2,
                    # 90,000 + 200
                    "revenue_12m": 90200.0,
                    # Only the 90,000 (due 2026-01-31, paid 2026-05-01) is in
                    # the 24 months: 90 days late, nothing on time.
                    "on_time_ratio": 0.0,
                    "avg_days_late": 90.0,
                    "max_days_late": 90,
                    "open_dispute_count": 1,
                    # 1,461 days = 4.0 years x 2
                    "score_tenure": 8.0,
                    # 5 x log10(90.2) = 9.776
                    "score_revenue": 9.8,
                    "score_punctuality": -20.0,
                    # -(90 / 3) = -30, capped at -15
                    "score_avg_late": -15.0,
                    # -(90 / 15) = -6
                    "score_max_late": -6.0,
                    "score_disputes": -5.0,
                    # 50 + 8.0 + 9.8 - 20.0 - 15.0 - 6.0 - 5.0 = 21.8
                    "score": 21.8,
                }
            ],
        )

    def test_plans_kept_and_broken(self):
        customer = self._create_customer("Plan History GmbH")
        self._set_segment(customer, "standard")
        Plan = self.env["account.dunning.payment.plan"]
        broken_invoice = self._invoice(customer, 600.0, "2026-01-01", "2026-01-15")
        kept_invoice = self._invoice(customer, 300.0, "2026-01-01", "2026-01-15")

        def offer(invoice, first_due_date, number):
            plan = self._offer_plan(invoice, first_due_date, installment_number=number)
            plan.action_propose()
            plan.action_accept()
            return plan

        with freeze_time("2026-01-20"):
            broken = offer(broken_invoice, "2026-02-01", 2)
            kept = offer(kept_invoice, "2026-02-01", 1)
        with freeze_time("2026-02-01"):
            self._pay(kept_invoice, 300.0, "2026-02-01")
        with freeze_time("2026-03-15"):
            Plan._cron_payment_plans()
        self.assertEqual((broken.state, kept.state), ("broken", "completed"))
        self.assertTrue(kept.completed_on_time)
        with freeze_time(TODAY):
            profile = self.Profile._recompute_scores(self.company, customer)
        # +5 per plan completed on time, -15 per broken plan: 5 - 15 = -10.
        self.assertRecordValues(
            profile,
            [{"completed_plan_count": 1, "broken_plan_count": 1, "score_plans": -10.0}],
        )
