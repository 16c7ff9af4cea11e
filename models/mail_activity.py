from odoo import api, fields, models
from odoo.exceptions import UserError

CALL_ACTIVITY_TYPE = "account_relationship_dunning.mail_activity_type_dunning_call"


class MailActivity(models.Model):
    """A promise to pay recorded from the dunning call activity."""

    _inherit = "mail.activity"

    is_dunning_call = fields.Boolean(compute="_compute_is_dunning_call")

    @api.depends("activity_type_id", "res_model")
    def _compute_is_dunning_call(self):
        call_type = self.env.ref(CALL_ACTIVITY_TYPE, raise_if_not_found=False)
        for activity in self:
            activity.is_dunning_call = bool(
                call_type
                and activity.activity_type_id == call_type
                and activity.res_model == "account.dunning.letter"
            )

    def action_record_dunning_promise(self):
        """The promise form of the called letter's customer and invoices."""
        self.ensure_one()
        if not self.is_dunning_call:
            raise UserError(
                self.env._("A promise to pay is recorded from a dunning call.")
            )
        letter = self.env["account.dunning.letter"].browse(self.res_id)
        return letter.action_record_promise()
