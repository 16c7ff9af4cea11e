from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# Age buckets of the open receivables (days past the due date), shared with the
# dashboard: (key, first day, last day or None).
AGE_BUCKETS = [
    ("not_due", None, 0),
    ("1_30", 1, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("over_90", 91, None),
]


def age_bucket_labels(env):
    _ = env._
    return {
        "not_due": _("Not due"),
        "1_30": _("1-30 days"),
        "31_60": _("31-60 days"),
        "61_90": _("61-90 days"),
        "over_90": _("> 90 days"),
    }


class ResPartner(models.Model):
    """The customer's Dunning tab: open and overdue amounts by age, and the
    customer-wide block, editable here (stored on the relationship profile)."""

    _inherit = "res.partner"

    dunning_block_until = fields.Date(readonly=False, inverse="_inverse_dunning_block")
    dunning_block_reason = fields.Char(readonly=False, inverse="_inverse_dunning_block")
    dunning_open_amount = fields.Monetary(
        string="Open Receivables",
        compute="_compute_dunning_aging",
        currency_field="dunning_currency_id",
    )
    dunning_overdue_amount = fields.Monetary(
        string="Overdue Total",
        compute="_compute_dunning_aging",
        currency_field="dunning_currency_id",
    )
    dunning_aging_line = fields.Char(
        string="Aging",
        compute="_compute_dunning_aging",
        help="Open receivables of the customer by days past the due date, in "
        "company currency.",
    )
    dunning_currency_id = fields.Many2one(
        "res.currency", compute="_compute_dunning_aging"
    )

    @api.model
    def _get_dunning_aging(self, company, partner_ids, today):
        """``{partner_id: {bucket: amount}}`` of the open receivables (company
        currency) of the commercial partners ``partner_ids``; one query."""
        self.env.flush_all()
        columns = []
        for key, first, last in AGE_BUCKETS:
            if first is None:
                condition = SQL("%s - l.date_maturity <= %s", today, last)
            elif last is None:
                condition = SQL("%s - l.date_maturity >= %s", today, first)
            else:
                condition = SQL(
                    "%s - l.date_maturity BETWEEN %s AND %s", today, first, last
                )
            columns.append(
                SQL(
                    "COALESCE(SUM(l.amount_residual) FILTER (WHERE %s), 0) AS %s",
                    condition,
                    SQL.identifier(key),
                )
            )
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT l.partner_id AS partner_id, %(columns)s
                  FROM account_move_line l
                  JOIN account_account a ON a.id = l.account_id
                 WHERE l.company_id = %(company)s
                   AND l.parent_state = 'posted'
                   AND a.account_type = 'asset_receivable'
                   AND NOT l.reconciled
                   AND l.amount_residual > 0
                   AND l.partner_id = ANY(%(partners)s)
              GROUP BY l.partner_id
                """,
                columns=SQL(", ").join(columns),
                company=company.id,
                partners=list(partner_ids),
            )
        )
        # Receivable lines carry the commercial partner of their move.
        return {row.pop("partner_id"): row for row in rows}

    @api.depends_context("company")
    def _compute_dunning_aging(self):
        company = self.env.company
        today = fields.Date.context_today(self)
        commercial = self.commercial_partner_id
        aging = (
            self._get_dunning_aging(company, commercial.ids, today)
            if commercial.ids
            else {}
        )
        labels = age_bucket_labels(self.env)
        currency = company.currency_id
        for partner in self:
            buckets = aging.get(partner.commercial_partner_id.id, {})
            amounts = {key: float(buckets.get(key, 0.0)) for key, _f, _l in AGE_BUCKETS}
            partner.dunning_currency_id = currency
            partner.dunning_open_amount = currency.round(sum(amounts.values()))
            partner.dunning_overdue_amount = currency.round(
                sum(amount for key, amount in amounts.items() if key != "not_due")
            )
            partner.dunning_aging_line = " · ".join(
                f"{labels[key]}: {currency.format(amounts[key])}"
                for key, _f, _l in AGE_BUCKETS
            )

    def _inverse_dunning_block(self):
        """Block the whole customer from the Dunning tab (the block lives on
        the relationship profile of the current company)."""
        if not self.env.user.has_group(
            "account_relationship_dunning.group_dunning_user"
        ):
            raise UserError(
                self.env._("Only dunning users can block dunning for a customer.")
            )
        Profile = self.env["account.dunning.profile"]
        for partner in self:
            profile = Profile._get_profiles(
                self.env.company, partner.commercial_partner_id
            )
            if (profile.block_until, profile.block_reason or False) == (
                partner.dunning_block_until,
                partner.dunning_block_reason or False,
            ):
                continue
            profile.write(
                {
                    "block_until": partner.dunning_block_until,
                    "block_reason": partner.dunning_block_reason
                    if partner.dunning_block_until
                    else False,
                }
            )
