"""Dispute: resolution by credit note or by payment plan."""

from odoo import Command, fields, models
from odoo.exceptions import UserError


class AccountDunningDispute(models.Model):
    _inherit = "account.dunning.dispute"

    def action_resolve_credit_note(self):
        """Resolve with a draft credit note for the credit amount of each line
        (the disputed amount by default)."""
        self.ensure_one()
        self._check_transition("resolved")
        self._check_credit_amounts()
        credit_notes = self._create_credit_notes()
        self.write(
            {
                "outcome": self.outcome
                if self.outcome in ("credit_note", "partial_waiver")
                else "credit_note",
                "credit_note_ids": [Command.link(move.id) for move in credit_notes],
            }
        )
        self._set_state("resolved")
        return self.action_view_credit_notes()

    def action_resolve_payment_plan(self):
        """Resolve with a payment plan: opens the payment plan wizard."""
        self.ensure_one()
        self._check_transition("resolved")
        action = self._get_payment_plan_action()
        self.write({"outcome": "payment_plan"})
        self._set_state("resolved")
        return action

    def action_view_credit_notes(self):
        self.ensure_one()
        return self._get_moves_action(
            self.credit_note_ids, "account.action_move_out_refund_type"
        )

    def _check_credit_amounts(self):
        self.ensure_one()
        lines = self.line_ids.filtered(lambda line: line.amount_credit)
        if not lines:
            raise UserError(
                self.env._(
                    "Dispute %(name)s: enter the amount to credit on at least one "
                    "invoice.",
                    name=self.name,
                )
            )
        for line in lines:
            currency = line.currency_id
            if (
                currency.compare_amounts(line.amount_credit, 0.0) < 0
                or currency.compare_amounts(
                    line.amount_credit, line.move_id.amount_residual
                )
                > 0
            ):
                raise UserError(
                    self.env._(
                        "Dispute %(name)s: the credit of %(amount)s on %(invoice)s "
                        "must be between zero and the open amount (%(open)s).",
                        name=self.name,
                        amount=line.currency_id.format(line.amount_credit),
                        invoice=line.move_id.name,
                        open=line.currency_id.format(line.move_id.amount_residual),
                    )
                )

    def _create_credit_notes(self):
        """One draft credit note per invoice, reversing it in proportion so
        that its total equals the line's credit amount."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        credit_notes = self.env["account.move"]
        for line in self.line_ids.filtered(lambda ln: ln.amount_credit):
            move = line.move_id
            credit_note = move._reverse_moves(
                [
                    {
                        "invoice_date": today,
                        "date": today,
                        "ref": self.env._(
                            "Dispute %(dispute)s on %(invoice)s",
                            dispute=self.name,
                            invoice=move.name,
                        ),
                    }
                ]
            )
            credit_note._dunning_scale_to(line.amount_credit)
            credit_note.message_post(
                body=self.env._(
                    "Credit note created from dispute %(dispute)s.",
                    dispute=self._get_html_link(),
                ),
                subtype_xmlid="mail.mt_note",
            )
            credit_notes |= credit_note
        return credit_notes

    def _get_payment_plan_action(self):
        self.ensure_one()
        xmlid = (
            "account_relationship_dunning.account_dunning_payment_plan_wizard_action"
        )
        if not self.env.ref(xmlid, raise_if_not_found=False):
            raise UserError(
                self.env._("Payment plans are not available in this database.")
            )
        action = self.env["ir.actions.actions"]._for_xml_id(xmlid)
        context = action.get("context") or {}
        if isinstance(context, str):
            context = {}
        # Only the invoices: the wizard computes its customer, company and
        # currency from them (defaults for those computed fields left the
        # currency empty and the dialog failed to open).
        action["context"] = {
            **context,
            "default_move_ids": self.line_ids.move_id.ids,
            "dunning_dispute_id": self.id,
        }
        return action
