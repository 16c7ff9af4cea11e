from contextlib import contextmanager
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

    # ------------------------------------------------------------------
    # Disputes, legal handover, limitation (appended)
    # ------------------------------------------------------------------
    @classmethod
    def _use_euro(cls):
        """Book in EUR, like a German company (court dunning needs EUR)."""
        euro = cls.env.ref("base.EUR")
        euro.active = True
        if cls.company.currency_id != euro:
            cls.company.currency_id = euro
        return euro

    @classmethod
    def _dispute(cls, partner, invoices, amounts=None, **vals):
        """A dispute on ``invoices``: whole open amounts, or ``amounts``."""
        lines = [
            Command.create(
                {"move_id": invoice.id}
                | ({"amount_disputed": amounts[index]} if amounts else {})
            )
            for index, invoice in enumerate(invoices)
        ]
        return cls.env["account.dunning.dispute"].create(
            {
                "partner_id": partner.id,
                "company_id": cls.company.id,
                "reason": "quality",
                "line_ids": lines,
                **vals,
            }
        )

    @classmethod
    def _final_level(cls, partner):
        profile = cls.Profile._get_profiles(cls.company, partner)
        Policy = cls.env["account.dunning.policy"]
        policy = Policy._pick_policy(
            Policy._get_policy_map(cls.company),
            profile.segment_id,
            partner._is_dunning_consumer(),
        )
        return policy._get_sorted_levels()[-1]

    @classmethod
    def _send_final_letter(
        cls, partner, invoices, letter_date, fee=0.0, compensation=0.0, per_letter=0.0
    ):
        """A sent final notice about ``invoices`` (as the dunning run and the
        letter workflow would leave it): ``compensation`` per invoice,
        ``per_letter`` once, ``fee`` for the letter."""
        level = cls._final_level(partner)
        # sudo: sent letters and invoice levels are engine output, which
        # users cannot write directly; this stands for the run and sending.
        Letter = cls.env["account.dunning.letter"].sudo()
        letter = Letter.create(
            {
                "company_id": cls.company.id,
                "partner_id": partner.id,
                "policy_id": level.policy_id.id,
                "level_id": level.id,
                "channel": "post",
                "state": "done",
                "date": letter_date,
                "currency_id": invoices.currency_id.id,
                "fee_amount": fee,
                "letter_compensation_amount": per_letter,
                "line_ids": [
                    Command.create(
                        {
                            "move_id": invoice.id,
                            "move_name": invoice.name,
                            "invoice_date": invoice.invoice_date,
                            "date_due": invoice.invoice_date_due,
                            "currency_id": invoice.currency_id.id,
                            "amount_total": invoice.amount_total,
                            "amount_paid": invoice.amount_total
                            - invoice.amount_residual,
                            "amount_residual": invoice.amount_residual,
                            "compensation_amount": compensation,
                            "level_id": level.id,
                            "escalated": True,
                        }
                    )
                    for invoice in invoices
                ],
            }
        )
        invoices.sudo().write(
            {"dunning_level_id": level.id, "dunning_last_date": letter_date}
        )
        return letter.sudo(False)

    def _decision(self, run, invoice):
        return run.line_ids.filtered(lambda line: line.move_id == invoice)

    @contextmanager
    def assertRaisesRolledBack(self, exception, regex):
        """``assertRaisesRegex`` that, like ``assertRaises``, rolls the failed
        operation back, so that the test can check that nothing changed."""
        with self.assertRaises(exception) as context:
            yield context
        self.assertRegex(str(context.exception), regex)
