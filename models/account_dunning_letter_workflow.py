"""The dunning letter's workflow: approve, cancel, mark as sent.

Also the buttons of the letter form that open related records and recompute
the claims of an unsent letter. The server-side rules of who may do what are
in ``account_dunning_letter_guard.py``.
"""

from odoo import fields, models
from odoo.exceptions import UserError


class AccountDunningLetter(models.Model):
    _inherit = "account.dunning.letter"

    def action_approve(self):
        self._check_manager(
            self.env._("Only a dunning manager can approve dunning letters.")
        )
        for letter in self:
            if letter.state != "to_approve":
                raise UserError(
                    self.env._(
                        "Letter %(name)s is not waiting for approval.",
                        name=letter.name,
                    )
                )
        self.write(
            {
                "state": "ready",
                "approved_by_id": self.env.uid,
                "approved_date": fields.Datetime.now(),
            }
        )
        return True

    def action_cancel(self):
        for letter in self:
            if letter.state == "done":
                raise UserError(
                    self.env._(
                        "Letter %(name)s was already sent and cannot be cancelled.",
                        name=letter.name,
                    )
                )
        to_revert = self.filtered(lambda letter: letter.state != "cancel")
        to_revert.write({"state": "cancel"})
        to_revert.line_ids._revert_invoice_levels()
        return True

    def action_mark_done(self):
        for letter in self:
            if letter.state != "ready":
                raise UserError(
                    self.env._(
                        "Letter %(name)s must be ready (approved) before it is "
                        "marked as sent.",
                        name=letter.name,
                    )
                )
        self.write({"state": "done"})
        self._on_done()
        return True

    def _on_done(self):
        """Called once letters are sent (state done): freeze amounts, post
        charges, archive documents. Extended by the claims and letters code.
        Safe to call more than once."""
        self._freeze_claims()
        return True

    def action_compute_claims(self):
        """Recompute interest, compensation and fees of unsent letters (e.g.
        after a payment or a base-rate correction)."""
        frozen = self.filtered("claims_frozen")
        if frozen:
            raise UserError(
                self.env._(
                    "Letter %(name)s was sent: its claims are final.",
                    name=frozen[0].name,
                )
            )
        self._compute_claims()
        return True

    # action_view_invoices: see account.dunning.case.mixin
    def action_view_charge_move(self):
        self.ensure_one()
        return self._get_moves_action(self.charge_move_id)
