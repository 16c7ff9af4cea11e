from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    dunning_manager_user_id = fields.Many2one(
        related="company_id.dunning_manager_user_id", readonly=False
    )
    dunning_responsible_user_id = fields.Many2one(
        related="company_id.dunning_responsible_user_id", readonly=False
    )
    dunning_uses_calls = fields.Boolean(compute="_compute_dunning_uses_calls")
    dunning_collection_agency_id = fields.Many2one(
        related="company_id.dunning_collection_agency_id", readonly=False
    )
    dunning_limitation_warning_days = fields.Integer(
        related="company_id.dunning_limitation_warning_days", readonly=False
    )
    dunning_score_open_disputes = fields.Boolean(
        related="company_id.dunning_score_open_disputes", readonly=False
    )
    dunning_score_unfounded_disputes = fields.Boolean(
        related="company_id.dunning_score_unfounded_disputes", readonly=False
    )

    @api.depends("company_id")
    def _compute_dunning_uses_calls(self):
        for settings in self:
            settings.dunning_uses_calls = bool(
                self.env["account.dunning.level"].search_count(
                    [
                        ("company_id", "=", settings.company_id.id),
                        ("action_call", "=", True),
                    ],
                    limit=1,
                )
            )
