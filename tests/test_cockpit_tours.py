from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestCockpitTours(DunningTestCommon, HttpCase):
    """The cockpit in a real browser (Chromium): each tour fails when a
    button, a figure or a reload it relies on is missing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.write(
            {
                "company_id": cls.company.id,
                "company_ids": [Command.link(cls.company.id)],
                "email": "admin@example.com",
                "lang": "en_US",
            }
        )
        cls.today = fields.Date.context_today(cls.env.user)

    def _customer(self, name):
        customer = self._create_customer(name)
        self._set_segment(customer, "new")
        return customer

    def _days_ago(self, days):
        return self.today - timedelta(days=days)

    def test_dashboard_tour(self):
        customer = self._customer("Tour Dashboard GmbH")
        invoice = self._invoice(
            customer, 1234.56, self._days_ago(70), self._days_ago(40)
        )
        self.start_tour(
            "/odoo/action-account_relationship_dunning.account_dunning_dashboard_action",
            "dunning_dashboard_tour",
            login="admin",
        )
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_review_approve_send_tour(self):
        self.company.dunning_review_before_sending = True
        self._level("new", "Payment Reminder").approval_required = True
        customer = self._customer("Tour Review GmbH")
        self._invoice(customer, 900.0, self._days_ago(40), self._days_ago(10))
        self.start_tour(
            "/odoo/action-account_relationship_dunning.account_dunning_run_wizard_action",
            "dunning_review_send_tour",
            login="admin",
        )
        letter = self.env["account.dunning.letter"].search(
            [("partner_id", "=", customer.id)]
        )
        self.assertRecordValues(
            letter, [{"state": "done", "approved_by_id": self.admin.id}]
        )

    def test_dispute_from_invoice_tour(self):
        customer = self._customer("Tour Dispute GmbH")
        invoice = self._invoice(
            customer, 1500.0, self._days_ago(40), self._days_ago(10)
        )
        self.start_tour(
            f"/odoo/action-account.action_move_out_invoice_type/{invoice.id}",
            "dunning_dispute_from_invoice_tour",
            login="admin",
        )
        dispute = self.env["account.dunning.dispute"].search(
            [("line_ids.move_id", "=", invoice.id)]
        )
        self.assertEqual(len(dispute), 1)
        self.assertEqual(dispute.description, "Goods arrived damaged")
        self.assertEqual(dispute.amount_disputed, 1500.0)

    def test_promise_tour(self):
        customer = self._customer("Tour Promise GmbH")
        self._invoice(customer, 800.0, self._days_ago(40), self._days_ago(10))
        letter = self.Run._run_dunning(self.company, self.today).letter_ids
        self.assertEqual(letter.partner_id, customer)
        self.start_tour(
            "/odoo/action-account_relationship_dunning.account_dunning_letter_action/"
            f"{letter.id}",
            "dunning_promise_tour",
            login="admin",
        )
        promise = self.env["account.dunning.promise"].search(
            [("letter_id", "=", letter.id)]
        )
        self.assertRecordValues(
            promise, [{"amount": 800.0, "state": "open", "user_id": self.admin.id}]
        )
        self.assertEqual(str(promise.date_promised), "2099-12-31")

    def test_statement_tour(self):
        customer = self._customer("Tour Statement GmbH")
        self._invoice(customer, 700.0, self._days_ago(40), self._days_ago(10))
        self._invoice(customer, 250.0, self.today, self.today + timedelta(days=30))
        self.start_tour(
            f"/odoo/action-base.action_partner_form/{customer.id}",
            "dunning_statement_tour",
            login="admin",
        )
