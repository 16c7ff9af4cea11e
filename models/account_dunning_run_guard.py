from odoo import api, models
from odoo.exceptions import AccessError

from .dunning_guard import (
    DUNNING_USER_GROUP,
    check_company_allowed,
    check_group,
)


class AccountDunningRun(models.Model):
    """Runs, their counters and their decisions are written by the engine
    only; users start runs through ``_run_dunning`` (wizard, cron)."""

    _inherit = "account.dunning.run"

    def _check_engine_only(self):
        if not self.env.su:
            raise AccessError(
                self.env._(
                    "Dunning runs and their results are recorded by the dunning "
                    "engine only; start a run with Run Dunning."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_engine_only()
        return super().create(vals_list)

    def write(self, vals):
        allowed = {"message_follower_ids", "message_ids", "activity_ids"}
        if set(vals) - allowed:
            self._check_engine_only()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_engine(self):
        self._check_engine_only()

    @api.model
    def _run_dunning(self, company=None, date=None, simulation=False):
        if self.env.su:
            return super()._run_dunning(company, date, simulation)
        check_group(self.env, DUNNING_USER_GROUP)
        check_company_allowed(self.env, company or self.env.company)
        # sudo: the engine writes what users may not write directly (runs,
        # decisions, letters, invoice levels, profiles); the user's group and
        # company were checked just above. sudo() keeps the user as author.
        run = super(AccountDunningRun, self.sudo())._run_dunning(
            company, date, simulation
        )
        return run.sudo(False)


class AccountDunningRunLine(models.Model):
    _name = "account.dunning.run.line"
    _inherit = ["account.dunning.run.line", "account.dunning.engine.record"]

    def _get_engine_only_message(self):
        return self.env._(
            "The decisions of a dunning run are recorded by the dunning engine only."
        )
