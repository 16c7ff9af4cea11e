import psycopg2

from odoo import api, models
from odoo.exceptions import UserError

from .dunning_guard import (
    DUNNING_MANAGER_GROUP,
    DUNNING_USER_GROUP,
    check_group,
    check_protected_fields,
)

# What users may set on a profile: the customer it belongs to and a block.
PROFILE_USER_FIELDS = {"partner_id", "company_id", "block_until", "block_reason"}


class AccountDunningProfile(models.Model):
    """Scores, metrics, segments and overrides are written by the scoring
    and by the override actions only."""

    _inherit = "account.dunning.profile"

    def _dunning_protected_fields(self):
        mixins = set(self.env["mail.thread"]._fields) | set(
            self.env["mail.activity.mixin"]._fields
        )
        return (
            set(self._fields)
            - mixins
            - PROFILE_USER_FIELDS
            - set(models.MAGIC_COLUMNS)
            - {"display_name"}
        )

    @api.model_create_multi
    def create(self, vals_list):
        protected = self._dunning_protected_fields()
        for vals in vals_list:
            check_protected_fields(self, vals, protected)
        return super().create(vals_list)

    def write(self, vals):
        check_protected_fields(self, vals, self._dunning_protected_fields())
        if not self.env.su and {"partner_id", "company_id"}.intersection(vals):
            check_protected_fields(self, vals, {"partner_id", "company_id"})
        return super().write(vals)

    @api.model
    def _recompute_scores(self, company, partners=None):
        if not self.env.su:
            check_group(self.env, DUNNING_USER_GROUP)
        try:
            with self.env.cr.savepoint(flush=False):
                # sudo: scores and metrics are protected against direct
                # writes; any dunning user may trigger the (deterministic)
                # scoring.
                profiles = super(AccountDunningProfile, self.sudo())._recompute_scores(
                    company, partners
                )
        except psycopg2.errors.UniqueViolation:
            raise UserError(
                self.env._(
                    "Another dunning run or score computation of %(company)s is "
                    "creating the same customer profiles right now. Nothing was "
                    "changed; start the dunning again in a moment.",
                    company=company.name,
                )
            ) from None
        return profiles.with_env(self.env)

    def _check_override_rights(self):
        if self.env.su:
            return
        check_group(
            self.env,
            DUNNING_MANAGER_GROUP,
            self.env._("Only a dunning manager can override a customer's segment."),
        )
        self.check_access("write")

    def _set_override(self, segment, reason, until=False):
        self._check_override_rights()
        # sudo: the override fields are protected and the note goes on the
        # customer's chatter, which dunning managers without the right to
        # edit contacts could not post on; rights were checked above.
        return super(AccountDunningProfile, self.sudo())._set_override(
            segment, reason, until
        )

    def action_clear_override(self):
        self._check_override_rights()
        return super().action_clear_override()

    def _clear_override(self, message):
        # sudo: the override fields are protected; clearing is either the
        # checked action above or the expiry of an override's end date, and
        # the note goes on the customer's chatter (see _set_override).
        return super(AccountDunningProfile, self.sudo())._clear_override(message)
