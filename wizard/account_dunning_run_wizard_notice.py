from odoo import api, fields, models


class AccountDunningRunWizard(models.TransientModel):
    """Explain before it happens why a second real run on one day creates
    no new letter."""

    _inherit = "account.dunning.run.wizard"

    today_run_id = fields.Many2one(
        "account.dunning.run",
        string="Real Run Today",
        compute="_compute_today_run_id",
    )
    today_run_notice = fields.Text(compute="_compute_today_run_id")

    @api.depends("company_id", "simulation")
    def _compute_today_run_id(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            run = self.env["account.dunning.run"].search(
                [
                    ("company_id", "=", wizard.company_id.id),
                    ("date", "=", today),
                    ("simulation", "=", False),
                    ("state", "=", "done"),
                ],
                limit=1,
            )
            wizard.today_run_id = run
            wizard.today_run_notice = (
                self.env._(
                    "The dunning already ran today (%(run)s: %(letters)s letter(s), "
                    "%(calls)s call(s)). A customer gets at most one dunning step "
                    "per day, and the invoices dunned today have not reached a new "
                    "level since: a second real run today records its decisions "
                    "but creates no new letter. Customers not dunned today (e.g. "
                    "after a block ended or an approval) can still get one.",
                    run=run.name,
                    letters=run.letter_count,
                    calls=run.call_count,
                )
                if run and not wizard.simulation
                else False
            )
