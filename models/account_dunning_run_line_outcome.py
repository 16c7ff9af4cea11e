from odoo import api, fields, models


class AccountDunningRunLine(models.Model):
    """Decisions seen by the credit controller: one outcome to group by
    ("Dunned", "Next step due" or the skip reason) and no sums of days overdue."""

    _inherit = "account.dunning.run.line"

    reason = fields.Selection(
        selection_add=[
            ("promise", "Promise to pay"),
            ("review", "Removed in review"),
        ]
    )
    outcome = fields.Selection(
        selection="_selection_outcome",
        readonly=True,
        index=True,
        help="Dunned, or why the invoice was skipped.",
    )
    days_overdue = fields.Integer(aggregator="max")

    @api.model
    def _selection_outcome(self):
        reasons = self._fields["reason"]._description_selection(self.env)
        return [
            ("dunned", self.env._("Dunned")),
            ("next_step", self.env._("Next step due")),
            *reasons,
        ]
