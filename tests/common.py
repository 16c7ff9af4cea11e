from datetime import date

from odoo import Command, fields
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class DunningTestCommon(AccountTestInvoicingCommon):
    """Real invoices, payments and the shipped default policies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id |= cls.env.ref(
            "account_relationship_dunning.group_dunning_manager"
        )
        cls.company = cls.company_data["company"]
        cls.env["account.dunning.policy"]._create_default_policies(cls.company)
        cls.Run = cls.env["account.dunning.run"]
        cls.Profile = cls.env["account.dunning.profile"]
        cls.segment = {
            code: cls.env.ref(f"account_relationship_dunning.segment_{code}")
            for code in ("strategic", "established", "standard", "new", "at_risk")
        }
        cls.salesperson = cls.env["res.users"].create(
            {
                "name": "Sally Sales",
                "login": "sally_dunning",
                "email": "sally@example.com",
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
                "groups_id": [
                    Command.set([cls.env.ref("account.group_account_invoice").id])
                ],
            }
        )

    @classmethod
    def _create_customer(cls, name, **vals):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "email": f"{name.lower().replace(' ', '.')}@example.com",
                "street": "Hauptstraße 1",
                "zip": "10115",
                "city": "Berlin",
                "country_id": cls.env.ref("base.de").id,
                **vals,
            }
        )

    @classmethod
    def _invoice(cls, partner, amount, invoice_date, due_date=None, post=True):
        """A posted customer invoice of ``amount`` (no tax) due on ``due_date``."""
        move = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": invoice_date,
                "invoice_date_due": due_date or invoice_date,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Consulting",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        if post:
            move.action_post()
        return move

    @classmethod
    def _pay(cls, invoice, amount, payment_date):
        return (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": amount, "payment_date": payment_date})
            ._create_payments()
        )

    @classmethod
    def _set_segment(cls, partner, code):
        profile = cls.Profile._get_profiles(cls.company, partner)
        profile._set_override(cls.segment[code], "Test setup")
        return profile

    @classmethod
    def _level(cls, segment_code, name, customer_type="all"):
        """A level of the test company's shipped policy for a segment."""
        return cls.env["account.dunning.level"].search(
            [
                ("policy_id.company_id", "=", cls.company.id),
                ("policy_id.segment_id", "=", cls.segment[segment_code].id),
                ("policy_id.customer_type", "=", customer_type),
                ("name", "=", name),
            ]
        )

    def _run(self, on_date, simulation=False):
        if isinstance(on_date, str):
            on_date = fields.Date.to_date(on_date)
        return self.Run._run_dunning(self.company, on_date, simulation=simulation)

    @staticmethod
    def _date(value):
        return date.fromisoformat(value)

    def _dunning_user(self, login="dunning_user", manager=False):
        group = "group_dunning_manager" if manager else "group_dunning_user"
        return new_test_user(
            self.env,
            login=login,
            groups=f"account_relationship_dunning.{group},base.group_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
