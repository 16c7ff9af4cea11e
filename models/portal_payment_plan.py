from odoo import fields, models


class AccountDunningPaymentPlan(models.Model):
    """Payment plans the customer proposed in the portal."""

    _inherit = "account.dunning.payment.plan"

    portal_origin = fields.Boolean(
        string="Proposed in the Portal",
        readonly=True,
        copy=False,
        help="The customer set this plan up in the customer portal.",
    )
    portal_review = fields.Boolean(
        string="Waiting for Review",
        readonly=True,
        copy=False,
        help="The customer proposed this plan in the portal outside the limits "
        "of its dunning policy: accept it (or reset it to draft and change it) "
        "after review.",
    )

    def write(self, vals):
        # Once the plan is accepted, cancelled or reset, the review is over.
        if vals.get("state") in ("active", "cancel", "draft"):
            vals = dict(vals, portal_review=False)
        return super().write(vals)
