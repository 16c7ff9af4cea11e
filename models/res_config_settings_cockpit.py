from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    dunning_review_before_sending = fields.Boolean(
        related="company_id.dunning_review_before_sending", readonly=False
    )
    dunning_attach_statement = fields.Boolean(
        related="company_id.dunning_attach_statement", readonly=False
    )
