from odoo import SUPERUSER_ID, models


class ResUsers(models.Model):
    _inherit = "res.users"

    def _is_dunning_assignable(self):
        """Whether dunning activities may be assigned to this user: an active
        internal user, never OdooBot (the superuser)."""
        self.ensure_one()
        # sudo: reading the archive flag and the user type of another user.
        user = self.sudo().with_context(active_test=False)
        return bool(user.active and not user.share and user.id != SUPERUSER_ID)
