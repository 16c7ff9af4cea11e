from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .account_dunning_payment_plan import RESUME_MODES


class AccountDunningPolicy(models.Model):
    """Payment-plan follow-up settings of a dunning policy; copied onto each
    plan of a customer of the policy when the plan is created."""

    _inherit = "account.dunning.policy"

    plan_grace_days = fields.Integer(
        string="Plan Grace Days (Business)",
        default=5,
        help="A business customer's payment plan is broken when an installment "
        "is still unpaid this many days after its due date.",
    )
    plan_reminder_days_before = fields.Integer(
        string="Installment Reminder Days Before",
        default=3,
        help="Days before an installment's due date on which a friendly reminder "
        "is sent; -1 sends none.",
    )
    plan_reminder_days_after = fields.Integer(
        string="Installment Reminder Days After",
        default=2,
        help="Days after a missed installment on which a reminder is sent; -1 "
        "sends none.",
    )
    plan_resume_mode = fields.Selection(
        RESUME_MODES,
        string="Dunning After a Broken Plan",
        default="previous",
        required=True,
    )

    @api.constrains(
        "plan_grace_days", "plan_reminder_days_before", "plan_reminder_days_after"
    )
    def _check_plan_settings(self):
        for policy in self:
            if policy.plan_grace_days < 0 or (
                min(policy.plan_reminder_days_before, policy.plan_reminder_days_after)
                < -1
            ):
                raise ValidationError(
                    self.env._(
                        "Policy %(name)s: payment plan grace days cannot be negative; "
                        "reminder days are 0 or more, or -1 for no reminder.",
                        name=policy.name,
                    )
                )
