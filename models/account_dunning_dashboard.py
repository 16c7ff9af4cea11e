from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .res_partner_dunning_overview import AGE_BUCKETS, age_bucket_labels

OPEN_INVOICE_DOMAIN = [
    ("move_type", "=", "out_invoice"),
    ("state", "=", "posted"),
    ("payment_state", "in", ("not_paid", "partial")),
]


class AccountDunningDashboard(models.AbstractModel):
    """Figures of the credit controller's overview, each with the domain of
    the records behind it. Set-based: a few grouped queries per call."""

    _name = "account.dunning.dashboard"
    _description = "Dunning Overview"

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    @api.model
    def _bucket_domain(self, key, today):
        for bucket, first, last in AGE_BUCKETS:
            if bucket != key:
                continue
            domain = []
            if first is None:
                # not due: due today or later
                domain.append(("invoice_date_due", ">=", fields.Date.to_string(today)))
            else:
                domain.append(
                    (
                        "invoice_date_due",
                        "<=",
                        fields.Date.to_string(today - timedelta(days=first)),
                    )
                )
                if last is not None:
                    domain.append(
                        (
                            "invoice_date_due",
                            ">=",
                            fields.Date.to_string(today - timedelta(days=last)),
                        )
                    )
            return domain
        raise KeyError(key)

    @api.model
    def _bucket_case_sql(self, today):
        """SQL CASE giving the age bucket of an invoice ``m``."""
        cases = []
        for key, first, last in AGE_BUCKETS:
            if first is None:
                cases.append(SQL("WHEN m.invoice_date_due >= %s THEN %s", today, key))
            elif last is None:
                cases.append(
                    SQL(
                        "WHEN m.invoice_date_due <= %s THEN %s",
                        today - timedelta(days=first),
                        key,
                    )
                )
            else:
                cases.append(
                    SQL(
                        "WHEN m.invoice_date_due BETWEEN %s AND %s THEN %s",
                        today - timedelta(days=last),
                        today - timedelta(days=first),
                        key,
                    )
                )
        return SQL("CASE %s END", SQL(" ").join(cases))

    @api.model
    def _action(self, name, model, domain, views=("list", "form")):
        view_ids = {}
        if model == "account.move":
            # The customer invoice list (customer, amounts, due date).
            view_ids["list"] = self.env.ref("account.view_out_invoice_tree").id
        return {
            "name": name,
            "res_model": model,
            "domain": domain,
            "views": [[view_ids.get(view, False), view] for view in views],
            "context": {"default_move_type": "out_invoice"}
            if model == "account.move"
            else {},
        }

    # ------------------------------------------------------------------
    # Figures
    # ------------------------------------------------------------------
    @api.model
    def get_dashboard_data(self):
        company = self.env.company
        today = fields.Date.context_today(self)
        currency = company.currency_id
        return {
            "company": company.name,
            "currency": {
                "symbol": currency.symbol,
                "position": currency.position,
                "digits": currency.decimal_places,
            },
            "today": fields.Date.to_string(today),
            "buckets": [
                {"key": key, "label": label}
                for key, label in age_bucket_labels(self.env).items()
            ],
            "aging": self._get_aging(company, today),
            "amounts": self._get_amounts(company, today),
            "monthly": self._get_monthly_kpis(company, today),
            "weekly": self._get_weekly_activity(company, today),
            "work": self._get_todays_work(company, today),
        }

    @api.model
    def _get_aging(self, company, today):
        """Open invoices by age bucket × segment and × level (company
        currency), one query."""
        self.env.flush_all()
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT %(bucket)s AS bucket,
                       p.segment_id,
                       s.level_id,
                       SUM(m.amount_residual_signed) AS amount,
                       COUNT(*) AS count
                  FROM account_move m
             LEFT JOIN account_dunning_move_state s ON s.move_id = m.id
             LEFT JOIN account_dunning_profile p
                    ON p.partner_id = m.commercial_partner_id
                   AND p.company_id = m.company_id
                 WHERE m.company_id = %(company)s
                   AND m.move_type = 'out_invoice'
                   AND m.state = 'posted'
                   AND m.payment_state IN ('not_paid', 'partial')
              GROUP BY 1, 2, 3
                """,
                bucket=self._bucket_case_sql(today),
                company=company.id,
            )
        )
        segments = self.env["account.dunning.segment"].browse(
            {row["segment_id"] for row in rows if row["segment_id"]}
        )
        levels = self.env["account.dunning.level"].browse(
            {row["level_id"] for row in rows if row["level_id"]}
        )
        names = {
            "segment_id": {s.id: s.name for s in segments},
            "level_id": {lv.id: lv.name for lv in levels},
        }
        base = [("company_id", "=", company.id), *OPEN_INVOICE_DOMAIN]
        result = {}
        for key, empty_label in (
            ("segment_id", self.env._("No segment")),
            ("level_id", self.env._("Not dunned")),
        ):
            table = {}
            for row in rows:
                ident = row[key] or False
                entry = table.setdefault(
                    ident,
                    {
                        "id": ident,
                        "name": names[key].get(ident, empty_label),
                        "cells": {},
                        "total": 0.0,
                    },
                )
                cell = entry["cells"].setdefault(
                    row["bucket"], {"amount": 0.0, "count": 0}
                )
                cell["amount"] += float(row["amount"] or 0.0)
                cell["count"] += row["count"]
                entry["total"] += float(row["amount"] or 0.0)
            for entry in table.values():
                entry_domain = self._row_domain(key, entry["id"], company)
                for bucket, cell in entry["cells"].items():
                    cell["amount"] = company.currency_id.round(cell["amount"])
                    cell["action"] = self._action(
                        self.env._("Open Invoices"),
                        "account.move",
                        base + entry_domain + self._bucket_domain(bucket, today),
                    )
                entry["total"] = company.currency_id.round(entry["total"])
                entry["action"] = self._action(
                    self.env._("Open Invoices"), "account.move", base + entry_domain
                )
            result[key] = sorted(
                table.values(), key=lambda e: (e["id"] is False, e["name"])
            )
        totals = {}
        for row in rows:
            totals[row["bucket"]] = totals.get(row["bucket"], 0.0) + float(
                row["amount"] or 0.0
            )
        result["totals"] = {
            bucket: {
                "amount": company.currency_id.round(amount),
                "action": self._action(
                    self.env._("Open Invoices"),
                    "account.move",
                    base + self._bucket_domain(bucket, today),
                ),
            }
            for bucket, amount in totals.items()
        }
        return result

    @api.model
    def _row_domain(self, key, ident, company):
        if key == "level_id":
            return [("dunning_level_id", "=", ident)]
        if ident:
            return [
                (
                    "commercial_partner_id.dunning_profile_ids",
                    "any",
                    [("company_id", "=", company.id), ("segment_id", "=", ident)],
                )
            ]
        return [
            (
                "commercial_partner_id.dunning_profile_ids",
                "not any",
                [("company_id", "=", company.id), ("segment_id", "!=", False)],
            )
        ]

    @api.model
    def _sum_in_company_currency(
        self, model, domain, field, company, today, count=None
    ):
        """``(amount, count)`` of the ``model`` records matching ``domain``:
        the sum of ``field`` per currency (one grouped query), each converted
        to the company currency at ``today``'s rate; ``count`` names a field
        whose distinct values are counted instead of the records."""
        aggregate = f"{count}:array_agg" if count else "__count"
        total, counted, values = 0.0, 0, set()
        for currency, amount, number in self.env[model]._read_group(
            domain, ["currency_id"], [f"{field}:sum", aggregate]
        ):
            if count:
                values.update(number)
            else:
                counted += number
            if currency and currency != company.currency_id:
                amount = currency._convert(
                    amount or 0.0, company.currency_id, company, today
                )
            total += amount or 0.0
        return total, len(values - {None}) if count else counted

    @api.model
    def _get_amounts(self, company, today):
        """Amounts in dispute, in payment plans, handed over and blocked."""
        rounding = company.currency_id.round
        # Disputed amounts, plans and handovers are kept in the invoices'
        # currencies: summed per currency, converted to the company currency.
        disputes = self._sum_in_company_currency(
            "account.dunning.dispute.line",
            [("company_id", "=", company.id), ("dispute_id.is_open", "=", True)],
            "amount_disputed",
            company,
            today,
            count="dispute_id",
        )
        plans = self._sum_in_company_currency(
            "account.dunning.payment.plan",
            [("company_id", "=", company.id), ("state", "=", "active")],
            "amount_residual",
            company,
            today,
        )
        handovers = self._sum_in_company_currency(
            "account.dunning.handover",
            [("company_id", "=", company.id), ("state", "=", "handed_over")],
            "amount_total",
            company,
            today,
        )
        blocked_domain = self._blocked_domain(company, today)
        blocked = self.env["account.move"]._read_group(
            blocked_domain, [], ["amount_residual_signed:sum", "__count"]
        )[0]
        promises = self.env["account.dunning.promise"]._read_group(
            [("company_id", "=", company.id), ("state", "=", "open")],
            [],
            ["amount:sum", "__count"],
        )[0]
        _ = self.env._
        return [
            {
                "key": "dispute",
                "label": _("In dispute"),
                "amount": rounding(disputes[0] or 0.0),
                "count": disputes[1],
                "action": self._action(
                    _("Open Disputes"),
                    "account.dunning.dispute",
                    [("company_id", "=", company.id), ("is_open", "=", True)],
                ),
            },
            {
                "key": "plan",
                "label": _("In payment plans"),
                "amount": rounding(plans[0] or 0.0),
                "count": plans[1],
                "action": self._action(
                    _("Active Payment Plans"),
                    "account.dunning.payment.plan",
                    [("company_id", "=", company.id), ("state", "=", "active")],
                ),
            },
            {
                "key": "handover",
                "label": _("Handed over"),
                "amount": rounding(handovers[0] or 0.0),
                "count": handovers[1],
                "action": self._action(
                    _("Legal Handovers"),
                    "account.dunning.handover",
                    [("company_id", "=", company.id), ("state", "=", "handed_over")],
                ),
            },
            {
                "key": "blocked",
                "label": _("Blocked"),
                "amount": rounding(blocked[0] or 0.0),
                "count": blocked[1],
                "action": self._action(
                    _("Blocked Invoices"), "account.move", blocked_domain
                ),
            },
            {
                "key": "promise",
                "label": _("Promised"),
                "amount": rounding(promises[0] or 0.0),
                "count": promises[1],
                "action": self._action(
                    _("Open Promises to Pay"),
                    "account.dunning.promise",
                    [("company_id", "=", company.id), ("state", "=", "open")],
                ),
            },
        ]

    @api.model
    def _blocked_domain(self, company, today):
        """Open invoices excluded or blocked today, on the invoice or for
        the whole customer."""
        today_str = fields.Date.to_string(today)
        return [
            ("company_id", "=", company.id),
            *OPEN_INVOICE_DOMAIN,
            "|",
            "|",
            ("dunning_excluded", "=", True),
            ("dunning_blocked_until", ">=", today_str),
            (
                "commercial_partner_id.dunning_profile_ids",
                "any",
                [("company_id", "=", company.id), ("block_until", ">=", today_str)],
            ),
        ]

    @api.model
    def _get_monthly_kpis(self, company, today):
        """DSO and CEI for each of the last 12 months (the current one
        included), from the receivable lines (one query).

        - receivables at a date: balance of the posted receivable lines up
          to that date;
        - credit sales of a month: receivable debits of customer invoices;
        - DSO = receivables at month end / credit sales of the month × days;
        - CEI = (opening + sales - closing) / (opening + sales - current
          closing) × 100, where current receivables are those not yet due at
          month end.
        """
        first = (today.replace(day=1)) - relativedelta(months=11)
        months = [first + relativedelta(months=i) for i in range(12)]
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                WITH months AS (
                    SELECT d::date AS start,
                           (d + interval '1 month' - interval '1 day')::date AS stop
                      FROM generate_series(%(first)s::date, %(last)s::date,
                                           interval '1 month') d
                ), rec AS (
                    SELECT l.id, l.date, l.date_maturity, l.balance, m.move_type
                      FROM account_move_line l
                      JOIN account_move m ON m.id = l.move_id
                      JOIN account_account a ON a.id = l.account_id
                     WHERE l.company_id = %(company)s
                       AND l.parent_state = 'posted'
                       AND a.account_type = 'asset_receivable'
                )
                SELECT months.start,
                       (SELECT COALESCE(SUM(balance), 0) FROM rec
                         WHERE rec.date < months.start) AS opening,
                       (SELECT COALESCE(SUM(balance), 0) FROM rec
                         WHERE rec.date <= months.stop) AS closing,
                       (SELECT COALESCE(SUM(balance), 0) FROM rec
                         WHERE rec.date BETWEEN months.start AND months.stop
                           AND rec.move_type = 'out_invoice'
                           AND rec.balance > 0) AS sales,
                       (SELECT COALESCE(SUM(rec.balance - COALESCE((
                                   SELECT SUM(p.amount)
                                     FROM account_partial_reconcile p
                                    WHERE p.debit_move_id = rec.id
                                      AND p.max_date <= months.stop), 0)), 0)
                          FROM rec
                         WHERE rec.date <= months.stop
                           AND rec.balance > 0
                           AND rec.date_maturity > months.stop) AS current
                  FROM months
              ORDER BY months.start
                """,
                first=months[0],
                last=months[-1],
                company=company.id,
            )
        )
        result = []
        for start, opening, closing, sales, current in rows:
            stop = start + relativedelta(months=1, days=-1)
            days = (min(stop, today) - start).days + 1
            opening, closing = float(opening), float(closing)
            sales, current = float(sales), float(current)
            dso = round(closing / sales * days, 1) if sales > 0 else None
            collectible = opening + sales - current
            cei = (
                round((opening + sales - closing) / collectible * 100.0, 1)
                if collectible > 0
                else None
            )
            result.append(
                {
                    "month": fields.Date.to_string(start),
                    "label": start.strftime("%m/%Y"),
                    "dso": dso,
                    "cei": cei,
                    "sales": round(sales, 2),
                    "closing": round(closing, 2),
                    "action": self._action(
                        self.env._(
                            "Invoices of %(month)s", month=start.strftime("%m/%Y")
                        ),
                        "account.move",
                        [
                            ("company_id", "=", company.id),
                            ("move_type", "=", "out_invoice"),
                            ("state", "=", "posted"),
                            ("date", ">=", fields.Date.to_string(start)),
                            ("date", "<=", fields.Date.to_string(stop)),
                        ],
                    ),
                }
            )
        return result

    @api.model
    def _get_weekly_activity(self, company, today):
        """Letters, calls and promises per week, last 12 weeks."""
        monday = today - timedelta(days=today.weekday())
        start = monday - timedelta(weeks=11)
        weeks = [start + timedelta(weeks=i) for i in range(12)]
        base = [
            ("company_id", "=", company.id),
            ("date", ">=", fields.Date.to_string(start)),
            ("state", "!=", "cancel"),
        ]
        letters = self.env["account.dunning.letter"]._read_group(
            base + [("channel", "!=", "phone")], ["date:day"], ["__count"]
        )
        calls = self.env["account.dunning.letter"]._read_group(
            base + [("channel", "=", "phone")], ["date:day"], ["__count"]
        )
        promises = self.env["account.dunning.promise"]._read_group(
            [
                ("company_id", "=", company.id),
                ("date_recorded", ">=", fields.Date.to_string(start)),
                ("state", "!=", "cancel"),
            ],
            ["date_recorded:day"],
            ["__count"],
        )

        def by_week(groups):
            # Weeks from Monday, whatever the user's language starts them with.
            counts = {}
            for day, count in groups:
                day = fields.Date.to_date(day)
                week = day - timedelta(days=day.weekday())
                counts[week] = counts.get(week, 0) + count
            return counts

        counts = {
            "letters": by_week(letters),
            "calls": by_week(calls),
            "promises": by_week(promises),
        }
        result = []
        for week in weeks:
            stop = week + timedelta(days=6)
            period = [
                fields.Date.to_string(week),
                fields.Date.to_string(stop),
            ]
            result.append(
                {
                    "week": period[0],
                    "label": week.strftime("%d.%m."),
                    "letters": counts["letters"].get(week, 0),
                    "calls": counts["calls"].get(week, 0),
                    "promises": counts["promises"].get(week, 0),
                    "actions": {
                        "letters": self._action(
                            self.env._("Letters"),
                            "account.dunning.letter",
                            [
                                ("company_id", "=", company.id),
                                ("state", "!=", "cancel"),
                                ("channel", "!=", "phone"),
                                ("date", ">=", period[0]),
                                ("date", "<=", period[1]),
                            ],
                        ),
                        "calls": self._action(
                            self.env._("Calls"),
                            "account.dunning.letter",
                            [
                                ("company_id", "=", company.id),
                                ("state", "!=", "cancel"),
                                ("channel", "=", "phone"),
                                ("date", ">=", period[0]),
                                ("date", "<=", period[1]),
                            ],
                        ),
                        "promises": self._action(
                            self.env._("Promises to Pay"),
                            "account.dunning.promise",
                            [
                                ("company_id", "=", company.id),
                                ("state", "!=", "cancel"),
                                ("date_recorded", ">=", period[0]),
                                ("date_recorded", "<=", period[1]),
                            ],
                        ),
                    },
                }
            )
        return result

    @api.model
    def _get_todays_work(self, company, today):
        _ = self.env._
        today_str = fields.Date.to_string(today)
        call_type = self.env.ref(
            "account_relationship_dunning.mail_activity_type_dunning_call",
            raise_if_not_found=False,
        )
        items = [
            (
                "to_review",
                _("Letters to review"),
                "account.dunning.letter",
                [("company_id", "=", company.id), ("state", "=", "draft")],
            ),
            (
                "to_approve",
                _("Letters to approve"),
                "account.dunning.letter",
                [("company_id", "=", company.id), ("state", "=", "to_approve")],
            ),
            (
                "ready",
                _("Ready to send"),
                "account.dunning.letter",
                [("company_id", "=", company.id), ("state", "=", "ready")],
            ),
            (
                "calls",
                _("Calls due"),
                "account.dunning.letter",
                [
                    ("company_id", "=", company.id),
                    (
                        "activity_ids",
                        "any",
                        [
                            (
                                "activity_type_id",
                                "=",
                                call_type.id if call_type else False,
                            ),
                            ("date_deadline", "<=", today_str),
                        ],
                    ),
                ],
            ),
            (
                "promises",
                _("Promises due"),
                "account.dunning.promise",
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "open"),
                    ("date_promised", "<=", today_str),
                ],
            ),
            (
                "plans_at_risk",
                _("Plans at risk"),
                "account.dunning.payment.plan",
                [("company_id", "=", company.id), ("at_risk", "=", True)],
            ),
            (
                "limitation",
                _("Claims nearing limitation"),
                "account.move",
                [
                    ("company_id", "=", company.id),
                    *OPEN_INVOICE_DOMAIN,
                    ("dunning_limitation_soon", "=", True),
                ],
            ),
        ]
        result = []
        for key, label, model, domain in items:
            result.append(
                {
                    "key": key,
                    "label": label,
                    "count": self.env[model].search_count(domain),
                    "action": self._action(label, model, domain),
                }
            )
        return result
