from odoo import api, fields, models

from .account_dunning_profile import SCORE_BASE

PROMISE_COLUMNS = ("kept_promise_count", "broken_promise_count", "score_promises")


class AccountDunningProfile(models.Model):
    """Kept and broken promises to pay as a visible factor of the score."""

    _inherit = "account.dunning.profile"

    kept_promise_count = fields.Integer(string="Promises Kept", readonly=True)
    broken_promise_count = fields.Integer(string="Promises Broken", readonly=True)
    score_promises = fields.Float(string="Promise Points", readonly=True)

    @api.model
    def _get_score_columns(self):
        return tuple(super()._get_score_columns()) + PROMISE_COLUMNS

    @api.model
    def _empty_metrics(self):
        values = super()._empty_metrics()
        values.update(kept_promise_count=0, broken_promise_count=0)
        return values

    def _score_factor_labels(self):
        return super()._score_factor_labels() + [
            ("score_promises", self.env._("Promises to pay (kept / broken)")),
        ]

    @api.model
    def _score(self, values, today):
        """+2 points per kept promise (at most +6), -8 per broken one (at most
        -16), over the last 24 months."""
        values = super()._score(values, today)
        values.setdefault("kept_promise_count", 0)
        values.setdefault("broken_promise_count", 0)
        values["score_promises"] = min(2.0 * values["kept_promise_count"], 6.0) - min(
            8.0 * values["broken_promise_count"], 16.0
        )
        total = SCORE_BASE + sum(
            values.get(field) or 0.0 for field, _label in self._score_factor_labels()
        )
        values["score"] = round(max(0.0, min(100.0, total)), 1)
        return values
