"""Limitation (§§ 195, 199, 203, 212 BGB) on invoices: the date a claim becomes
time-barred, its suspensions and restarts, and the monthly watch list."""

import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools.misc import format_date, formatLang

from .limitation import limitation_end

_logger = logging.getLogger(__name__)


class AccountMove(models.Model):
    _inherit = "account.move"

    dunning_limitation_date = fields.Date(
        string="Time-barred After",
        compute="_compute_dunning_limitation",
        store=True,
        copy=False,
        help="Last day on which the open amount can still be enforced: 31 "
        "December of the third year after the due date, moved by recorded "
        "suspensions (negotiations, mediation, court dunning) and restarted by "
        "acknowledgments (part payments, payment-plan agreements). Empty while a "
        "suspension lasts.",
    )
    dunning_limitation_suspended = fields.Boolean(
        string="Limitation Suspended",
        compute="_compute_dunning_limitation",
        store=True,
        copy=False,
        help="A negotiation, mediation or court procedure suspends limitation for now.",
    )
    dunning_limitation_soon = fields.Boolean(
        string="Time-barred Soon",
        compute="_compute_dunning_limitation_soon",
        search="_search_dunning_limitation_soon",
        help="Becomes time-barred before the end of the year or within the "
        "warning period of the company.",
    )

    @api.depends(
        "move_type",
        "state",
        "payment_state",
        "amount_residual",
        "line_ids.date_maturity",
        "line_ids.matched_credit_ids",
        "dunning_suspension_ids.date_start",
        "dunning_suspension_ids.date_end",
        "dunning_suspension_ids.kind",
    )
    def _compute_dunning_limitation(self):
        open_moves = self.filtered(lambda move: move.id and move._is_dunning_open())
        (self - open_moves).update(
            {"dunning_limitation_date": False, "dunning_limitation_suspended": False}
        )
        data = open_moves._get_dunning_limitation_data()
        for move in open_moves:
            arose, acknowledgments, suspensions = data[move.id]
            end = limitation_end(arose, acknowledgments, suspensions) if arose else None
            move.dunning_limitation_date = end or False
            move.dunning_limitation_suspended = bool(arose) and end is None

    def _compute_dunning_limitation_soon(self):
        for move in self:
            limit = move.company_id._get_dunning_limitation_horizon()
            move.dunning_limitation_soon = bool(
                move.dunning_limitation_date
                and fields.Date.context_today(move)
                <= move.dunning_limitation_date
                <= limit
            )

    def _search_dunning_limitation_soon(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on Time-barred Soon."))
        today = fields.Date.context_today(self)
        domain = expression.OR(
            [
                [
                    ("company_id", "=", company.id),
                    ("dunning_limitation_date", ">=", today),
                    (
                        "dunning_limitation_date",
                        "<=",
                        company._get_dunning_limitation_horizon(),
                    ),
                ]
                for company in self.env.companies
            ]
        )
        if (operator == "=") == value:
            return domain
        return ["!", *domain]

    def _get_dunning_limitation_data(self):
        """``{move_id: (arose, acknowledgments, suspensions)}`` with a few
        batched reads for all of ``self``.

        ``arose`` is the earliest due date of the receivable lines;
        acknowledgments are the dates of part payments (payments and bank
        statement lines, not credit notes) and of payment-plan agreements.
        """
        # sudo: the stored limitation date must not depend on what the user who
        # triggers the computation may read (payments, suspensions, plans).
        moves = self.sudo()
        data = {move.id: [None, set(), []] for move in moves}
        for line in moves.line_ids:
            if line.account_id.account_type != "asset_receivable":
                continue
            values = data[line.move_id.id]
            if line.date_maturity and (
                values[0] is None or line.date_maturity < values[0]
            ):
                values[0] = line.date_maturity
            for partial in line.matched_credit_ids:
                counterpart = partial.credit_move_id.move_id
                if counterpart.origin_payment_id or counterpart.statement_line_id:
                    values[1].add(partial.credit_move_id.date)
        for move in moves:
            for suspension in move.dunning_suspension_ids:
                data[move.id][2].append(
                    (
                        suspension.date_start,
                        suspension.date_end or None,
                        suspension.kind,
                    )
                )
        if "account.dunning.payment.plan" in self.env:
            groups = (
                self.env["account.dunning.payment.plan"]
                .sudo()
                ._read_group(
                    [
                        ("move_ids", "in", moves.ids),
                        ("acknowledgment_date", "!=", False),
                    ],
                    ["move_ids"],
                    ["acknowledgment_date:array_agg"],
                )
            )
            for move, dates in groups:
                if move.id in data:
                    data[move.id][1].update(filter(None, dates))
        return {move_id: tuple(values) for move_id, values in data.items()}

    @api.model
    def _recompute_dunning_limitation(self, moves=None):
        """Recompute the limitation dates of ``moves`` (default: every open
        customer invoice), e.g. after payment-plan agreements."""
        if moves is None:
            moves = self.search(
                [
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                ]
            )
        fields_to_compute = [
            self._fields["dunning_limitation_date"],
            self._fields["dunning_limitation_suspended"],
        ]
        for field in fields_to_compute:
            self.env.add_to_compute(field, moves)
        moves._recompute_recordset([f.name for f in fields_to_compute])
        return moves

    @api.model
    def _cron_dunning_limitation_watch(self, batch_size=200):
        """Monthly: recompute limitation dates and give the dunning manager of
        each company one activity per customer whose claims become time-barred
        before the end of the year or within the warning period.

        Idempotent: a customer who already has an open limitation activity gets
        it updated, not a second one.
        """
        # sudo: the watch covers every company, whatever companies the user of
        # the scheduled action may access.
        watch = self.sudo()
        companies = watch.env["res.company"].search([])
        done = 0
        for company in companies:
            watch.with_company(company)._dunning_limitation_watch(company, batch_size)
            done += 1
            self.env["ir.cron"]._notify_progress(
                done=done, remaining=len(companies) - done
            )

    def _get_dunning_limitation_watch_domain(self, company):
        today = fields.Date.context_today(self)
        return [
            ("company_id", "=", company.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("dunning_limitation_date", ">=", today),
            (
                "dunning_limitation_date",
                "<=",
                company._get_dunning_limitation_horizon(),
            ),
        ]

    def _dunning_limitation_watch(self, company, batch_size=200):
        open_moves = self.search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ]
        )
        for start in range(0, len(open_moves), batch_size):
            self._recompute_dunning_limitation(open_moves[start : start + batch_size])
        expiring = self.search(self._get_dunning_limitation_watch_domain(company))
        user = company._get_dunning_manager_user()
        if not expiring or not user:
            return self.env["mail.activity"]
        activity_type = self.env.ref(
            "account_relationship_dunning.mail_activity_type_limitation_watch"
        )
        existing = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", expiring.commercial_partner_id.ids),
                ("activity_type_id", "=", activity_type.id),
                ("user_id", "=", user.id),
            ]
        )
        existing_by_partner = {activity.res_id: activity for activity in existing}
        activities = self.env["mail.activity"]
        for partner in expiring.commercial_partner_id:
            moves = expiring.filtered(lambda m, p=partner: m.commercial_partner_id == p)
            values = moves._prepare_limitation_activity_values(company)
            try:
                with self.env.cr.savepoint():
                    activity = existing_by_partner.get(partner.id)
                    if activity:
                        activity.write(values)
                    else:
                        activity = partner.activity_schedule(
                            activity_type_id=activity_type.id,
                            user_id=user.id,
                            **values,
                        )
                    activities |= activity
            except Exception as error:  # noqa: BLE001 - one customer must not stop others
                _logger.warning(
                    "Limitation activity for %s failed: %s", partner.display_name, error
                )
        return activities

    def _prepare_limitation_activity_values(self, company):
        first = min(self.mapped("dunning_limitation_date"))
        return {
            "date_deadline": first,
            "summary": self.env._(
                "%(count)s claim(s) become time-barred (first on %(date)s)",
                count=len(self),
                date=format_date(self.env, first),
            ),
            "note": self.env["ir.qweb"]._render(
                "account_relationship_dunning.limitation_activity_note",
                {
                    "company": company.name,
                    "rows": [
                        {
                            "invoice": move.name,
                            "amount": formatLang(
                                self.env,
                                move.amount_residual,
                                currency_obj=move.currency_id,
                            ),
                            "date": format_date(self.env, move.dunning_limitation_date),
                        }
                        for move in self.sorted("dunning_limitation_date")
                    ],
                },
            ),
        }
