from odoo import fields, models


class AccountDunningHandoverLine(models.Model):
    """One invoice of a legal handover, as stated in the application."""

    _name = "account.dunning.handover.line"
    _description = "Legal Handover Invoice"
    _order = "handover_id, date_due, id"

    handover_id = fields.Many2one(
        "account.dunning.handover", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="handover_id.company_id", store=True, index=True
    )
    handover_state = fields.Selection(related="handover_id.state")
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        index=True,
        ondelete="restrict",
    )
    move_name = fields.Char(string="Invoice Number", required=True)
    invoice_date = fields.Date()
    date_due = fields.Date(string="Due Date")
    currency_id = fields.Many2one(related="handover_id.currency_id")
    amount_principal = fields.Monetary(
        string="Open Principal", help="Open amount of the invoice at the handover."
    )
    interest_points = fields.Float(
        help="Default interest in points over the base rate (§ 288 BGB): 9 "
        "between businesses, 5 with consumers.",
    )
    interest_date_from = fields.Date(
        string="Interest From", help="The day after the due date."
    )
    claim_type_id = fields.Many2one("account.dunning.claim.type")
    claim_type_code = fields.Integer(
        related="claim_type_id.code", string="Catalogue Number"
    )
    fee_amount = fields.Monetary(string="Fees")
    compensation_amount = fields.Monetary(string="Compensation")
