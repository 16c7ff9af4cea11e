from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare, float_is_zero

from .account_dunning_dispute import OPEN_STATES

# Line fields that only an open dispute may change.
LOCKED_FIELDS = {"move_id", "amount_disputed", "dispute_id"}


class AccountDunningDisputeLine(models.Model):
    """One disputed invoice: the whole open amount or a part of it."""

    _name = "account.dunning.dispute.line"
    _description = "Disputed Invoice"
    _order = "dispute_id, id"
    _check_company_auto = True

    dispute_id = fields.Many2one(
        "account.dunning.dispute", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="dispute_id.company_id", store=True, index=True
    )
    partner_id = fields.Many2one(related="dispute_id.partner_id")
    dispute_state = fields.Selection(related="dispute_id.state", store=True)
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('payment_state', 'in', ('not_paid', 'partial')), "
        "('commercial_partner_id', '=', partner_id)]",
    )
    currency_id = fields.Many2one(related="move_id.currency_id", store=True)
    invoice_date = fields.Date(related="move_id.invoice_date")
    date_due = fields.Date(related="move_id.invoice_date_due", string="Due Date")
    amount_total = fields.Monetary(related="move_id.amount_total", string="Amount")
    amount_residual = fields.Monetary(
        related="move_id.amount_residual", string="Open Amount"
    )
    amount_disputed = fields.Monetary(
        compute="_compute_amount_disputed",
        store=True,
        readonly=False,
        precompute=True,
        help="The part of the open amount the customer disputes (default: all).",
    )
    amount_credit = fields.Monetary(
        string="Amount to Credit",
        compute="_compute_amount_credit",
        store=True,
        readonly=False,
        precompute=True,
        help="Amount of the credit note created when the dispute is resolved "
        "by a credit note or a partial waiver (default: the disputed amount).",
    )

    @api.depends("move_id")
    def _compute_amount_disputed(self):
        for line in self:
            line.amount_disputed = line.move_id.amount_residual

    @api.depends("amount_disputed")
    def _compute_amount_credit(self):
        for line in self:
            line.amount_credit = line.amount_disputed

    @api.constrains("move_id", "amount_disputed")
    def _check_amount_disputed(self):
        for line in self:
            move = line.move_id
            rounding = line.currency_id.rounding or 0.01
            if (
                float_compare(line.amount_disputed, 0.0, precision_rounding=rounding)
                <= 0
            ):
                raise ValidationError(
                    self.env._(
                        "The disputed amount of %(invoice)s must be positive.",
                        invoice=move.name,
                    )
                )
            if (
                float_compare(
                    line.amount_disputed,
                    move.amount_residual,
                    precision_rounding=rounding,
                )
                > 0
            ):
                raise ValidationError(
                    self.env._(
                        "The disputed amount of %(invoice)s (%(disputed)s) is "
                        "higher than its open amount (%(open)s).",
                        invoice=move.name,
                        disputed=line.currency_id.format(line.amount_disputed),
                        open=line.currency_id.format(move.amount_residual),
                    )
                )

    @api.constrains("move_id", "dispute_id")
    def _check_move(self):
        for line in self:
            move = line.move_id
            if not move._is_dunning_open() or float_is_zero(
                move.amount_residual, precision_rounding=line.currency_id.rounding
            ):
                raise ValidationError(
                    self.env._(
                        "Only open, posted customer invoices can be disputed; "
                        "%(invoice)s is not.",
                        invoice=move.display_name,
                    )
                )
            if move.commercial_partner_id != line.dispute_id.partner_id:
                raise ValidationError(
                    self.env._(
                        "Invoice %(invoice)s belongs to %(customer)s, not to the "
                        "customer of dispute %(dispute)s.",
                        invoice=move.name,
                        customer=move.commercial_partner_id.display_name,
                        dispute=line.dispute_id.name,
                    )
                )
        others = self.search(
            [
                ("move_id", "in", self.move_id.ids),
                ("dispute_state", "in", OPEN_STATES),
                ("id", "not in", self.ids),
            ]
        )
        others_by_move = others.grouped("move_id")
        for line in self.filtered(lambda ln: ln.dispute_state in OPEN_STATES):
            clash = others_by_move.get(line.move_id, others.browse())[:1]
            if clash:
                raise ValidationError(
                    self.env._(
                        "Invoice %(invoice)s is already disputed in %(dispute)s.",
                        invoice=line.move_id.name,
                        dispute=clash.dispute_id.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        disputes = self.env["account.dunning.dispute"].browse(
            [vals["dispute_id"] for vals in vals_list if vals.get("dispute_id")]
        )
        disputes._check_lines_editable()
        return super().create(vals_list)

    def write(self, vals):
        if LOCKED_FIELDS & set(vals):
            self.dispute_id._check_lines_editable()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked(self):
        self.dispute_id.exists()._check_lines_editable()
