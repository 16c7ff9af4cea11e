from odoo import fields, models


class AccountDunningLetterRemoveInvoice(models.TransientModel):
    _name = "account.dunning.letter.remove.invoice"
    _description = "Remove Invoice from Dunning Letter"

    letter_id = fields.Many2one("account.dunning.letter", required=True)
    line_ids = fields.Many2many(
        "account.dunning.letter.line",
        "account_dunning_letter_remove_invoice_line_rel",
        "wizard_id",
        "line_id",
        string="Invoices",
        required=True,
        domain="[('letter_id', '=', letter_id)]",
    )
    reason = fields.Char(
        required=True,
        help="Why the invoice is not dunned now; logged on the letter. The "
        "invoice keeps its previous level and is skipped until it changes.",
    )

    def action_remove(self):
        self.ensure_one()
        self.letter_id._remove_lines(self.line_ids, self.reason)
        return {"type": "ir.actions.act_window_close"}
