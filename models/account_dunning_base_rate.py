import bisect
from datetime import date

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date


class AccountDunningBaseRate(models.Model):
    """The statutory base rate (§ 247 BGB) and the date from which it applies.

    Company-independent: the rate is published by the Bundesbank for everyone.
    Default interest is this rate plus 9 points (business claims) or 5 points.
    """

    _name = "account.dunning.base.rate"
    _description = "Statutory Base Interest Rate"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_from desc"
    _rec_name = "date_from"

    date_from = fields.Date(
        string="Valid From",
        required=True,
        tracking=True,
        help="The rate applies from this day until the day before the next row.",
    )
    rate = fields.Float(
        string="Base Rate (%)",
        required=True,
        digits=(16, 2),
        tracking=True,
        help="Percent per year; may be negative (e.g. -0.88 from 1 July 2016 to "
        "31 December 2022).",
    )

    _sql_constraints = [
        (
            "date_from_uniq",
            "unique(date_from)",
            "There is already a base rate valid from this date.",
        ),
    ]

    @api.depends("date_from", "rate")
    def _compute_display_name(self):
        for row in self:
            row.display_name = self.env._(
                "%(rate)s %% from %(date)s",
                rate=f"{row.rate:.2f}",
                date=format_date(self.env, row.date_from),
            )

    def _check_duplicate_dates(self, dates):
        """Raise a clear error before the database refuses a duplicate date.

        ``dates``: the valid-from dates about to be written on ``self`` (or on
        new rows when ``self`` is empty).
        """
        dates = [fields.Date.to_date(value) for value in dates if value]
        seen = set()
        for value in dates:
            if value in seen:
                raise ValidationError(
                    self.env._(
                        "Two base rates cannot both be valid from %(date)s.",
                        date=format_date(self.env, value),
                    )
                )
            seen.add(value)
        duplicate = (
            self.search(
                [("date_from", "in", list(seen)), ("id", "not in", self.ids)],
                limit=1,
            )
            if seen
            else self.browse()
        )
        if duplicate:
            raise ValidationError(
                self.env._(
                    "There is already a base rate valid from %(date)s "
                    "(%(rate)s %%). Correct that row instead of adding another one.",
                    date=format_date(self.env, duplicate.date_from),
                    rate=f"{duplicate.rate:.2f}",
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self.browse()._check_duplicate_dates(
            [vals.get("date_from") for vals in vals_list]
        )
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("date_from"):
            if len(self) > 1:
                raise ValidationError(
                    self.env._("Two base rates cannot both be valid from one date.")
                )
            self._check_duplicate_dates([vals["date_from"]])
        return super().write(vals)

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    @api.model
    def _get_rate_table(self):
        """``[(date_from, rate), ...]`` sorted by date, read once per call."""
        # sudo: the table is public reference data that every user who computes
        # interest must read, whatever his access rights on the configuration.
        rows = self.sudo().search_fetch([], ["date_from", "rate"], order="date_from")
        return [(row.date_from, row.rate) for row in rows]

    @api.model
    def _get_rate_at(self, table, day, move=None):
        """Base rate valid on ``day`` from ``table`` (see ``_get_rate_table``)."""
        position = bisect.bisect_right([row[0] for row in table], day)
        if position:
            return table[position - 1][1]
        if not table:
            raise UserError(
                self.env._(
                    "No statutory base rate is defined. A dunning manager must "
                    "enter the base rates under Accounting > Configuration > "
                    "Dunning > Base Rates before interest can be computed."
                )
            )
        raise UserError(
            self.env._(
                "No statutory base rate is defined for %(date)s (interest on "
                "%(invoice)s): the earliest base rate in the table is valid from "
                "%(first)s. A dunning manager can add the missing rate under "
                "Accounting > Configuration > Dunning > Base Rates.",
                date=format_date(self.env, day),
                invoice=move.name if move else "-",
                first=format_date(self.env, table[0][0]),
            )
        )

    @api.model
    def _get_period_boundaries(self, table, date_from, date_to):
        """Days in ``]date_from, date_to]`` on which a new rate may apply: every
        1 January and 1 July, and every valid-from date of the table."""
        boundaries = set()
        for year in range(date_from.year, date_to.year + 1):
            for month in (1, 7):
                boundaries.add(date(year, month, 1))
        boundaries.update(row[0] for row in table)
        return sorted(day for day in boundaries if date_from < day <= date_to)

    @api.model
    def _get_half_year_start(self, day):
        return date(day.year, 1 if day.month < 7 else 7, 1)

    # ------------------------------------------------------------------
    # Scheduled reminder
    # ------------------------------------------------------------------
    @api.model
    def _cron_check_current_rate(self):
        """Remind dunning managers when the base rate of the current half-year
        has not been entered. Idempotent: one open activity per manager and
        half-year; the activities disappear once the row exists."""
        activity_type = self.env.ref(
            "account_relationship_dunning.mail_activity_type_base_rate",
            raise_if_not_found=False,
        )
        start = self._get_half_year_start(fields.Date.context_today(self))
        reminders = self.env["mail.activity"]
        if activity_type:
            reminders = reminders.search(
                [
                    ("res_model", "=", self._name),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
        if self.search_count([("date_from", "=", start)], limit=1):
            reminders.filtered(lambda act: act.date_deadline <= start).unlink()
            self.env["ir.cron"]._notify_progress(done=1, remaining=0)
            return
        anchor = self.search([], order="date_from desc", limit=1)
        if not anchor or not activity_type:
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return
        already = reminders.filtered(lambda act: act.date_deadline == start).user_id
        managers = self.env.ref(
            "account_relationship_dunning.group_dunning_manager"
        ).users.filtered(lambda user: user.active and not user.share)
        for user in managers - already:
            anchor.activity_schedule(
                activity_type_id=activity_type.id,
                date_deadline=start,
                user_id=user.id,
                summary=self.env._(
                    "Enter the base rate valid from %(date)s",
                    date=format_date(self.env, start),
                ),
                note=self.env._(
                    "The Bundesbank publishes the base rate for each half-year. "
                    "Until it is entered, interest after %(last)s uses the rate "
                    "of %(last)s.",
                    last=format_date(self.env, anchor.date_from),
                ),
            )
        self.env["ir.cron"]._notify_progress(done=1, remaining=0)
