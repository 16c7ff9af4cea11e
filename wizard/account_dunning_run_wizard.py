from odoo import fields, models


class AccountDunningRunWizard(models.TransientModel):
    _name = "account.dunning.run.wizard"
    _description = "Run Dunning Now"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    simulation = fields.Boolean(
        default=True,
        help="Show what the run would do, without creating letters, activities "
        "or changing invoices.",
    )

    def action_run(self):
        self.ensure_one()
        run = self.env["account.dunning.run"]._run_dunning(
            self.company_id, simulation=self.simulation
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.dunning.run",
            "res_id": run.id,
            "view_mode": "form",
        }
