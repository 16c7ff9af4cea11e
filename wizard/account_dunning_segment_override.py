from odoo import fields, models


class AccountDunningSegmentOverride(models.TransientModel):
    _name = "account.dunning.segment.override"
    _description = "Override a Customer's Dunning Segment"

    profile_id = fields.Many2one("account.dunning.profile", required=True)
    partner_id = fields.Many2one(related="profile_id.partner_id")
    current_segment_id = fields.Many2one(related="profile_id.segment_id")
    segment_id = fields.Many2one(
        "account.dunning.segment", string="New Segment", required=True
    )
    reason = fields.Char(required=True)
    until = fields.Date(help="Leave empty for an override without end date.")

    def action_apply(self):
        self.ensure_one()
        self.profile_id._set_override(self.segment_id, self.reason, self.until)
        return {"type": "ir.actions.act_window_close"}
