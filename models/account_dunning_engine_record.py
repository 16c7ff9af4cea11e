from odoo import api, models
from odoo.exceptions import AccessError


class AccountDunningEngineRecord(models.AbstractModel):
    """Records that only the dunning process writes (run decisions, the claim
    data of a handover): outside superuser mode they can be neither created,
    changed nor deleted. A model says why in ``_get_engine_only_message``."""

    _name = "account.dunning.engine.record"
    _description = "Dunning Record Written by the Dunning Process"

    def _get_engine_only_message(self):
        return self.env._("These records are written by the dunning process only.")

    def _check_engine_only(self):
        if not self.env.su:
            raise AccessError(self._get_engine_only_message())

    @api.model_create_multi
    def create(self, vals_list):
        self._check_engine_only()
        return super().create(vals_list)

    def write(self, vals):
        self._check_engine_only()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_engine(self):
        self._check_engine_only()
