from odoo import fields
from odoo.tests import tagged

from odoo.addons.account_relationship_dunning.models.account_dunning_demo import (
    DEMO_CUSTOMERS,
)

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningDemo(DunningTestCommon):
    """The demo history generator, replayed in the test company: every demo
    customer must land in the segment it was designed for."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = {
            key: cls._create_customer(key.removeprefix("demo_partner_").title())
            for key in DEMO_CUSTOMERS
        }
        cls.invoices = cls.env["account.dunning.demo"]._demo_generate(
            cls.company, cls.company_data["default_journal_sale"], cls.partners
        )

    def test_scores_put_demo_customers_in_their_segments(self):
        profiles = self.Profile.search([("company_id", "=", self.company.id)])
        by_partner = {profile.partner_id: profile for profile in profiles}
        for key, spec in DEMO_CUSTOMERS.items():
            profile = by_partner[self.partners[key]]
            with self.subTest(customer=key):
                self.assertEqual(
                    profile.segment_id,
                    self.segment[spec["segment"]],
                    f"{key}: score {profile.score}",
                )
                self.assertFalse(profile.segment_override_id)
        strategic = self.partners["demo_partner_hanse"]
        self.assertGreaterEqual(by_partner[strategic].revenue_12m, 50000)
        self.assertGreater(
            by_partner[strategic].score,
            by_partner[self.partners["demo_partner_krueger"]].score + 50,
        )

    def test_open_invoices_span_zero_to_200_days(self):
        today = fields.Date.context_today(self.Profile)
        open_invoices = self.env["account.move"].search(
            [
                ("company_id", "=", self.company.id),
                ("move_type", "=", "out_invoice"),
                ("payment_state", "in", ("not_paid", "partial")),
            ]
        )
        self.assertGreaterEqual(len(open_invoices), 60)
        days = [(today - invoice.invoice_date_due).days for invoice in open_invoices]
        self.assertEqual((min(days), max(days)), (0, 200))
        partial = open_invoices.filtered(lambda inv: inv.payment_state == "partial")
        self.assertGreaterEqual(len(partial), 5)
        self.assertTrue(
            all(0 < inv.amount_residual < inv.amount_total for inv in partial)
        )

    def test_past_runs_left_sent_letters(self):
        runs = self.Run.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(runs), 13)
        letters = runs.letter_ids
        self.assertTrue(letters)
        self.assertEqual(set(letters.mapped("state")), {"done"})
        self.assertFalse(letters.activity_ids, "past calls were made")
        # Levels advanced over the weeks: some invoices reached a final notice.
        levels = (
            self.env["account.move"]
            .search([("company_id", "=", self.company.id)])
            .dunning_level_id
        )
        self.assertIn("final", levels.mapped("tone"))

    def test_demo_hands_a_final_claim_over(self):
        # A seeding step that fails is only logged as a warning: the cockpit's
        # handover screen must still get its example.
        handover = self.env["account.dunning.handover"].search(
            [("company_id", "=", self.company.id)]
        )
        self.assertEqual(len(handover), 1)
        self.assertEqual(handover.state, "handed_over")
        self.assertTrue(handover.move_ids)
        self.assertTrue(all(handover.move_ids.dunning_level_id.mapped("is_final")))
