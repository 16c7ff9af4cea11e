from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestPaymentPlanRules(DunningTestCommon):
    """Who may cancel an active plan, and where the charges are invoiced."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Plan = cls.env["account.dunning.payment.plan"]
        cls.customer = cls._create_customer("Regel Handel GmbH")

    def _offer(self, moves, first_due_date, **values):
        return self._offer_plan(moves, first_due_date, **values)

    @freeze_time("2026-01-10")
    def test_only_manager_cancels_active_plan(self):
        invoice = self._invoice(self.customer, 900.0, "2025-12-01", "2025-12-15")
        plan = self._offer(invoice, "2026-02-01", installment_number=3)
        plan.action_propose()
        plan.action_accept()
        user = self._dunning_user("plan_clerk")
        with self.assertRaisesRegex(AccessError, "Only a dunning manager"):
            plan.with_user(user).action_cancel()
        self.assertEqual(plan.state, "active")
        manager = self._dunning_user("plan_manager", manager=True)
        plan.with_user(manager).action_cancel()
        self.assertEqual(plan.state, "cancel")
        # A plan that is only proposed may be cancelled by a dunning user.
        plan_2 = self._offer(
            self._invoice(self.customer, 300.0, "2025-12-01", "2025-12-15"),
            "2026-02-01",
        )
        plan_2.action_propose()
        plan_2.with_user(user).action_cancel()
        self.assertEqual(plan_2.state, "cancel")

    @freeze_time("2026-01-10")
    def test_wizard_preview_shows_schedule(self):
        invoice = self._invoice(self.customer, 100.0, "2025-12-01", "2025-12-15")
        wizard = Form(
            self.env["account.dunning.payment.plan.wizard"].with_context(
                default_move_ids=invoice.ids
            )
        )
        wizard.first_due_date = "2026-01-31"
        wizard.installment_number = 3
        # 100.00 in three: 33.33, 33.33 and 33.34, monthly from 31 January.
        preview = str(wizard.schedule_preview).replace("\xa0", " ")
        self.assertEqual(preview.count("<tr>"), 4, "header and three rows")
        for due, amount in (
            ("01/31/2026", "$ 33.33"),
            ("02/28/2026", "$ 33.33"),
            ("03/31/2026", "$ 33.34"),
        ):
            self.assertIn(f"<td>{due}</td>", preview)
            self.assertIn(amount, preview)
        wizard.first_due_date = "2026-01-09"
        preview = str(wizard.schedule_preview)
        self.assertIn('class="text-danger"', preview)
        self.assertIn("in the past", preview)
        self.assertNotIn("<table", preview)

    @freeze_time("2026-01-10")
    def test_charges_invoiced_in_the_journal_odoo_chooses(self):
        # A second sale journal for EUR, after the default one: an invoice in
        # EUR goes to it (account.move._search_default_journal), not to the
        # first sale journal found.
        euro = self.env.ref("base.EUR")
        euro.active = True
        self.env["res.currency.rate"].create(
            {"name": "2025-01-01", "rate": 0.5, "currency_id": euro.id}
        )
        euro_journal = self.env["account.journal"].create(
            {
                "name": "Sales EUR",
                "code": "SEUR",
                "type": "sale",
                "currency_id": euro.id,
                "sequence": 99,
                "default_account_id": self.company_data["default_account_revenue"].id,
            }
        )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "currency_id": euro.id,
                "journal_id": euro_journal.id,
                "invoice_date": "2025-12-01",
                "invoice_date_due": "2025-12-15",
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Consulting",
                            "quantity": 1,
                            "price_unit": 1000.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        # 40.00 EUR: the fee of the final notice the plan is offered from.
        letter = self._send_final_letter(self.customer, invoice, "2025-12-30", fee=40.0)
        plan = self._offer_plan(
            letter=letter,
            include_charges=True,
            first_due_date="2026-02-01",
            installment_number=2,
        )
        self.assertEqual(plan.currency_id, euro)
        plan.action_propose()
        plan.action_accept()
        # 40.00 EUR charges, no plan interest.
        self.assertRecordValues(
            plan.charge_move_id,
            [
                {
                    "journal_id": euro_journal.id,
                    "currency_id": euro.id,
                    "amount_total": 40.0,
                    "state": "posted",
                }
            ],
        )
