"""Payment plan: its installment schedule.

The arithmetic (split, rounding, due dates, interest) is pure Python in
``payment_schedule.py``, shared with the wizard that offers a plan.
"""

from odoo import Command, fields, models
from odoo.exceptions import UserError

from .payment_schedule import prepare_schedule, schedule_params


class AccountDunningPaymentPlan(models.Model):
    _inherit = "account.dunning.payment.plan"

    def _get_schedule_params(self):
        self.ensure_one()
        return schedule_params(self)

    def _generate_schedule(self):
        """Replace the installments of a draft plan by a fresh schedule."""
        for plan in self:
            if plan.state != "draft":
                raise UserError(
                    self.env._("Only the schedule of a draft plan can be recomputed.")
                )
            vals_list = prepare_schedule(
                plan._get_schedule_params(),
                plan.amount_open + plan.amount_charges,
                plan.currency_id.rounding,
                plan.date,
                fields.Date.context_today(plan),
                self.env._,
            )
            plan.write(
                {
                    "installment_ids": [Command.clear()]
                    + [Command.create(vals) for vals in vals_list]
                }
            )
        return True

    def action_compute_schedule(self):
        for plan in self:
            plan.amount_open = plan._get_open_amount(plan.move_ids, plan.currency_id)
        self._generate_schedule()
        return True
