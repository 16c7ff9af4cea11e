from odoo import fields, models


class AccountDunningLetterCancelSent(models.TransientModel):
    """Ask for the reason before a sent letter is cancelled for reissue."""

    _name = "account.dunning.letter.cancel.sent"
    _description = "Cancel a Sent Dunning Letter"

    letter_id = fields.Many2one("account.dunning.letter", required=True)
    reason = fields.Char(
        required=True,
        help="Logged on the letter; the next dunning run reissues a letter.",
    )

    def action_confirm(self):
        self.ensure_one()
        self.letter_id.action_cancel_sent(self.reason)
        return {"type": "ir.actions.act_window_close"}
