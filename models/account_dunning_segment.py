from odoo import api, fields, models
from odoo.exceptions import ValidationError


class AccountDunningSegment(models.Model):
    """A group of customers that share a dunning strategy.

    Segments are evaluated in sequence order; the first one whose rules all
    match a relationship profile is assigned to it. A rule left empty (0)
    does not restrict.
    """

    _name = "account.dunning.segment"
    _description = "Dunning Customer Segment"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Technical key used by the shipped policies and reports.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company",
        help="Leave empty to use the segment in every company.",
    )
    score_min = fields.Float(string="Minimum Score", default=0.0)
    score_max = fields.Float(string="Maximum Score", default=100.0)
    tenure_min_days = fields.Integer(
        string="Customer for at least (days)",
        help="0 means no condition.",
    )
    tenure_max_days = fields.Integer(
        string="Customer for at most (days)",
        help="0 means no condition.",
    )
    revenue_min = fields.Monetary(
        string="Minimum Revenue (12 months)",
        currency_field="currency_id",
        help="In company currency; 0 means no condition.",
    )
    broken_plans_min = fields.Integer(
        string="At least broken payment plans",
        help="0 means no condition.",
    )
    avg_days_late_min = fields.Float(
        string="Average days late at least",
        help="Amount-weighted average over 24 months; 0 means no condition.",
    )
    currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_currency_id",
    )
    policy_ids = fields.One2many("account.dunning.policy", "segment_id")
    profile_count = fields.Integer(compute="_compute_profile_count")

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "The segment code must be unique per company.",
        ),
    ]

    @api.depends("company_id")
    def _compute_currency_id(self):
        for segment in self:
            segment.currency_id = (
                segment.company_id.currency_id or self.env.company.currency_id
            )

    def _compute_profile_count(self):
        groups = self.env["account.dunning.profile"]._read_group(
            [("segment_id", "in", self.ids)], ["segment_id"], ["__count"]
        )
        counts = {segment.id: count for segment, count in groups}
        for segment in self:
            segment.profile_count = counts.get(segment.id, 0)

    @api.constrains(
        "score_min",
        "score_max",
        "tenure_min_days",
        "tenure_max_days",
        "revenue_min",
        "broken_plans_min",
        "avg_days_late_min",
    )
    def _check_rules(self):
        for segment in self:
            if not 0 <= segment.score_min <= segment.score_max <= 100:
                raise ValidationError(
                    self.env._(
                        "Segment %(name)s: the score range must lie within 0 to 100 "
                        "and the minimum must not exceed the maximum.",
                        name=segment.name,
                    )
                )
            if (
                min(
                    segment.tenure_min_days,
                    segment.tenure_max_days,
                    segment.revenue_min,
                    segment.broken_plans_min,
                    segment.avg_days_late_min,
                )
                < 0
            ):
                raise ValidationError(
                    self.env._(
                        "Segment %(name)s: rule values cannot be negative.",
                        name=segment.name,
                    )
                )
            if (
                segment.tenure_max_days
                and segment.tenure_min_days > segment.tenure_max_days
            ):
                raise ValidationError(
                    self.env._(
                        "Segment %(name)s: the minimum customer age exceeds the "
                        "maximum.",
                        name=segment.name,
                    )
                )

    def _matches(self, metrics):
        """Return True when every rule of this segment accepts ``metrics``.

        ``metrics`` is a dict with the keys ``score``, ``tenure_days``,
        ``revenue``, ``broken_plans`` and ``avg_days_late``.
        """
        self.ensure_one()
        return (
            self.score_min <= metrics["score"] <= self.score_max
            and (
                not self.tenure_min_days
                or metrics["tenure_days"] >= self.tenure_min_days
            )
            and (
                not self.tenure_max_days
                or metrics["tenure_days"] <= self.tenure_max_days
            )
            and (not self.revenue_min or metrics["revenue"] >= self.revenue_min)
            and (
                not self.broken_plans_min
                or metrics["broken_plans"] >= self.broken_plans_min
            )
            and (
                not self.avg_days_late_min
                or metrics["avg_days_late"] >= self.avg_days_late_min
            )
        )

    def action_view_profiles(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_relationship_dunning.account_dunning_profile_action"
        )
        action["domain"] = [("segment_id", "=", self.id)]
        return action
