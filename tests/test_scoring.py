from freezegun import freeze_time

from odoo.tests import tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestRelationshipScoring(DunningTestCommon):
    """Histories built from real invoices and payments land customers in the
    segment the shipped rules intend."""

    @classmethod
    def _history(cls, partner, invoices):
        """``invoices``: (amount, invoice date, due date, paid on or None)."""
        for amount, invoice_date, due_date, paid_on in invoices:
            invoice = cls._invoice(partner, amount, invoice_date, due_date)
            if paid_on:
                cls._pay(invoice, amount, paid_on)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.strategic = cls._create_customer("Long Partner AG")
        cls._history(
            cls.strategic,
            [(1000.0, "2023-05-01", "2023-05-31", "2023-05-20")]
            + [
                (20000.0, f"2026-0{month}-01", f"2026-0{month}-28", f"2026-0{month}-20")
                for month in range(1, 7)
            ],
        )
        cls.at_risk = cls._create_customer("Always Late GmbH")
        cls._history(
            cls.at_risk,
            [
                (2500.0, "2024-06-01", "2024-06-30", "2024-08-29"),
                (2500.0, "2025-09-01", "2025-09-30", "2025-11-29"),
                (2500.0, "2026-01-01", "2026-01-31", "2026-04-01"),
                (2500.0, "2026-03-01", "2026-03-31", "2026-05-30"),
            ],
        )
        cls.newcomer = cls._create_customer("Fresh Start GmbH")
        cls._history(cls.newcomer, [(3000.0, "2026-05-01", "2026-05-31", "2026-05-25")])
        cls.established = cls._create_customer("Steady Supplies KG")
        cls._history(
            cls.established,
            [(1000.0, "2024-06-01", "2024-06-30", "2024-06-25")]
            + [
                (5000.0, f"2026-0{month}-01", f"2026-0{month}-28", f"2026-0{month}-25")
                for month in range(1, 5)
            ],
        )
        cls.standard = cls._create_customer("Middle Ground OHG")
        cls._history(
            cls.standard,
            [
                (2500.0, "2024-06-01", "2024-06-30", "2024-06-30"),
                (2500.0, "2025-09-01", "2025-09-30", "2025-10-20"),
                (2500.0, "2026-01-01", "2026-01-31", "2026-01-31"),
                (2500.0, "2026-03-01", "2026-03-31", "2026-04-20"),
            ],
        )

    @freeze_time("2026-06-30")
    def test_customers_land_in_intended_segments(self):
        self.Profile._recompute_scores(self.company)
        profiles = self.Profile.search([("company_id", "=", self.company.id)])
        by_partner = {p.partner_id: p for p in profiles}
        expected = {
            self.strategic: "strategic",
            self.at_risk: "at_risk",
            self.newcomer: "new",
            self.established: "established",
            self.standard: "standard",
        }
        for partner, code in expected.items():
            profile = by_partner[partner]
            self.assertEqual(
                profile.segment_id,
                self.segment[code],
                f"{partner.name}: score {profile.score} should be {code}",
            )

    @freeze_time("2026-06-30")
    def test_metrics_and_breakdown_are_computed_from_payments(self):
        profile = self.Profile._recompute_scores(self.company, self.at_risk)
        # Paid 60 days late each time (2500 each): nothing on time.
        self.assertRecordValues(
            profile,
            [
                {
                    "customer_since": self._date("2024-06-01"),
                    # 24 months back from 2026-06-30 is 2024-06-30: the first
                    # invoice (2024-06-01) is older and not counted.
                    "invoice_count": 3,
                    "on_time_ratio": 0.0,
                    "avg_days_late": 60.0,
                    "max_days_late": 60,
                    # revenue of the last 12 months: 3 invoices of 2500
                    "revenue_12m": 7500.0,
                    "score_punctuality": -20.0,
                    "score_avg_late": -15.0,
                    "score_max_late": -4.0,
                }
            ],
        )
        factors = (
            profile.score_tenure
            + profile.score_revenue
            + profile.score_punctuality
            + profile.score_avg_late
            + profile.score_max_late
            + profile.score_plans
            + profile.score_disputes
        )
        self.assertAlmostEqual(profile.score, round(50 + factors, 1))
        self.assertIn("Paid on time", profile.score_breakdown)
        self.assertIn("-20.0", profile.score_breakdown)

    @freeze_time("2026-06-30")
    def test_open_overdue_amount_counts_as_lateness(self):
        late = self._create_customer("Open Overdue GmbH")
        self._invoice(late, 1000.0, "2026-04-01", "2026-04-30")
        profile = self.Profile._recompute_scores(self.company, late)
        self.assertEqual(profile.overdue_amount, 1000.0)
        self.assertEqual(profile.max_days_late, 61)
        self.assertEqual(profile.on_time_ratio, 0.0)

    @freeze_time("2026-06-30")
    def test_override_wins_until_its_end_date(self):
        profile = self.Profile._recompute_scores(self.company, self.at_risk)
        self.assertEqual(profile.segment_id, self.segment["at_risk"])
        profile._set_override(
            self.segment["strategic"], "Key account, agreed with sales", "2026-07-15"
        )
        self.assertEqual(profile.segment_id, self.segment["strategic"])
        self.assertIn(
            "Key account, agreed with sales",
            self.at_risk.message_ids[0].body,
        )
        self.Profile._recompute_scores(self.company, self.at_risk)
        self.assertEqual(profile.segment_id, self.segment["strategic"])
        with freeze_time("2026-07-16"):
            self.Profile._cron_recompute_scores()
            self.assertFalse(profile.segment_override_id)
            self.assertEqual(profile.segment_id, self.segment["at_risk"])

    def _scoring_queries(self):
        """Queries of a company-wide rescoring (profiles exist already)."""
        self.Profile._recompute_scores(self.company)
        self.env.flush_all()
        self.env.invalidate_all()
        start = self.cr.sql_log_count
        self.Profile._recompute_scores(self.company)
        self.env.flush_all()
        return self.cr.sql_log_count - start

    @freeze_time("2026-06-30")
    def test_scoring_query_count_does_not_grow_with_customers(self):
        """The 5 customers of the set-up (N), then 10 more (3N): the same
        number of queries, whatever it is."""
        queries_n = self._scoring_queries()
        for index in range(10):
            self._history(
                self._create_customer(f"Growth {index} GmbH"),
                [(1000.0, "2026-03-01", "2026-03-31", "2026-04-05")],
            )
        self.assertEqual(self._scoring_queries(), queries_n)
