import math
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

# Columns written by the set-based scoring, in the order of the VALUES rows.
SCORE_COLUMNS = (
    "customer_since",
    "revenue_12m",
    "invoice_count",
    "on_time_ratio",
    "avg_days_late",
    "max_days_late",
    "broken_plan_count",
    "open_dispute_count",
    "overdue_amount",
    "score_tenure",
    "score_revenue",
    "score_punctuality",
    "score_avg_late",
    "score_max_late",
    "score_plans",
    "score_disputes",
    "score",
    "computed_segment_id",
    "segment_id",
    "completed_plan_count",
)
SCORE_BASE = 50.0


class AccountDunningProfile(models.Model):
    """What the company knows about how a customer pays, per company."""

    _name = "account.dunning.profile"
    _description = "Customer Relationship Profile"
    _inherit = ["mail.thread"]
    _order = "score desc, id"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        ondelete="cascade",
        index=True,
        domain="[('is_company', '=', True)]",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(related="partner_id.user_id", string="Salesperson")
    customer_since = fields.Date(readonly=True)
    revenue_12m = fields.Monetary(
        string="Revenue (12 months)", readonly=True, currency_field="currency_id"
    )
    invoice_count = fields.Integer(string="Invoices (24 months)", readonly=True)
    on_time_ratio = fields.Float(
        string="Paid on Time (%)",
        readonly=True,
        help="Share of the amount due in the last 24 months that was paid by its "
        "due date (amount-weighted).",
    )
    avg_days_late = fields.Float(
        string="Average Days Late",
        readonly=True,
        help="Amount-weighted over payments and open overdue amounts (24 months).",
    )
    max_days_late = fields.Integer(string="Maximum Days Late", readonly=True)
    broken_plan_count = fields.Integer(string="Broken Payment Plans", readonly=True)
    completed_plan_count = fields.Integer(
        string="Payment Plans Completed on Time", readonly=True
    )
    open_dispute_count = fields.Integer(string="Open Disputes", readonly=True)
    overdue_amount = fields.Monetary(readonly=True, currency_field="currency_id")
    score = fields.Float(readonly=True, aggregator="avg", tracking=True)
    score_tenure = fields.Float(string="Tenure Points", readonly=True)
    score_revenue = fields.Float(string="Revenue Points", readonly=True)
    score_punctuality = fields.Float(string="Punctuality Points", readonly=True)
    score_avg_late = fields.Float(string="Average Lateness Points", readonly=True)
    score_max_late = fields.Float(string="Maximum Lateness Points", readonly=True)
    score_plans = fields.Float(string="Payment Plan Points", readonly=True)
    score_disputes = fields.Float(string="Dispute Points", readonly=True)
    score_breakdown = fields.Html(compute="_compute_score_breakdown")
    last_scored = fields.Datetime(readonly=True)
    computed_segment_id = fields.Many2one(
        "account.dunning.segment",
        string="Segment by Rules",
        readonly=True,
        ondelete="set null",
    )
    segment_override_id = fields.Many2one(
        "account.dunning.segment",
        readonly=True,
        ondelete="set null",
        tracking=True,
    )
    override_reason = fields.Char(readonly=True, tracking=True)
    override_until = fields.Date(readonly=True, tracking=True)
    override_user_id = fields.Many2one("res.users", readonly=True)
    segment_id = fields.Many2one(
        "account.dunning.segment",
        readonly=True,
        index=True,
        ondelete="set null",
        tracking=True,
        help="The segment in force: the manager's override while it lasts, "
        "otherwise the segment found by the rules.",
    )
    last_dunning_date = fields.Date(
        readonly=True,
        help="Date of the customer's last dunning step in this company.",
    )
    block_until = fields.Date(
        string="Dunning Blocked Until",
        tracking=True,
        help="No dunning step for this customer up to and including this date.",
    )
    block_reason = fields.Char(tracking=True)
    letter_ids = fields.One2many(
        "account.dunning.letter",
        compute="_compute_letter_ids",
        string="Dunning History",
    )

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique(partner_id, company_id)",
            "A customer has one relationship profile per company.",
        ),
    ]

    def _compute_score_breakdown(self):
        labels = self._score_factor_labels()
        for profile in self:
            rows = [(self.env._("Base"), SCORE_BASE)] + [
                (label, profile[field]) for field, label in labels
            ]
            profile.score_breakdown = self.env["ir.qweb"]._render(
                "account_relationship_dunning.profile_score_breakdown",
                {
                    "rows": [(label, f"{points:+.1f}") for label, points in rows],
                    "score": f"{profile.score:.1f}",
                },
            )

    def _compute_letter_ids(self):
        letters = self.env["account.dunning.letter"].search(
            [
                ("partner_id", "in", self.partner_id.ids),
                ("company_id", "in", self.company_id.ids),
            ]
        )
        for profile in self:
            profile.letter_ids = letters.filtered(
                lambda letter, p=profile: (
                    letter.partner_id == p.partner_id
                    and letter.company_id == p.company_id
                )
            )

    def _score_factor_labels(self):
        _ = self.env._
        return [
            ("score_tenure", _("Tenure")),
            ("score_revenue", _("Revenue (12 months)")),
            ("score_punctuality", _("Paid on time")),
            ("score_avg_late", _("Average days late")),
            ("score_max_late", _("Maximum days late")),
            ("score_plans", _("Payment plans (broken / completed on time)")),
            ("score_disputes", _("Open disputes")),
        ]

    @api.constrains("segment_override_id", "override_reason", "override_until")
    def _check_override(self):
        for profile in self:
            if (
                profile.segment_override_id
                and not (profile.override_reason or "").strip()
            ):
                raise ValidationError(
                    self.env._(
                        "A segment override for %(partner)s needs a reason.",
                        partner=profile.partner_id.display_name,
                    )
                )

    @api.constrains("block_until", "block_reason")
    def _check_block(self):
        today = fields.Date.context_today(self)
        for profile in self:
            if profile.block_until and profile.block_until < today:
                raise ValidationError(
                    self.env._(
                        "The dunning block for %(partner)s ends on %(date)s, which "
                        "is in the past. Choose today or a later date.",
                        partner=profile.partner_id.display_name,
                        date=profile.block_until,
                    )
                )
            if profile.block_until and not (profile.block_reason or "").strip():
                raise ValidationError(
                    self.env._(
                        "Please give a reason for blocking dunning for %(partner)s.",
                        partner=profile.partner_id.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_recompute_score(self):
        for company in self.company_id:
            self.filtered(lambda p, c=company: p.company_id == c)._recompute_scores(
                company, self.partner_id
            )
        return True

    def action_open_override_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Override Segment"),
            "res_model": "account.dunning.segment.override",
            "view_mode": "form",
            "target": "new",
            "context": {"default_profile_id": self.id},
        }

    def action_clear_override(self):
        self._clear_override(
            self.env._("Override removed by %(user)s.", user=self.env.user.name)
        )
        return True

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _set_override(self, segment, reason, until=False):
        self.ensure_one()
        until = fields.Date.to_date(until) if until else False
        if not self.env.user.has_group(
            "account_relationship_dunning.group_dunning_manager"
        ):
            raise UserError(
                self.env._("Only a dunning manager can override a customer's segment.")
            )
        if not (reason or "").strip():
            raise ValidationError(self.env._("A segment override needs a reason."))
        if until and until < fields.Date.context_today(self):
            raise ValidationError(
                self.env._("The end date of an override cannot be in the past.")
            )
        self.write(
            {
                "segment_override_id": segment.id,
                "override_reason": reason.strip(),
                "override_until": until,
                "override_user_id": self.env.user.id,
                "segment_id": segment.id,
            }
        )
        body = self.env._(
            "Dunning segment set to %(segment)s by %(user)s: %(reason)s",
            segment=segment.name,
            user=self.env.user.name,
            reason=reason.strip(),
        )
        if until:
            body += " " + self.env._("(until %(date)s)", date=until)
        self.partner_id.message_post(body=body)

    def _clear_override(self, message):
        for profile in self.filtered("segment_override_id"):
            profile.write(
                {
                    "segment_override_id": False,
                    "override_reason": False,
                    "override_until": False,
                    "override_user_id": False,
                    "segment_id": profile.computed_segment_id.id,
                }
            )
            profile.partner_id.message_post(body=message)

    @api.model
    def _expire_overrides(self, company=None):
        domain = [
            ("segment_override_id", "!=", False),
            ("override_until", "!=", False),
            ("override_until", "<", fields.Date.context_today(self)),
        ]
        if company:
            domain.append(("company_id", "=", company.id))
        self.search(domain)._clear_override(
            self.env._("The segment override has ended; the rules apply again.")
        )

    @api.model
    def _get_profiles(self, company, partners):
        """Profiles of ``partners`` in ``company``, created (and scored) when
        missing."""
        # the customer only: the callers read the other fields they need
        profiles = self.search_fetch(
            [("company_id", "=", company.id), ("partner_id", "in", partners.ids)],
            ["partner_id"],
        )
        missing = partners - profiles.partner_id
        if missing:
            self._recompute_scores(company, missing)
            profiles = self.search(
                [("company_id", "=", company.id), ("partner_id", "in", partners.ids)]
            )
        return profiles

    @api.model
    def _cron_recompute_scores(self, batch_size=5000):
        """Weekly: score every customer of every company (set-based)."""
        companies = self.env["res.company"].search([])
        done = 0
        for company in companies:
            self._expire_overrides(company)
            self._recompute_scores(company)
            done += 1
            self.env["ir.cron"]._notify_progress(
                done=done, remaining=len(companies) - done
            )

    # ------------------------------------------------------------------
    # Set-based scoring
    # ------------------------------------------------------------------
    @api.model
    def _recompute_scores(self, company, partners=None):
        """Recompute profiles of ``company`` with a few grouped queries.

        Every commercial partner with a posted customer invoice gets a profile;
        ``partners`` restricts the computation to those partners (and creates
        their profiles even without invoices).
        """
        today = fields.Date.context_today(self)
        metrics = self._compute_profile_values(company, partners, today)
        if not metrics:
            return self.browse()
        existing = {
            partner_id: (profile_id, override_id, until)
            for profile_id, partner_id, override_id, until in self.env.execute_query(
                SQL(
                    """
                    SELECT id, partner_id, segment_override_id, override_until
                      FROM account_dunning_profile
                     WHERE company_id = %s AND partner_id = ANY(%s)
                    """,
                    company.id,
                    list(metrics),
                )
            )
        }
        missing = [pid for pid in metrics if pid not in existing]
        if missing:
            # Created by the scoring, not by someone: no "created" message and
            # no follower per customer (posting 5,000 of them was more than
            # half of a first scoring of 5,000 customers).
            created = self.with_context(
                mail_create_nolog=True, mail_create_nosubscribe=True
            ).create([{"partner_id": pid, "company_id": company.id} for pid in missing])
            for profile in created:
                existing[profile.partner_id.id] = (profile.id, None, None)
        score_columns = self._get_score_columns()
        rows = []
        for partner_id, values in metrics.items():
            profile_id, override_id, until = existing[partner_id]
            override_active = override_id and (not until or until >= today)
            values["segment_id"] = (
                override_id if override_active else values["computed_segment_id"]
            )
            rows.append(
                SQL(
                    "(%s, " + ", ".join(["%s"] * len(score_columns)) + ")",
                    profile_id,
                    *(values[column] for column in score_columns),
                )
            )
        self.env.flush_all()
        # Cast to the column type: a VALUES column holding only NULLs is text.
        assignments = SQL(", ").join(
            SQL(
                "%s = v.%s::%s",
                SQL.identifier(column),
                SQL.identifier(column),
                SQL(self._fields[column].column_type[1]),
            )
            for column in score_columns
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_dunning_profile p
                   SET %(assignments)s, last_scored = NOW() AT TIME ZONE 'UTC',
                       write_date = NOW() AT TIME ZONE 'UTC', write_uid = %(uid)s
                  FROM (VALUES %(rows)s) AS v(id, %(columns)s)
                 WHERE p.id = v.id
                """,
                assignments=assignments,
                uid=self.env.uid,
                rows=SQL(", ").join(rows),
                columns=SQL(", ").join(SQL.identifier(c) for c in score_columns),
            )
        )
        self.invalidate_model()
        return self.browse([existing[pid][0] for pid in metrics])

    @api.model
    def _get_score_columns(self):
        """Columns written by the set-based scoring (extension point)."""
        return SCORE_COLUMNS

    @api.model
    def _compute_profile_values(self, company, partners, today):
        """Metrics, score and rule segment per commercial partner, unsaved.

        Returns ``{partner_id: values}``; used by the scoring and by dunning
        simulations, which must not write anything.
        """
        metrics = self._query_metrics(company, partners, today)
        if partners is not None:
            for partner_id in partners.commercial_partner_id.ids:
                metrics.setdefault(partner_id, self._empty_metrics())
        if not metrics:
            return metrics
        self._add_extra_metrics(company, metrics)
        segments = self.env["account.dunning.segment"].search(
            [("company_id", "in", [False, company.id])]
        )
        for values in metrics.values():
            self._score(values, today)
            segment = next((s for s in segments if s._matches(values)), None)
            values["computed_segment_id"] = segment.id if segment else None
        return metrics

    @api.model
    def _empty_metrics(self):
        return {
            "customer_since": None,
            "revenue_12m": 0.0,
            "invoice_count": 0,
            "on_time_ratio": 0.0,
            "avg_days_late": 0.0,
            "max_days_late": 0,
            "broken_plan_count": 0,
            "completed_plan_count": 0,
            "open_dispute_count": 0,
            "overdue_amount": 0.0,
            "has_history": False,
        }

    @api.model
    def _query_metrics(self, company, partners, today):
        """Invoice and punctuality figures per commercial partner (2 queries)."""
        partner_filter = SQL()
        if partners is not None:
            partner_filter = SQL(
                "AND m.commercial_partner_id = ANY(%s)",
                partners.commercial_partner_id.ids,
            )
        self.env.flush_all()
        metrics = {}
        invoice_rows = self.env.execute_query(
            SQL(
                """
                SELECT m.commercial_partner_id,
                       MIN(m.invoice_date) FILTER (WHERE m.move_type = 'out_invoice'),
                       COALESCE(SUM(m.amount_untaxed_signed)
                                FILTER (WHERE m.invoice_date > %(d12)s), 0),
                       COUNT(*) FILTER (WHERE m.move_type = 'out_invoice'
                                          AND m.invoice_date > %(d24)s)
                  FROM account_move m
                 WHERE m.company_id = %(company)s
                   AND m.state = 'posted'
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   %(partner_filter)s
              GROUP BY m.commercial_partner_id
                """,
                company=company.id,
                d12=today - timedelta(days=365),
                d24=today - timedelta(days=730),
                partner_filter=partner_filter,
            )
        )
        for partner_id, since, revenue, count in invoice_rows:
            values = self._empty_metrics()
            values.update(
                customer_since=since, revenue_12m=float(revenue), invoice_count=count
            )
            metrics[partner_id] = values
        punctuality_rows = self.env.execute_query(
            SQL(
                """
                SELECT m.commercial_partner_id,
                       SUM(x.amount),
                       COALESCE(SUM(x.amount) FILTER (WHERE x.days_late <= 0), 0),
                       SUM(x.amount * GREATEST(x.days_late, 0)),
                       MAX(GREATEST(x.days_late, 0)),
                       COALESCE(SUM(x.amount) FILTER (WHERE x.is_open), 0)
                  FROM (
                        SELECT l.move_id, p.amount,
                               p.max_date - l.date_maturity AS days_late,
                               FALSE AS is_open
                          FROM account_partial_reconcile p
                          JOIN account_move_line l ON l.id = p.debit_move_id
                          JOIN account_account a ON a.id = l.account_id
                         WHERE l.company_id = %(company)s
                           AND a.account_type = 'asset_receivable'
                           AND l.date_maturity > %(d24)s
                           AND l.date_maturity <= %(today)s
                     UNION ALL
                        SELECT l.move_id, l.amount_residual,
                               %(today)s - l.date_maturity, TRUE
                          FROM account_move_line l
                          JOIN account_account a ON a.id = l.account_id
                         WHERE l.company_id = %(company)s
                           AND a.account_type = 'asset_receivable'
                           AND l.parent_state = 'posted'
                           AND NOT l.reconciled
                           AND l.amount_residual > 0
                           AND l.date_maturity < %(today)s
                       ) x
                  JOIN account_move m ON m.id = x.move_id
                 WHERE m.move_type = 'out_invoice' AND m.state = 'posted'
                   %(partner_filter)s
              GROUP BY m.commercial_partner_id
                """,
                company=company.id,
                d24=today - timedelta(days=730),
                today=today,
                partner_filter=partner_filter,
            )
        )
        for partner_id, total, on_time, weighted, max_late, overdue in punctuality_rows:
            values = metrics.setdefault(partner_id, self._empty_metrics())
            total = float(total or 0.0)
            if total > 0:
                values.update(
                    on_time_ratio=round(100.0 * float(on_time) / total, 2),
                    avg_days_late=round(float(weighted or 0.0) / total, 2),
                    max_days_late=int(max_late or 0),
                    has_history=True,
                )
            values["overdue_amount"] = company.currency_id.round(float(overdue))
        return metrics

    @api.model
    def _add_extra_metrics(self, company, metrics):
        """Let payment plans and disputes add their counts.

        Every model that declares ``_dunning_profile_metrics = True`` gets
        ``_add_dunning_metrics(company, metrics)`` with ``metrics`` as
        ``{partner_id: values}``; it sets keys such as ``broken_plan_count`` or
        ``open_dispute_count`` with set-based queries.
        """
        for name, cls in self.env.registry.items():
            if getattr(cls, "_dunning_profile_metrics", False):
                self.env[name]._add_dunning_metrics(company, metrics)
        return metrics

    @api.model
    def _score(self, values, today):
        """Fill the score and its breakdown into ``values`` (pure Python)."""
        since = values["customer_since"]
        tenure_days = (today - since).days if since else 0
        values["tenure_days"] = tenure_days
        values["revenue"] = values["revenue_12m"]
        values["broken_plans"] = values["broken_plan_count"]
        years = tenure_days / 365.0
        values["score_tenure"] = round(min(years, 5.0) * 2.0, 1)
        revenue = values["revenue_12m"]
        values["score_revenue"] = (
            round(min(15.0, 5.0 * math.log10(revenue / 1000.0)), 1)
            if revenue > 1000.0
            else 0.0
        )
        if values.get("has_history"):
            values["score_punctuality"] = round(
                (values["on_time_ratio"] / 100.0 - 0.5) * 40.0, 1
            )
        else:
            values["score_punctuality"] = 0.0
        values["score_avg_late"] = -round(min(values["avg_days_late"] / 3.0, 15.0), 1)
        values["score_max_late"] = -round(min(values["max_days_late"] / 15.0, 10.0), 1)
        values["score_plans"] = min(
            5.0 * values.get("completed_plan_count", 0), 10.0
        ) - min(15.0 * values["broken_plan_count"], 30.0)
        values["score_disputes"] = -min(5.0 * values["open_dispute_count"], 10.0)
        total = SCORE_BASE + sum(
            values[field]
            for field in (
                "score_tenure",
                "score_revenue",
                "score_punctuality",
                "score_avg_late",
                "score_max_late",
                "score_plans",
                "score_disputes",
            )
        )
        values["score"] = round(max(0.0, min(100.0, total)), 1)
        return values
