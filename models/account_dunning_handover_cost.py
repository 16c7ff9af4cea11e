from odoo import fields, models

COST_KINDS = [
    ("fee", "Dunning fee"),
    ("compensation", "Flat compensation"),
]


class AccountDunningHandoverCost(models.Model):
    """One pre-court cost of a legal handover, from a letter sent."""

    _name = "account.dunning.handover.cost"
    _description = "Legal Handover Pre-court Cost"
    _order = "handover_id, date, id"

    handover_id = fields.Many2one(
        "account.dunning.handover", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="handover_id.company_id", store=True, index=True
    )
    letter_id = fields.Many2one("account.dunning.letter", ondelete="set null")
    move_id = fields.Many2one("account.move", string="Invoice", ondelete="set null")
    kind = fields.Selection(COST_KINDS, required=True)
    date = fields.Date()
    currency_id = fields.Many2one(related="handover_id.currency_id")
    amount = fields.Monetary(required=True)
