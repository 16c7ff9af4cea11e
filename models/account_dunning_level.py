from odoo import api, fields, models
from odoo.exceptions import ValidationError

TONES = [
    ("friendly", "Friendly"),
    ("neutral", "Neutral"),
    ("firm", "Firm"),
    ("final", "Final"),
]


class AccountDunningLevel(models.Model):
    """One step of a dunning policy."""

    _name = "account.dunning.level"
    _description = "Dunning Level"
    _order = "policy_id, days_overdue, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    policy_id = fields.Many2one(
        "account.dunning.policy", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    currency_id = fields.Many2one(related="policy_id.currency_id")
    sequence = fields.Integer(
        compute="_compute_sequence",
        store=True,
        help="Position of the level in its policy (1 = first).",
    )
    days_overdue = fields.Integer(
        required=True,
        help="The level is reached when the oldest open due date of an invoice "
        "is at least this many days in the past.",
    )
    min_days_since_previous = fields.Integer(
        string="Minimum Days Since Previous Letter",
        default=7,
        help="The level is not sent before this many days have passed since the "
        "customer's previous dunning step.",
    )
    min_amount = fields.Monetary(
        string="Minimum Overdue Amount",
        currency_field="currency_id",
        help="Invoices whose overdue amount (company currency) is below this "
        "value are skipped at this level.",
    )
    action_letter = fields.Boolean(string="Letter by Post", default=True)
    action_email = fields.Boolean(string="E-mail", default=True)
    action_call = fields.Boolean(
        string="Phone Call",
        help="Schedule a phone-call activity for the salesperson or the "
        "dunning responsible.",
    )
    tone = fields.Selection(TONES, required=True, default="neutral")
    fee_amount = fields.Monetary(
        string="Dunning Fee",
        currency_field="currency_id",
        help="Actual costs only (material, postage). Never charged on the letter "
        "that first puts the customer in default.",
    )
    apply_interest = fields.Boolean(string="Statutory Interest")
    apply_compensation = fields.Boolean(
        string="Flat B2B Compensation",
        help="EUR 40 per § 288 (5) BGB, only for business customers in default.",
    )
    payment_deadline_days = fields.Integer(
        string="New Payment Deadline (days)",
        default=10,
        help="Days after the letter date given to the customer to pay.",
    )
    approval_required = fields.Boolean(
        help="Letters of this level wait for a dunning manager's approval.",
    )
    offer_payment_plan = fields.Boolean()
    offer_mediation = fields.Boolean()
    is_final = fields.Boolean(
        compute="_compute_sequence",
        store=True,
        help="The last level of its policy.",
    )

    @api.depends("policy_id.level_ids.days_overdue")
    def _compute_sequence(self):
        for policy in self.policy_id:
            levels = policy._get_sorted_levels()
            for position, level in enumerate(levels, start=1):
                level.sequence = position
                level.is_final = position == len(levels)
        for level in self.filtered(lambda lvl: not lvl.policy_id):
            level.sequence = 0
            level.is_final = False

    @api.depends("policy_id.name", "name")
    def _compute_display_name(self):
        for level in self:
            level.display_name = (
                f"{level.policy_id.name} / {level.name}"
                if level.policy_id
                else level.name
            )

    @api.constrains(
        "days_overdue",
        "min_days_since_previous",
        "min_amount",
        "fee_amount",
        "payment_deadline_days",
    )
    def _check_values(self):
        for level in self:
            if (
                min(
                    level.days_overdue,
                    level.min_days_since_previous,
                    level.min_amount,
                    level.fee_amount,
                    level.payment_deadline_days,
                )
                < 0
            ):
                raise ValidationError(
                    self.env._(
                        "Level %(name)s: days, amounts and fees cannot be negative.",
                        name=level.name,
                    )
                )

    @api.constrains("days_overdue", "policy_id")
    def _check_days_unique(self):
        self.policy_id._check_levels()

    @api.constrains("action_letter", "action_email", "action_call")
    def _check_actions(self):
        for level in self:
            if not (level.action_letter or level.action_email or level.action_call):
                raise ValidationError(
                    self.env._(
                        "Level %(name)s: choose at least one action (letter, "
                        "e-mail or phone call).",
                        name=level.name,
                    )
                )

    def _get_channel(self):
        """Main channel of the level: e-mail, post, or phone only."""
        self.ensure_one()
        if self.action_email:
            return "email"
        if self.action_letter:
            return "post"
        return "phone"
