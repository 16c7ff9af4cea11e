from odoo import api, fields, models
from odoo.exceptions import ValidationError

SUSPENSION_KINDS = [
    ("negotiation", "Negotiation"),
    ("mediation", "Mediation"),
    ("court", "Court dunning"),
]


class AccountDunningSuspension(models.Model):
    """A period during which the limitation of some invoices is suspended.

    Negotiations and mediation (§ 203 BGB) suspend limitation while they last,
    and it ends at the earliest 3 months after they end; a court dunning
    application (§ 204 BGB) suspends it until 6 months after the proceedings
    end. Disputes and legal handovers record their periods here; a manager can
    also record other negotiations by hand. An empty end date means the
    suspension still lasts.
    """

    _name = "account.dunning.suspension"
    _description = "Limitation Suspension"
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Description", required=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    kind = fields.Selection(SUSPENSION_KINDS, required=True, default="negotiation")
    date_start = fields.Date(string="From", required=True)
    date_end = fields.Date(
        string="Until", help="Last day of the suspension; empty while it lasts."
    )
    move_ids = fields.Many2many(
        "account.move",
        "account_dunning_suspension_move_rel",
        "suspension_id",
        "move_id",
        string="Invoices",
        required=True,
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted')]",
    )
    dispute_id = fields.Many2one(
        "account.dunning.dispute", readonly=True, ondelete="cascade", index=True
    )
    handover_id = fields.Many2one(
        "account.dunning.handover", readonly=True, ondelete="cascade", index=True
    )

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for suspension in self:
            if suspension.date_end and suspension.date_end < suspension.date_start:
                raise ValidationError(
                    self.env._(
                        "The suspension %(name)s ends on %(end)s, before it starts "
                        "(%(start)s).",
                        name=suspension.name,
                        end=suspension.date_end,
                        start=suspension.date_start,
                    )
                )
