from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .account_dunning_payment_plan import RESUME_MODES
from .payment_schedule import MAX_INSTALLMENTS


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


class AccountDunningPolicyPortal(models.Model):
    """What a customer may arrange on its own in the customer portal: a
    payment plan within limits (anything else goes to review) and a promise
    to pay within a number of days."""

    _inherit = "account.dunning.policy"

    portal_plan_allowed = fields.Boolean(
        string="Plans Without Review in the Portal",
        default=True,
        help="Customers of this policy may agree a payment plan in the customer "
        "portal on their own, within the limits below. Proposals outside the "
        "limits, or from customers of a policy without this option, go to the "
        "dunning manager for review.",
    )
    portal_plan_max_installments = fields.Integer(
        string="Maximum Installments (Portal)",
        default=6,
        help="Most installments a plan agreed in the portal may have.",
    )
    portal_plan_min_installment = fields.Monetary(
        string="Minimum Installment (Portal)",
        default=50.0,
        help="Smallest installment a plan agreed in the portal may have.",
    )
    portal_promise_max_days = fields.Integer(
        string="Promise to Pay: Maximum Days",
        default=30,
        help="A customer may promise in the portal to pay within this many days.",
    )

    @api.constrains(
        "portal_plan_max_installments",
        "portal_plan_min_installment",
        "portal_promise_max_days",
    )
    def _check_portal_settings(self):
        for policy in self:
            if not 1 <= policy.portal_plan_max_installments <= MAX_INSTALLMENTS:
                raise ValidationError(
                    self.env._(
                        "Policy %(name)s: the maximum number of installments in the "
                        "portal is between 1 and %(max)s.",
                        name=policy.name,
                        max=MAX_INSTALLMENTS,
                    )
                )
            if policy.portal_plan_min_installment < 0:
                raise ValidationError(
                    self.env._(
                        "Policy %(name)s: the minimum installment cannot be negative.",
                        name=policy.name,
                    )
                )
            if not 0 <= policy.portal_promise_max_days <= 365:
                raise ValidationError(
                    self.env._(
                        "Policy %(name)s: a promise to pay may reach 0 to 365 days "
                        "ahead.",
                        name=policy.name,
                    )
                )
