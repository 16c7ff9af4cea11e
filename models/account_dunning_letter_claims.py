"""The claims of a dunning letter: default interest, flat compensation, fees.

Computed set-based for all unsent letters of a run (``_compute_claims``) and
stored on the letter and its lines: the interest periods of each invoice,
the flat compensation of § 288 (5) BGB once per invoice, the level's fee
(never on the letter that first puts the customer in default) and its
credit against the compensation, and the costs of earlier letters that were
not invoiced. Freezing and invoicing them once the letter is sent is in
``account_dunning_letter_charges.py``.
"""

from collections import defaultdict
from datetime import timedelta

from odoo import fields, models

from . import dunning_sql

# Flat compensation of § 288 (5) BGB: amount and ISO code of its currency.
COMPENSATION_AMOUNT = 40.0
COMPENSATION_CURRENCY = "EUR"


class AccountDunningLetter(models.Model):
    _inherit = "account.dunning.letter"

    def _compute_claims(self, store_letters=True):
        """Compute and store the claims of unsent letters, set-based.

        With ``store_letters=False`` only the lines are written; the letters'
        values are returned (``{letter: vals}``) for the caller to store with
        their totals (``_store_amounts``): the dunning run writes each new
        letter once instead of twice (a row inserted in the same transaction
        has all its foreign keys checked again at every UPDATE)."""
        self.fetch(["claims_frozen", "state"])
        letters = self.filtered(
            lambda letter: not letter.claims_frozen and letter.state != "cancel"
        )
        if not letters:
            return {}
        line_vals, letter_vals = letters._prepare_claims_values()
        # Different values per line: one bulk UPDATE instead of one write()
        # per line (48,000 writes in a run over 50,000 invoices).
        self.env["account.dunning.letter.line"]._bulk_write(line_vals)
        if not store_letters:
            return letter_vals
        # One UPDATE for the letters' values too: written per distinct set
        # of values, the fee and waiver flags made a dozen UPDATEs of the
        # same letters per 1,000 letters.
        dunning_sql.sql_update_rows(
            self, {letter.id: vals for letter, vals in letter_vals.items()}
        )
        return letter_vals

    def _prepare_claims_values(self, claimed_lines=None):
        """``({line: vals}, {letter: vals})`` of the claims of ``self``;
        ``claimed_lines`` (``{letter: lines}``, see ``_get_claimed_lines``)
        when the caller has them."""
        # Browsed anew: as the lines' invoices (prefetching through all lines,
        # which are new records during a run), every value missing from the
        # cache looked at all lines of the chunk again (15% of a run over
        # 50,000 invoices).
        moves = self.env["account.move"].browse(self.line_ids.move_id.ids)
        # The invoices' dunning state for all letters at once (read per
        # letter otherwise: one query per letter).
        moves.fetch(["dunning_charge_letter_id"])
        moves.mapped("dunning_interest_charged_until")
        first_letters = moves._get_dunning_first_letter_dates()
        # _origin: the letters of a run are computed in memory before they
        # are inserted (no ids yet)
        claimed = moves._get_dunning_compensation_claimed(exclude_letters=self._origin)
        # The cost history by invoice, in its order: each letter looks at
        # the rows of its own invoices only (not at all rows of all letters).
        history_by_move = defaultdict(list)
        for index, row in enumerate(
            moves._get_dunning_cost_history(exclude_letters=self._origin)
        ):
            history_by_move[row["move_id"]].append((index, row))
        # The claimed lines of each letter, selected once (every helper below
        # looked at them again: seven passes over all lines of the run).
        if claimed_lines is None:
            claimed_lines = {letter: letter._get_claimed_lines() for letter in self}
        interest = self._get_claims_interest(first_letters, claimed_lines)
        line_vals = {}
        letter_vals = {}
        units = {}
        fees = {}
        for letter in self:
            lines = claimed_lines[letter]
            move_ids = set(lines.move_id.ids)
            history = [
                row
                for _index, row in sorted(
                    item
                    for move_id in move_ids
                    for item in history_by_move.get(move_id, ())
                )
            ]
            policy = letter.policy_id
            is_first = letter._is_first_letter(first_letters, lines)
            compensation_lines = letter._get_compensation_lines(
                first_letters, claimed, lines
            )
            unit = 0.0
            if compensation_lines:
                key = (letter.currency_id, letter.company_id, letter.date)
                if key not in units:
                    units[key] = letter._get_compensation_amount()
                unit = units[key]
            fee = 0.0
            fee_lines = letter._get_fee_lines(first_letters, lines)
            if not is_first and fee_lines:
                key = (letter.level_id, letter.currency_id, letter.date)
                if key not in fees:
                    fees[key] = letter._get_fee_amount()
                fee = fees[key]
            per_letter = policy.compensation_mode == "letter"
            if per_letter:
                compensation_now = unit
            else:
                compensation_now = unit * len(compensation_lines & fee_lines)
            fee_offset = letter._get_fee_offset(
                fee, fee_lines, history, compensation_now
            )
            previous = letter._get_previous_costs(history, move_ids)
            for line in letter.line_ids - lines:
                line_vals[line] = dict.fromkeys(
                    (
                        "interest_amount",
                        "interest_points",
                        "compensation_amount",
                    ),
                    0.0,
                ) | {
                    "interest_date_from": False,
                    "interest_date_to": False,
                    "interest_segments": [],
                }
            for line in lines:
                result = interest.get(line)
                segments = result["segments"] if result else []
                line_vals[line] = {
                    "interest_amount": result["amount"] if result else 0.0,
                    "interest_date_from": (
                        segments[0]["date_from"] if segments else False
                    ),
                    "interest_date_to": segments[-1]["date_to"] if segments else False,
                    "interest_points": result["points"] if result else 0.0,
                    "interest_segments": [
                        dict(
                            segment,
                            date_from=fields.Date.to_string(segment["date_from"]),
                            date_to=fields.Date.to_string(segment["date_to"]),
                        )
                        for segment in segments
                    ],
                    "compensation_amount": (
                        unit if line in compensation_lines and not per_letter else 0.0
                    ),
                }
            letter_vals[letter] = {
                "is_first_letter": is_first,
                "fee_amount": fee,
                "fee_offset_amount": fee_offset,
                "previous_costs_amount": letter.currency_id.round(
                    sum(cost["amount"] for cost in previous)
                ),
                "previous_costs": previous or False,
                "letter_compensation_amount": unit if per_letter else 0.0,
                "interest_waived": policy.waive_interest,
                "compensation_waived": policy.waive_compensation,
                "fees_waived": policy.waive_fees,
                "claims_error": False,
            }
        return line_vals, letter_vals

    def _get_claims_interest(self, first_letters, claimed_lines):
        """``{line: interest result}`` in the letter currency, for the claimed
        lines (``claimed_lines``: ``{letter: lines}``) of letters whose level
        claims interest. Interest already invoiced is not claimed again: it
        starts the day after the invoiced period."""
        # Invoice ids per group, made recordsets at the end: a union per
        # invoice (recordset |) copies the group each time (quadratic).
        groups = defaultdict(list)
        line_keys = {}
        for letter in self.filtered(lambda letter: letter.level_id.apply_interest):
            mode = letter.policy_id.interest_start or "due"
            allowance = letter.policy_id.interest_delivery_days
            for line in claimed_lines[letter]:
                move = line.move_id
                if move.dunning_charge_letter_id:
                    continue
                charged = move.dunning_interest_charged_until
                date_from = charged + timedelta(days=1) if charged else None
                key = (letter.date, date_from, mode, allowance)
                groups[key].append(move.id)
                line_keys[line] = key
        results = {}
        for (date_to, date_from, mode, allowance), move_ids in groups.items():
            moves = self.env["account.move"].browse(list(dict.fromkeys(move_ids)))
            for move_id, result in moves._get_dunning_interest(
                date_to,
                date_from=date_from,
                interest_start=mode,
                delivery_days=allowance,
            ).items():
                results[(date_to, date_from, mode, allowance, move_id)] = result
        return {
            line: line.letter_id._convert_interest(
                results[(*key, line.move_id.id)], line.move_id
            )
            for line, key in line_keys.items()
        }

    def _convert_interest(self, result, move):
        """The interest ``result`` of ``move`` in the letter currency."""
        self.ensure_one()
        if move.currency_id == self.currency_id:
            return result
        segments = [
            dict(
                segment,
                principal=move.currency_id._convert(
                    segment["principal"], self.currency_id, self.company_id, self.date
                ),
                amount=move.currency_id._convert(
                    segment["amount"], self.currency_id, self.company_id, self.date
                ),
            )
            for segment in result["segments"]
        ]
        return dict(
            result,
            segments=segments,
            amount=self.currency_id.round(sum(s["amount"] for s in segments)),
        )

    def _is_first_letter(self, first_letters, lines):
        """Whether none of the letter's invoices (its claimed ``lines``) was
        in a letter sent before: this letter puts the customer in default and
        carries no fee."""
        self.ensure_one()
        return not any(
            first_letters.get(move.id) and first_letters[move.id] < self.date
            for move in lines.move_id
        )

    def _get_fee_lines(self, first_letters, lines):
        """The lines the level's fee is charged for: those of the claimed
        ``lines`` that reached the letter's level (``_get_level_lines``) and
        were in a letter sent before (no fee for the letter that first puts
        the customer in default)."""
        self.ensure_one()
        return self._get_level_lines(lines).filtered(
            lambda line: (
                first_letters.get(line.move_id.id)
                and first_letters[line.move_id.id] < self.date
            )
        )

    def _get_fee_offset(self, fee, fee_lines, history, compensation_now=0.0):
        """The part of ``fee`` credited against the flat compensation claimed
        for the same invoices (§ 288 (5) sentence 3 BGB): fees after default
        are collection costs that the EUR 40 already covers. The credit is the
        compensation claimed now and by earlier sent letters for the fee's
        invoices (per invoice, or the per-letter amounts of the letters that
        listed them), less the fees already credited against it."""
        self.ensure_one()
        currency = self.currency_id
        if (
            currency.is_zero(fee)
            or self.policy_id.waive_fees
            or self.policy_id.waive_compensation
        ):
            return 0.0
        move_ids = set(fee_lines.move_id.ids)
        credit = compensation_now
        letters_seen = set()
        for row in history:
            if row["move_id"] not in move_ids:
                continue
            credit += row["line_compensation"]
            if row["letter_id"] not in letters_seen:
                letters_seen.add(row["letter_id"])
                credit += row["letter_compensation"] - row["fee_offset"]
        return currency.round(max(0.0, min(fee, credit)))

    def _get_previous_costs(self, history, move_ids):
        """The compensation and fees of earlier sent letters about this
        letter's invoices (``move_ids``, those of its claimed lines) that were
        not invoiced (a charges invoice is an open item of its own): they stay
        part of the claim. Interest is not repeated: each letter computes it
        anew up to its own date."""
        self.ensure_one()
        costs = []
        seen = set()
        for row in history:
            if row["charged"] or row["move_id"] not in move_ids:
                continue
            if row["date"] > self.date:
                continue
            amount = self._convert_previous(row["line_compensation"])
            if amount:
                costs.append(self._previous_cost(row, "compensation", amount))
            if row["letter_id"] in seen:
                continue
            seen.add(row["letter_id"])
            for kind, value in (
                ("compensation", row["letter_compensation"]),
                ("fee", row["fee"]),
            ):
                amount = self._convert_previous(value)
                if amount:
                    costs.append(self._previous_cost(row, kind, amount))
        return costs

    def _convert_previous(self, amount):
        """An earlier letter's amount (same customer, same letter currency)
        rounded in this letter's currency."""
        self.ensure_one()
        return self.currency_id.round(float(amount or 0.0))

    @staticmethod
    def _previous_cost(row, kind, amount):
        return {
            "letter": row["name"],
            "letter_id": row["letter_id"],
            "date": fields.Date.to_string(row["date"]),
            "kind": kind,
            "amount": amount,
        }

    def _is_line_in_default(self, line, first_letters):
        """The customer is in default for ``line`` on the letter date: after
        the due date, or (policy) after the first letter sent for it was
        received (its date plus the delivery allowance)."""
        self.ensure_one()
        policy = self.policy_id
        if policy.interest_start in ("letter", "default"):
            start = self.env["account.move"]._get_dunning_default_start(
                policy.interest_start,
                first_letters.get(line.move_id.id),
                policy.interest_delivery_days,
            )
            return bool(start and start < self.date)
        return bool(line.date_due and line.date_due < self.date)

    def _get_compensation_lines(self, first_letters, claimed, lines):
        """The claimed ``lines`` owing the flat compensation (§ 288 (5) BGB):
        business customer in default, level claiming it. It is owed once per
        invoice: not again when a sent letter claimed it (``claimed``: invoice
        ids) or it was invoiced."""
        self.ensure_one()
        if (
            not self.level_id.apply_compensation
            or self.partner_id._is_dunning_consumer()
        ):
            return self.env["account.dunning.letter.line"]
        return lines.filtered(
            lambda line: (
                not line.move_id.dunning_charge_letter_id
                and not line.move_id.dunning_compensation_charged
                and line.move_id.id not in claimed
                and self._is_line_in_default(line, first_letters)
            )
        )

    def _get_compensation_amount(self):
        """EUR 40 in the letter currency, converted on the letter date."""
        self.ensure_one()
        euro = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", COMPENSATION_CURRENCY)], limit=1)
        )
        return euro._convert(
            COMPENSATION_AMOUNT, self.currency_id, self.company_id, self.date
        )

    def _get_fee_amount(self):
        """The level's fee (company currency) in the letter currency."""
        self.ensure_one()
        fee = self.level_id.fee_amount
        if not fee:
            return 0.0
        return self.company_id.currency_id._convert(
            fee, self.currency_id, self.company_id, self.date
        )
