import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.misc import format_date, formatLang

from .limitation import limitation_end

_logger = logging.getLogger(__name__)


class AccountMove(models.Model):
    _inherit = "account.move"

    dunning_level_id = fields.Many2one(
        "account.dunning.level",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The last dunning level this invoice reached.",
    )
    dunning_last_date = fields.Date(
        string="Last Dunning Date", readonly=True, copy=False
    )
    dunning_next_date = fields.Date(
        string="Next Dunning Date",
        compute="_compute_dunning_next_date",
        help="Earliest date on which the next level can be reached, given the "
        "customer's current policy.",
    )
    dunning_blocked_until = fields.Date(
        copy=False,
        tracking=True,
        help="No dunning for this invoice up to and including this date.",
    )
    dunning_block_reason = fields.Char(copy=False, tracking=True)
    dunning_excluded = fields.Boolean(
        string="Excluded from Dunning",
        copy=False,
        tracking=True,
        help="Never include this invoice in a dunning run.",
    )
    dunning_letter_line_ids = fields.One2many(
        "account.dunning.letter.line",
        "move_id",
        string="Dunning History",
        readonly=True,
    )
    dunning_dispute_line_ids = fields.One2many(
        "account.dunning.dispute.line", "move_id", string="Disputes", readonly=True
    )
    dunning_dispute_count = fields.Integer(
        string="Dispute Count", compute="_compute_dunning_dispute_count"
    )
    dunning_handover_line_ids = fields.One2many(
        "account.dunning.handover.line",
        "move_id",
        string="Legal Handovers",
        readonly=True,
    )
    dunning_suspension_ids = fields.Many2many(
        "account.dunning.suspension",
        "account_dunning_suspension_move_rel",
        "move_id",
        "suspension_id",
        string="Limitation Suspensions",
        readonly=True,
        copy=False,
    )
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
    dunning_interest_charged_until = fields.Date(
        string="Interest Invoiced Until",
        readonly=True,
        copy=False,
        help="Default interest on this invoice up to and including this day was "
        "invoiced to the customer; later letters claim only the following days.",
    )
    dunning_compensation_charged = fields.Boolean(
        string="Flat Compensation Invoiced",
        readonly=True,
        copy=False,
        help="The flat compensation for this invoice was invoiced to the customer.",
    )
    dunning_charge_letter_id = fields.Many2one(
        "account.dunning.letter",
        string="Charges of Dunning Letter",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="This invoice charges the interest, compensation and fees of that "
        "letter; it bears no interest and no compensation itself (§ 289 BGB).",
    )

    @api.depends("dunning_level_id", "dunning_last_date", "invoice_date_due")
    def _compute_dunning_next_date(self):
        profiles = self.env["account.dunning.profile"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "in", self.company_id.ids),
            ]
        )
        profile_map = {(p.partner_id.id, p.company_id.id): p for p in profiles}
        policy_maps = {}
        for move in self:
            move.dunning_next_date = False
            if (
                move.move_type != "out_invoice"
                or move.state != "posted"
                or move.payment_state not in ("not_paid", "partial")
                or not move.invoice_date_due
            ):
                continue
            profile = profile_map.get(
                (move.commercial_partner_id.id, move.company_id.id)
            )
            if not profile or not profile.segment_id:
                continue
            if move.company_id not in policy_maps:
                policy_maps[move.company_id] = self.env[
                    "account.dunning.policy"
                ]._get_policy_map(move.company_id)
            policy = self.env["account.dunning.policy"]._pick_policy(
                policy_maps[move.company_id],
                profile.segment_id,
                move.commercial_partner_id._is_dunning_consumer(),
            )
            move.dunning_next_date = move._get_dunning_next_date(policy)

    def _get_dunning_next_date(self, policy):
        self.ensure_one()
        if not policy:
            return False
        levels = policy._get_sorted_levels()
        current = self.dunning_level_id
        following = (
            levels.filtered(lambda lvl: lvl.days_overdue > current.days_overdue)
            if current
            else levels
        )
        if not following:
            return False
        level = following[0]
        by_days = fields.Date.add(
            self.invoice_date_due, days=max(level.days_overdue, policy.grace_days + 1)
        )
        if self.dunning_last_date:
            by_interval = fields.Date.add(
                self.dunning_last_date, days=level.min_days_since_previous
            )
            return max(by_days, by_interval)
        return by_days

    def _compute_dunning_dispute_count(self):
        groups = self.env["account.dunning.dispute.line"]._read_group(
            [("move_id", "in", self.ids)], ["move_id"], ["dispute_id:count_distinct"]
        )
        counts = {move.id: count for move, count in groups}
        for move in self:
            move.dunning_dispute_count = counts.get(move.id, 0)

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

    @api.constrains("dunning_blocked_until", "dunning_block_reason")
    def _check_dunning_block(self):
        today = fields.Date.context_today(self)
        for move in self:
            if not move.dunning_blocked_until:
                continue
            if move.dunning_blocked_until < today:
                raise ValidationError(
                    self.env._(
                        "The dunning block of %(invoice)s ends on %(date)s, which is "
                        "in the past. Choose today or a later date.",
                        invoice=move.display_name,
                        date=move.dunning_blocked_until,
                    )
                )
            if not (move.dunning_block_reason or "").strip():
                raise ValidationError(
                    self.env._(
                        "Please give a reason for blocking dunning on %(invoice)s.",
                        invoice=move.display_name,
                    )
                )

    def action_view_dunning_letters(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_relationship_dunning.account_dunning_letter_action"
        )
        action["domain"] = [("line_ids.move_id", "=", self.id)]
        return action

    def action_view_dunning_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_relationship_dunning.account_dunning_dispute_action"
        )
        action["domain"] = [("line_ids.move_id", "=", self.id)]
        action["context"] = {
            "default_partner_id": self.commercial_partner_id.id,
            "default_company_id": self.company_id.id,
            "default_move_ids": self.ids,
        }
        return action

    def action_dunning_dispute(self):
        """Open a new dispute on the selected invoices."""
        moves = self._check_dunning_same_customer()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Dispute"),
            "res_model": "account.dunning.dispute",
            "view_mode": "form",
            "target": "current",
            "context": {
                "default_partner_id": moves.commercial_partner_id.id,
                "default_company_id": moves.company_id.id,
                "default_move_ids": moves.ids,
            },
        }

    def action_dunning_handover(self):
        """Prepare a legal handover of the selected invoices."""
        moves = self._check_dunning_same_customer()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Legal Handover"),
            "res_model": "account.dunning.handover",
            "view_mode": "form",
            "target": "current",
            "context": {
                "default_partner_id": moves.commercial_partner_id.id,
                "default_company_id": moves.company_id.id,
                "default_move_ids": moves.ids,
            },
        }

    # ------------------------------------------------------------------
    # Disputes, legal handover, limitation
    # ------------------------------------------------------------------
    def _is_dunning_open(self):
        """An open, posted customer invoice (a receivable that can be dunned)."""
        self.ensure_one()
        return (
            self.move_type == "out_invoice"
            and self.state == "posted"
            and self.payment_state in ("not_paid", "partial")
        )

    def _dunning_scale_to(self, amount):
        """Scale the price of a draft credit note so that its total becomes
        ``amount`` (the rest of a cent is put on the largest line)."""
        self.ensure_one()
        currency = self.currency_id
        lines = self.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        )
        if not lines or not self.amount_total:
            return
        if currency.compare_amounts(self.amount_total, amount) == 0:
            return
        ratio = amount / self.amount_total
        self.write(
            {
                "invoice_line_ids": [
                    Command.update(line.id, {"price_unit": line.price_unit * ratio})
                    for line in lines
                ]
            }
        )
        difference = currency.round(amount - self.amount_total)
        largest = max(lines, key=lambda line: abs(line.price_total))
        if not currency.is_zero(difference) and largest.quantity:
            net_share = (
                largest.price_subtotal / largest.price_total
                if largest.price_total
                else 1.0
            )
            largest.price_unit += difference * net_share / largest.quantity

    def _check_dunning_same_customer(self):
        moves = self.filtered(lambda move: move._is_dunning_open())
        if not moves or moves != self:
            raise UserError(self.env._("Select open, posted customer invoices only."))
        if len(moves.commercial_partner_id) > 1 or len(moves.company_id) > 1:
            raise UserError(
                self.env._("Select invoices of one customer and one company.")
            )
        return moves

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
        lines = Markup("").join(
            Markup("<li>%s</li>")
            % self.env._(
                "%(invoice)s: %(amount)s open, time-barred after %(date)s",
                invoice=move.name,
                amount=formatLang(
                    self.env, move.amount_residual, currency_obj=move.currency_id
                ),
                date=format_date(self.env, move.dunning_limitation_date),
            )
            for move in self.sorted("dunning_limitation_date")
        )
        first = min(self.mapped("dunning_limitation_date"))
        return {
            "date_deadline": first,
            "summary": self.env._(
                "%(count)s claim(s) become time-barred (first on %(date)s)",
                count=len(self),
                date=format_date(self.env, first),
            ),
            "note": Markup("<p>%s</p><ul>%s</ul>")
            % (
                self.env._(
                    "Take a limitation-suspending step (court dunning, "
                    "acknowledgment) for these invoices of %(company)s:",
                    company=company.name,
                ),
                lines,
            ),
        }

    # ------------------------------------------------------------------
    # Statutory default interest (§§ 247, 288 BGB)
    # ------------------------------------------------------------------
    def _get_dunning_interest(self, date_to, date_from=None, interest_start=None):
        """Default interest of the invoices in ``self`` up to ``date_to``.

        :param date_to: last interest day (included), e.g. the letter date.
        :param date_from: first day that may bear interest (e.g. the day after
            the interest already invoiced); earlier payments still reduce the
            principal.
        :param interest_start: ``'due'`` (day after the due date) or
            ``'letter'`` (day after the first sent dunning letter); by default
            the setting of each customer's dunning policy.
        :return: ``{move_id: {"amount", "points", "date_from", "segments"}}``
            with ``amount`` rounded in the invoice currency and the sum of the
            rounded segment amounts; ``segments`` is a list of ``{"date_from",
            "date_to", "days", "base_rate", "rate", "principal", "amount"}``,
            split at every 1 January and 1 July, at every base-rate change and
            at every payment. ``date_from`` is the first interest day (``None``
            when no interest runs).
        """
        date_to = fields.Date.to_date(date_to)
        date_from = fields.Date.to_date(date_from) if date_from else None
        if not self:
            return {}
        BaseRate = self.env["account.dunning.base.rate"]
        table = BaseRate._get_rate_table()
        points = self._get_dunning_interest_points()
        if interest_start:
            modes = dict.fromkeys(self.ids, interest_start)
        else:
            modes = {
                move_id: policy.interest_start or "due"
                for move_id, policy in self._get_dunning_policies().items()
            }
        first_letters = self.filtered(
            lambda move: modes[move.id] == "letter"
        )._get_dunning_first_letter_dates()
        rows_by_move = defaultdict(list)
        for row in self._get_dunning_principal_rows(date_to):
            rows_by_move[row["move_id"]].append(row)
        result = {}
        for move in self:
            if modes[move.id] == "letter":
                first_letter = first_letters.get(move.id)
                earliest = first_letter + timedelta(days=1) if first_letter else None
            else:
                earliest = None
            if date_from:
                earliest = max(earliest, date_from) if earliest else date_from
            events, start = move._get_dunning_principal_events(
                rows_by_move[move.id],
                earliest,
                no_interest=modes[move.id] == "letter"
                and not first_letters.get(move.id),
            )
            segments = move._get_dunning_interest_segments(
                events, start, date_to, points[move.id], table
            )
            result[move.id] = {
                "amount": move.currency_id.round(
                    sum(segment["amount"] for segment in segments)
                ),
                "points": points[move.id],
                "date_from": start if segments else None,
                "segments": segments,
            }
        return result

    def _get_dunning_interest_points(self):
        """``{move_id: points above the base rate}``: 9 for payment claims
        between businesses, 5 when a consumer is involved (§ 288 (1), (2))."""
        return {
            move.id: 5.0 if move.commercial_partner_id._is_dunning_consumer() else 9.0
            for move in self
        }

    def _get_dunning_policies(self):
        """``{move_id: dunning policy of the customer}`` (empty when none)."""
        Policy = self.env["account.dunning.policy"]
        profiles = self.env["account.dunning.profile"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "in", self.company_id.ids),
            ]
        )
        by_key = {(p.partner_id.id, p.company_id.id): p for p in profiles}
        policy_maps = {}
        result = {}
        for move in self:
            profile = by_key.get((move.commercial_partner_id.id, move.company_id.id))
            result[move.id] = Policy
            if not profile or not profile.segment_id:
                continue
            if move.company_id not in policy_maps:
                policy_maps[move.company_id] = Policy._get_policy_map(move.company_id)
            result[move.id] = (
                Policy._pick_policy(
                    policy_maps[move.company_id],
                    profile.segment_id,
                    move.commercial_partner_id._is_dunning_consumer(),
                )
                or Policy
            )
        return result

    def _get_dunning_first_letter_dates(self):
        """``{move_id: date}`` of the first sent written dunning letter listing
        each invoice: the letter that put the customer in default (a phone call
        is not counted, it cannot be proven)."""
        if not self:
            return {}
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT line.move_id, MIN(letter.date)
                  FROM account_dunning_letter_line line
                  JOIN account_dunning_letter letter ON letter.id = line.letter_id
                 WHERE line.move_id = ANY(%s)
                   AND letter.state = 'done'
                   AND letter.channel != 'phone'
              GROUP BY line.move_id
                """,
                self.ids,
            )
        )
        return dict(rows)

    def _get_dunning_compensation_claimed(self, exclude_letters=None):
        """Ids of the invoices whose flat compensation was already claimed
        (not waived) by a sent letter: it is owed once per invoice."""
        if not self:
            return set()
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT line.move_id
                  FROM account_dunning_letter_line line
                  JOIN account_dunning_letter letter ON letter.id = line.letter_id
                 WHERE line.move_id = ANY(%s)
                   AND letter.id != ALL(%s)
                   AND letter.state = 'done'
                   AND NOT COALESCE(letter.compensation_waived, FALSE)
                   AND (COALESCE(line.compensation_amount, 0) != 0
                        OR COALESCE(letter.letter_compensation_amount, 0) != 0)
                """,
                self.ids,
                exclude_letters.ids if exclude_letters else [],
            )
        )
        return {move_id for (move_id,) in rows}

    def _get_dunning_principal_rows(self, date_to):
        """Receivable lines of the invoices and, per line and day, the amounts
        (invoice currency) that payments and credit notes settled up to
        ``date_to``: one grouped query for all invoices."""
        self.env.flush_all()
        return self.env.execute_query_dict(
            SQL(
                """
                SELECT l.move_id,
                       l.id AS line_id,
                       COALESCE(l.date_maturity, m.invoice_date_due, m.date)
                           AS date_maturity,
                       l.amount_currency,
                       p.max_date AS paid_date,
                       SUM(p.debit_amount_currency) AS paid
                  FROM account_move_line l
                  JOIN account_move m ON m.id = l.move_id
                  JOIN account_account a ON a.id = l.account_id
             LEFT JOIN account_partial_reconcile p
                       ON p.debit_move_id = l.id AND p.max_date <= %(date_to)s
                 WHERE l.move_id = ANY(%(move_ids)s)
                   AND a.account_type = 'asset_receivable'
                   AND l.amount_currency > 0
              GROUP BY l.move_id, l.id, m.invoice_date_due, m.date, p.max_date
              ORDER BY l.id, p.max_date
                """,
                date_to=date_to,
                move_ids=self.ids,
            )
        )

    def _get_dunning_principal_events(self, rows, earliest=None, no_interest=False):
        """Changes of the open principal of one invoice as ``[(day, delta)]``
        and the first interest day (``None`` when no interest runs).

        Each installment bears interest from the day after its due date (or
        from ``earliest`` if later); a payment lowers the principal from its
        date (from the installment's first interest day when paid earlier).
        """
        self.ensure_one()
        if no_interest:
            return [], None
        events = []
        starts = {}
        for row in rows:
            line_start = starts.get(row["line_id"])
            if line_start is None:
                line_start = row["date_maturity"] + timedelta(days=1)
                if earliest and earliest > line_start:
                    line_start = earliest
                starts[row["line_id"]] = line_start
                events.append((line_start, row["amount_currency"]))
            if row["paid_date"]:
                events.append((max(row["paid_date"], line_start), -row["paid"]))
        return sorted(events), min(starts.values(), default=None)

    def _get_dunning_interest_segments(self, events, start, date_to, points, table):
        """Simple interest per period of constant principal and rate:
        ``principal × rate / 100 × days / 365``, rounded per segment."""
        self.ensure_one()
        if not start or start > date_to:
            return []
        BaseRate = self.env["account.dunning.base.rate"]
        currency = self.currency_id
        boundaries = set(BaseRate._get_period_boundaries(table, start, date_to))
        boundaries.update(day for day, _delta in events if start < day <= date_to)
        boundaries = [start, *sorted(boundaries)]
        segments = []
        for index, seg_start in enumerate(boundaries):
            if index + 1 < len(boundaries):
                seg_end = boundaries[index + 1] - timedelta(days=1)
            else:
                seg_end = date_to
            principal = currency.round(
                sum(delta for day, delta in events if day <= seg_start)
            )
            if currency.compare_amounts(principal, 0.0) <= 0:
                continue
            base_rate = BaseRate._get_rate_at(table, seg_start, self)
            rate = round(base_rate + points, 4)
            days = (seg_end - seg_start).days + 1
            segments.append(
                {
                    "date_from": seg_start,
                    "date_to": seg_end,
                    "days": days,
                    "base_rate": base_rate,
                    "rate": rate,
                    "principal": principal,
                    "amount": currency.round(principal * rate * days / 36500.0),
                }
            )
        return segments
