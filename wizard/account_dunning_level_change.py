from odoo import api, fields, models

MODES = [
    ("raise", "Raise"),
    ("lower", "Lower"),
    ("hold", "Hold"),
]


class AccountDunningLevelChange(models.TransientModel):
    """Manual level control of one invoice: raise, lower or hold, with a
    reason that is logged on the invoice."""

    _name = "account.dunning.level.change"
    _description = "Change Dunning Level"

    move_id = fields.Many2one("account.move", string="Invoice", required=True)
    company_id = fields.Many2one(related="move_id.company_id")
    current_level_id = fields.Many2one(
        related="move_id.dunning_level_id", string="Current Level"
    )
    mode = fields.Selection(MODES, required=True, default="hold")
    level_id = fields.Many2one(
        "account.dunning.level",
        string="New Level",
        domain="[('company_id', '=', company_id)]",
        help="Empty when lowering: the invoice starts the ladder again.",
    )
    hold_until = fields.Date(
        help="No dunning step for this invoice up to and including this date."
    )
    reason = fields.Char(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if not values.get("move_id") and self.env.context.get("active_model") == (
            "account.move"
        ):
            values["move_id"] = self.env.context.get("active_id")
        return values

    def action_apply(self):
        self.ensure_one()
        self.move_id._dunning_change_level(
            self.mode, self.level_id, self.hold_until, self.reason
        )
        return {"type": "ir.actions.act_window_close"}
