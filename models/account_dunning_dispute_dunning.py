"""Dispute: what the dunning run and the relationship scoring ask of it."""

from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL, float_compare

from .account_dunning_dispute import OPEN_STATES, SCORE_WINDOW_DAYS


class AccountDunningDispute(models.Model):
    _inherit = "account.dunning.dispute"

    # ------------------------------------------------------------------
    # Dunning engine: blocks and reduced amounts
    # ------------------------------------------------------------------
    @api.model
    def _get_open_disputed_amounts(self, company, move_ids):
        """Per invoice of ``move_ids`` with an open dispute: the customer, the
        disputed amount (also in company currency), whether it is only a part
        of the open amount, and whether a mediation runs (one query)."""
        if not move_ids:
            return {}
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT l.move_id,
                       m.commercial_partner_id AS partner_id,
                       BOOL_OR(d.state = 'mediation') AS mediation,
                       STRING_AGG(d.name, ', ' ORDER BY d.name) AS names,
                       SUM(l.amount_disputed) AS amount_disputed,
                       SUM(l.amount_disputed) * ABS(m.amount_total_signed)
                           / NULLIF(m.amount_total, 0) AS amount_disputed_company,
                       m.amount_residual,
                       c.rounding
                  FROM account_dunning_dispute_line l
                  JOIN account_dunning_dispute d ON d.id = l.dispute_id
                  JOIN account_move m ON m.id = l.move_id
                  JOIN res_currency c ON c.id = m.currency_id
                 WHERE d.company_id = %(company)s
                   AND d.state IN %(states)s
                   AND l.move_id = ANY(%(move_ids)s)
              GROUP BY l.move_id, m.id, c.rounding
                """,
                company=company.id,
                states=OPEN_STATES,
                move_ids=list(move_ids),
            )
        )
        result = {}
        for row in rows:
            row["partial"] = (
                float_compare(
                    float(row["amount_disputed"]),
                    float(row["amount_residual"]),
                    precision_rounding=float(row["rounding"]),
                )
                < 0
            )
            result[row["move_id"]] = row
        return result

    @api.model
    def _get_partners_dunning_undisputed(self, company, partner_ids):
        """Customers whose dunning policy keeps dunning undisputed parts."""
        Policy = self.env["account.dunning.policy"]
        if not partner_ids or not Policy.search_count(
            [("company_id", "=", company.id), ("dispute_dun_undisputed", "=", True)],
            limit=1,
        ):
            return set()
        policy_map = Policy._get_policy_map(company)
        profiles = self.env["account.dunning.profile"].search(
            [("company_id", "=", company.id), ("partner_id", "in", list(partner_ids))]
        )
        result = set()
        for profile in profiles.filtered("segment_id"):
            policy = Policy._pick_policy(
                policy_map,
                profile.segment_id,
                profile.partner_id._is_dunning_consumer(),
            )
            if policy and policy.dispute_dun_undisputed:
                result.add(profile.partner_id.id)
        return result

    @api.model
    def _split_open_disputes(self, company, move_ids):
        """``(blocked rows, reduced rows)`` of the invoices with open disputes."""
        rows = self._get_open_disputed_amounts(company, move_ids)
        dun_undisputed = self._get_partners_dunning_undisputed(
            company, {row["partner_id"] for row in rows.values() if row["partial"]}
        )
        blocked, reduced = {}, {}
        for move_id, row in rows.items():
            if row["partial"] and row["partner_id"] in dun_undisputed:
                reduced[move_id] = row
            else:
                blocked[move_id] = row
        return blocked, reduced

    @api.model
    def _get_dunning_blocks(self, company, move_ids, date):
        blocked, _reduced = self._split_open_disputes(company, move_ids)
        return {
            move_id: (
                "mediation" if row["mediation"] else "dispute",
                self.env._("Disputed in %(names)s", names=row["names"]),
            )
            for move_id, row in blocked.items()
        }

    @api.model
    def _get_dunning_amount_reductions(self, company, move_ids, date):
        """Disputed parts that the policy keeps out of dunning (company
        currency)."""
        _blocked, reduced = self._split_open_disputes(company, move_ids)
        return {
            move_id: company.currency_id.round(
                float(row["amount_disputed_company"] or 0.0)
            )
            for move_id, row in reduced.items()
        }

    # ------------------------------------------------------------------
    # Relationship profile
    # ------------------------------------------------------------------
    @api.model
    def _get_score_dispute_domain(self, company):
        """Disputes that lower the relationship score (company settings)."""
        today = fields.Date.context_today(self)
        parts = []
        if company.dunning_score_open_disputes:
            parts.append([("is_open", "=", True)])
        if company.dunning_score_unfounded_disputes:
            parts.append(
                [
                    ("state", "in", ("resolved", "failed")),
                    ("verdict", "=", "unfounded"),
                    ("date_closed", ">=", today - timedelta(days=SCORE_WINDOW_DAYS)),
                ]
            )
        if not parts:
            return None
        return expression.OR(parts)

    @api.model
    def _add_dunning_metrics(self, company, metrics):
        if not metrics:
            return metrics
        counted = self._get_score_dispute_domain(company)
        if counted is None:
            return metrics
        groups = self._read_group(
            expression.AND(
                [
                    [
                        ("company_id", "=", company.id),
                        ("partner_id", "in", list(metrics)),
                    ],
                    counted,
                ]
            ),
            ["partner_id"],
            ["__count"],
        )
        counts = defaultdict(int)
        for partner, count in groups:
            counts[partner.id] += count
        for partner_id, count in counts.items():
            metrics[partner_id]["open_dispute_count"] = count
        return metrics
