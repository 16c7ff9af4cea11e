"""Input that would break a later dunning run is refused when it is saved.

Day counts end up in date arithmetic (a deadline 5,000,000 days ahead is
past the last date PostgreSQL and Python can store), base rates in interest
amounts: both are checked at input. (Letter texts are checked by rendering
them when they are saved, see account_dunning_level_letter.py.)
"""

from odoo import api, models
from odoo.exceptions import ValidationError

# Ten years: longer than any sensible deadline, grace or interval.
MAX_DAYS = 3650
# Plausible statutory base rates (percent per year); the lowest ever was
# -0.88 %, the highest since 1999 below 5 %.
MIN_BASE_RATE = -10.0
MAX_BASE_RATE = 30.0


def check_days(env, record_name, values):
    """``values``: ``{label: days}``; none above MAX_DAYS (negative values
    are refused by each model's own checks)."""
    for label, days in values.items():
        if days and days > MAX_DAYS:
            raise ValidationError(
                env._(
                    "%(record)s: %(field)s must be between 0 and %(max)s days "
                    "(%(value)s entered).",
                    record=record_name,
                    field=label,
                    max=MAX_DAYS,
                    value=days,
                )
            )


class AccountDunningLevel(models.Model):
    _inherit = "account.dunning.level"

    @api.constrains("days_overdue", "min_days_since_previous", "payment_deadline_days")
    def _check_day_bounds(self):
        for level in self:
            check_days(
                self.env,
                level.display_name,
                {
                    level._fields[name]._description_string(self.env): level[name]
                    for name in (
                        "days_overdue",
                        "min_days_since_previous",
                        "payment_deadline_days",
                    )
                },
            )


class AccountDunningPolicy(models.Model):
    _inherit = "account.dunning.policy"

    @api.constrains(
        "grace_days",
        "plan_grace_days",
        "plan_reminder_days_before",
        "plan_reminder_days_after",
    )
    def _check_day_bounds(self):
        for policy in self:
            check_days(
                self.env,
                policy.display_name,
                {
                    policy._fields[name]._description_string(self.env): policy[name]
                    for name in (
                        "grace_days",
                        "plan_grace_days",
                        "plan_reminder_days_before",
                        "plan_reminder_days_after",
                    )
                    if policy[name] != -1
                },
            )


class ResCompany(models.Model):
    _inherit = "res.company"

    @api.constrains("dunning_limitation_warning_days")
    def _check_dunning_day_bounds(self):
        for company in self:
            check_days(
                self.env,
                company.name,
                {
                    company._fields[
                        "dunning_limitation_warning_days"
                    ]._description_string(self.env): (
                        company.dunning_limitation_warning_days
                    )
                },
            )


class AccountDunningBaseRate(models.Model):
    _inherit = "account.dunning.base.rate"

    @api.constrains("rate")
    def _check_rate_bounds(self):
        for row in self:
            if not MIN_BASE_RATE <= row.rate <= MAX_BASE_RATE:
                raise ValidationError(
                    self.env._(
                        "A base rate of %(rate)s %% is not plausible: enter a rate "
                        "between %(min)s %% and %(max)s %% per year.",
                        rate=f"{row.rate:.2f}",
                        min=f"{MIN_BASE_RATE:g}",
                        max=f"{MAX_BASE_RATE:g}",
                    )
                )
