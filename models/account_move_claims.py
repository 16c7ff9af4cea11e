"""Claims arithmetic on invoices: statutory default interest (§§ 247, 288 BGB),
flat compensation already claimed, and the first letter that put the customer in
default."""

from collections import defaultdict
from datetime import timedelta

from odoo import fields, models
from odoo.tools import SQL


class AccountMove(models.Model):
    _inherit = "account.move"

    # Kept in the invoices' dunning state (account_move_dunning_state.py).
    dunning_interest_charged_until = fields.Date(
        string="Interest Invoiced Until",
        compute="_compute_dunning_state",
        inverse="_inverse_dunning_state",
        search="_search_dunning_interest_charged_until",
        readonly=True,
        copy=False,
        help="Default interest on this invoice up to and including this day was "
        "invoiced to the customer; later letters claim only the following days.",
    )
    dunning_compensation_charged = fields.Boolean(
        string="Flat Compensation Invoiced",
        compute="_compute_dunning_state",
        inverse="_inverse_dunning_state",
        search="_search_dunning_compensation_charged",
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

    # ------------------------------------------------------------------
    # Statutory default interest (§§ 247, 288 BGB)
    # ------------------------------------------------------------------
    def _get_dunning_interest(
        self, date_to, date_from=None, interest_start=None, delivery_days=None
    ):
        """Default interest of the invoices in ``self`` up to ``date_to``.

        :param date_to: last interest day (included), e.g. the letter date.
        :param date_from: first day that may bear interest (e.g. the day after
            the interest already invoiced); earlier payments still reduce the
            principal.
        :param interest_start: ``'due'`` (day after the due date),
            ``'letter'`` (day after the first sent dunning letter) or
            ``'default'`` (day after the first letter was received: its date
            plus ``delivery_days``); by default the setting of each
            customer's dunning policy.
        :param delivery_days: days for the first letter to reach the customer
            (mode ``'default'``, with an explicit ``interest_start``).
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
        # the invoice fields read below, not all columns of the invoices (a
        # third of the claims of a run over 50,000 invoices)
        self.fetch(["commercial_partner_id", "currency_id", "company_id"])
        BaseRate = self.env["account.dunning.base.rate"]
        table = BaseRate._get_rate_table()
        points = self._get_dunning_interest_points()
        if interest_start:
            modes = dict.fromkeys(self.ids, interest_start)
            allowances = dict.fromkeys(self.ids, delivery_days or 0)
        else:
            policies = self._get_dunning_policies()
            modes = {
                move_id: policy.interest_start or "due"
                for move_id, policy in policies.items()
            }
            allowances = {
                move_id: policy.interest_delivery_days or 0
                for move_id, policy in policies.items()
            }
        first_letters = self.filtered(
            lambda move: modes[move.id] in ("letter", "default")
        )._get_dunning_first_letter_dates()
        rows_by_move = defaultdict(list)
        for row in self._get_dunning_principal_rows(date_to):
            rows_by_move[row["move_id"]].append(row)
        result = {}
        for move in self:
            default_start = move._get_dunning_default_start(
                modes[move.id], first_letters.get(move.id), allowances[move.id]
            )
            earliest = None
            if modes[move.id] in ("letter", "default"):
                earliest = default_start + timedelta(days=1) if default_start else None
            if date_from:
                earliest = max(earliest, date_from) if earliest else date_from
            events, start = move._get_dunning_principal_events(
                rows_by_move[move.id],
                earliest,
                no_interest=modes[move.id] in ("letter", "default")
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

    @staticmethod
    def _get_dunning_default_start(mode, first_letter, delivery_days=0):
        """The last day before default for the modes that depend on the first
        letter: its date (``'letter'``) or the day it was received, its date
        plus the delivery allowance (``'default'``, § 286 (1) BGB); ``None``
        in mode ``'due'`` or when no letter was sent."""
        if mode == "letter" and first_letter:
            return first_letter
        if mode == "default" and first_letter:
            return first_letter + timedelta(days=delivery_days or 0)
        return None

    def _get_dunning_cost_history(self, exclude_letters=None):
        """The costs sent letters claimed for the invoices of ``self``, one
        row per letter and invoice: ``letter_id``, ``name``, ``date``,
        ``payment_deadline``, ``charged`` (a charges invoice was posted),
        ``fee`` (net of the offset), ``fee_offset``, ``letter_compensation``,
        ``line_compensation`` (waived amounts are 0), ``move_id``; ordered by
        letter date, letter and line.

        Two single-table queries joined in Python, for the reason given in
        ``_get_dunning_letter_rows``: the letter tables were just filled by the
        run, and a join planned without statistics degrades to a nested loop.
        """
        if not self:
            return []
        self.env.flush_all()
        lines = self.env.execute_query(
            SQL(
                """
                SELECT id, letter_id, move_id, COALESCE(compensation_amount, 0)
                  FROM account_dunning_letter_line
                 WHERE move_id = ANY(%s)
                   AND letter_id != ALL(%s)
                   AND notified_letter_id IS NULL
                """,
                self.ids,
                exclude_letters.ids if exclude_letters else [],
            )
        )
        if not lines:
            return []
        letters = {
            row["id"]: row
            for row in self.env.execute_query_dict(
                SQL(
                    """
                    SELECT id, name, date, payment_deadline,
                           charge_move_id IS NOT NULL AS charged,
                           CASE WHEN COALESCE(fees_waived, FALSE) THEN 0
                                ELSE COALESCE(fee_amount, 0)
                                     - COALESCE(fee_offset_amount, 0)
                           END AS fee,
                           COALESCE(fee_offset_amount, 0) AS fee_offset,
                           COALESCE(compensation_waived, FALSE) AS waived,
                           CASE WHEN COALESCE(compensation_waived, FALSE) THEN 0
                                ELSE COALESCE(letter_compensation_amount, 0)
                           END AS letter_compensation
                      FROM account_dunning_letter
                     WHERE id = ANY(%s)
                       AND state = 'done'
                    """,
                    list({line[1] for line in lines}),
                )
            )
        }
        rows = []
        for line_id, letter_id, move_id, compensation in lines:
            letter = letters.get(letter_id)
            if not letter:
                continue
            rows.append(
                (
                    (letter["date"], letter_id, line_id),
                    {
                        "letter_id": letter_id,
                        "name": letter["name"],
                        "date": letter["date"],
                        "payment_deadline": letter["payment_deadline"],
                        "charged": letter["charged"],
                        "fee": letter["fee"],
                        "fee_offset": letter["fee_offset"],
                        "letter_compensation": letter["letter_compensation"],
                        "line_compensation": 0 if letter["waived"] else compensation,
                        "move_id": move_id,
                    },
                )
            )
        return [row for _key, row in sorted(rows, key=lambda item: item[0])]

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
        result = {}
        for move_id, letter in self._get_dunning_letter_rows():
            if letter["state"] != "done" or letter["channel"] == "phone":
                continue
            if move_id not in result or letter["date"] < result[move_id]:
                result[move_id] = letter["date"]
        return result

    def _get_dunning_compensation_claimed(self, exclude_letters=None):
        """Ids of the invoices whose flat compensation was already claimed
        (not waived) by a sent letter: it is owed once per invoice."""
        if not self:
            return set()
        return {
            move_id
            for move_id, letter in self._get_dunning_letter_rows(exclude_letters)
            if letter["state"] == "done"
            and not letter["notified"]
            and not letter["compensation_waived"]
            and (letter["compensation_amount"] or letter["letter_compensation_amount"])
        }

    def _get_dunning_letter_rows(self, exclude_letters=None):
        """``[(move_id, letter)]`` for every letter line listing an invoice of
        ``self`` (except lines of ``exclude_letters``); ``letter`` is a dict of
        the letter's ``state``, ``channel``, ``date``, ``compensation_waived``,
        ``letter_compensation_amount``, the line's ``compensation_amount`` and
        ``notified`` (the line only repeats an earlier letter's notice).

        Two single-table queries joined in Python on purpose, not one SQL
        join: during a dunning run the letter tables have just been filled in
        the same transaction, PostgreSQL has no statistics for those rows
        (``reltuples`` 0 or stale) and planned the join as a nested loop
        without index condition over all of them (minutes at 50,000 invoices).
        Each query below reads one table by an index (``move_id``, ``id``) or
        one sequential scan with a hashed ``= ANY``: linear in the rows
        whatever the statistics say.
        """
        self.env.flush_all()
        lines = self.env.execute_query(
            SQL(
                """
                SELECT move_id, letter_id, COALESCE(compensation_amount, 0),
                       notified_letter_id IS NOT NULL
                  FROM account_dunning_letter_line
                 WHERE move_id = ANY(%s) AND letter_id != ALL(%s)
                """,
                self.ids,
                exclude_letters.ids if exclude_letters else [],
            )
        )
        if not lines:
            return []
        letters = {
            letter_id: {
                "state": state,
                "channel": channel,
                "date": date,
                "compensation_waived": waived,
                "letter_compensation_amount": amount,
            }
            for letter_id, state, channel, date, waived, amount in (
                self.env.execute_query(
                    SQL(
                        """
                        SELECT id, state, channel, date,
                               COALESCE(compensation_waived, FALSE),
                               COALESCE(letter_compensation_amount, 0)
                          FROM account_dunning_letter
                         WHERE id = ANY(%s)
                        """,
                        list({line[1] for line in lines}),
                    )
                )
            )
        }
        return [
            (
                move_id,
                dict(letters[letter_id], compensation_amount=amount, notified=notified),
            )
            for move_id, letter_id, amount, notified in lines
        ]

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
