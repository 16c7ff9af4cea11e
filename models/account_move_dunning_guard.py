from odoo import api, fields, models

from .dunning_guard import DUNNING_USER_GROUP, check_group, check_protected_fields

# Written by the dunning run and the letter workflow only.
MOVE_ENGINE_FIELDS = {
    "dunning_level_id",
    "dunning_last_date",
    "dunning_interest_charged_until",
    "dunning_compensation_charged",
    "dunning_charge_letter_id",
}
# Set by dunning users on the invoice form.
MOVE_DUNNING_USER_FIELDS = {
    "dunning_excluded",
    "dunning_blocked_until",
    "dunning_block_reason",
}
INTERNAL_GROUP = "base.group_user"


class AccountMove(models.Model):
    """Dunning fields of invoices: engine output is written by the engine,
    blocks and exclusions by dunning users; none of them is readable by
    portal users (a block reason is an internal note)."""

    _inherit = "account.move"

    dunning_level_id = fields.Many2one(groups=INTERNAL_GROUP)
    dunning_last_date = fields.Date(groups=INTERNAL_GROUP)
    dunning_next_date = fields.Date(groups=INTERNAL_GROUP)
    dunning_blocked_until = fields.Date(groups=INTERNAL_GROUP)
    dunning_block_reason = fields.Char(groups=INTERNAL_GROUP)
    dunning_excluded = fields.Boolean(groups=INTERNAL_GROUP)
    dunning_interest_charged_until = fields.Date(groups=INTERNAL_GROUP)
    dunning_compensation_charged = fields.Boolean(groups=INTERNAL_GROUP)

    def _check_dunning_fields(self, vals):
        check_protected_fields(self, vals, MOVE_ENGINE_FIELDS)
        if MOVE_DUNNING_USER_FIELDS.intersection(vals):
            check_group(
                self.env,
                DUNNING_USER_GROUP,
                self.env._(
                    "Only dunning users can block an invoice or exclude it from "
                    "dunning."
                ),
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_dunning_fields(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_dunning_fields(vals)
        return super().write(vals)
