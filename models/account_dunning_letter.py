from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

from . import dunning_sql

LETTER_STATES = [
    ("draft", "Draft"),
    ("to_approve", "To Approve"),
    ("ready", "Ready"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
]
# Flat compensation of § 288 (5) BGB: amount and ISO code of its currency.
COMPENSATION_AMOUNT = 40.0
COMPENSATION_CURRENCY = "EUR"
# Written by the claims computation, frozen once the letter is sent.
CLAIM_LETTER_FIELDS = {
    "fee_amount",
    "letter_compensation_amount",
    "interest_waived",
    "compensation_waived",
    "fees_waived",
    "is_first_letter",
    "fee_offset_amount",
    "previous_costs_amount",
    "previous_costs",
}
CHANNELS = [
    ("email", "E-mail"),
    ("post", "Post"),
    ("phone", "Phone Call"),
]


class AccountDunningLetter(models.Model):
    """One dunning step for one customer: a letter, an e-mail or a call."""

    _name = "account.dunning.letter"
    _description = "Dunning Letter"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/"
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        default=lambda self: self.env.company,
        index=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
    )
    run_id = fields.Many2one(
        "account.dunning.run", readonly=True, index=True, ondelete="set null"
    )
    policy_id = fields.Many2one(
        "account.dunning.policy", readonly=True, check_company=True
    )
    level_id = fields.Many2one(
        "account.dunning.level", required=True, readonly=True, check_company=True
    )
    level_sequence = fields.Integer(related="level_id.sequence")
    segment_id = fields.Many2one("account.dunning.segment", readonly=True)
    tone = fields.Selection(related="level_id.tone", store=True)
    channel = fields.Selection(CHANNELS, required=True, readonly=True, tracking=True)
    channel_note = fields.Char(
        readonly=True,
        help="Why the channel differs from the level's first choice.",
    )
    state = fields.Selection(
        LETTER_STATES,
        required=True,
        default="draft",
        readonly=True,
        tracking=True,
        index=True,
    )
    date = fields.Date(
        required=True, readonly=True, default=fields.Date.context_today, index=True
    )
    payment_deadline = fields.Date(string="New Payment Deadline", readonly=True)
    user_id = fields.Many2one(
        "res.users",
        string="Contact Person",
        readonly=True,
        help="The salesperson or the dunning responsible named in the letter.",
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    line_ids = fields.One2many(
        "account.dunning.letter.line", "letter_id", string="Invoices", readonly=True
    )
    invoice_count = fields.Integer(compute="_compute_amounts", store=True)
    amount_residual = fields.Monetary(
        string="Open Amount", compute="_compute_amounts", store=True
    )
    amount_interest = fields.Monetary(
        string="Interest", compute="_compute_amounts", store=True
    )
    amount_compensation = fields.Monetary(
        string="Flat Compensation", compute="_compute_amounts", store=True
    )
    fee_amount = fields.Monetary(
        string="Dunning Fee",
        readonly=True,
        help="The level's fee; never on the letter that first puts the customer "
        "in default.",
    )
    fee_offset_amount = fields.Monetary(
        string="Fee Credited against Compensation",
        readonly=True,
        help="Part of the dunning fee not claimed because the flat "
        "compensation claimed for the same invoices covers it (§ 288 (5) "
        "sentence 3 BGB).",
    )
    previous_costs_amount = fields.Monetary(
        string="Previously Claimed Costs",
        readonly=True,
        help="Flat compensation and fees of earlier sent letters about the "
        "same invoices that were not invoiced: still part of the total due.",
    )
    previous_costs = fields.Json(
        readonly=True,
        help="The earlier letters' costs behind the previously claimed costs: "
        "[{letter, date, kind, amount}].",
    )
    letter_compensation_amount = fields.Monetary(
        string="Compensation per Letter",
        readonly=True,
        help="Flat compensation claimed once for the whole letter (policy "
        "setting), instead of per invoice.",
    )
    interest_waived = fields.Boolean(
        readonly=True,
        help="The policy waives interest: it is shown but not claimed.",
    )
    compensation_waived = fields.Boolean(
        readonly=True,
        help="The policy waives the flat compensation: it is shown but not claimed.",
    )
    fees_waived = fields.Boolean(
        string="Fee Waived",
        readonly=True,
        help="The policy waives dunning fees: the fee is shown but not claimed.",
    )
    amount_waived = fields.Monetary(
        string="Waived",
        compute="_compute_amounts",
        store=True,
        help="Interest, compensation and fees shown on the letter but not claimed.",
    )
    amount_charges = fields.Monetary(
        string="Charges",
        compute="_compute_amounts",
        store=True,
        help="Interest, compensation and fees claimed (without waived amounts).",
    )
    amount_total_due = fields.Monetary(
        string="Total Due", compute="_compute_amounts", store=True
    )
    is_first_letter = fields.Boolean(
        string="First Letter of the Claim",
        readonly=True,
        help="None of the invoices was in a letter sent before: this letter puts "
        "the customer in default, so it carries no dunning fee.",
    )
    claims_frozen = fields.Boolean(
        readonly=True,
        copy=False,
        help="The letter was sent: its interest, compensation and fees are final.",
    )
    claims_error = fields.Text(
        readonly=True,
        copy=False,
        help="Why interest could not be computed; the letter cannot be sent "
        "before its claims are recomputed.",
    )
    charge_move_id = fields.Many2one(
        "account.move",
        string="Charges Invoice",
        readonly=True,
        copy=False,
        check_company=True,
        help="Customer invoice of the interest, compensation and fees claimed "
        "by this letter.",
    )
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    approved_date = fields.Datetime(readonly=True, copy=False)

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "The letter reference must be unique per company.",
        ),
    ]

    def init(self):
        # A database-level guarantee that two concurrent runs cannot both
        # create a letter for the same customer on the same day.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS account_dunning_letter_partner_day_uniq
                ON account_dunning_letter (company_id, partner_id, date)
             WHERE state != 'cancel'
            """
        )

    @api.depends(
        "line_ids.amount_residual",
        "line_ids.interest_amount",
        "line_ids.compensation_amount",
        "line_ids.notified_letter_id",
        "fee_amount",
        "fee_offset_amount",
        "previous_costs_amount",
        "letter_compensation_amount",
        "interest_waived",
        "compensation_waived",
        "fees_waived",
    )
    def _compute_amounts(self):
        for letter, vals in self._get_amount_values().items():
            letter.update(vals)

    def _get_amount_values(self):
        """``{letter: {total: value}}`` of the totals ``_compute_amounts``
        stores, computed without assigning them."""
        # The lines of all letters read at once: after the run's bulk write
        # of their claims each letter's lines would be read by a query of
        # their own (one per letter).
        lines = self.line_ids
        self.env["account.dunning.letter.line"].browse(
            [line_id for line_id in lines._ids if isinstance(line_id, int)]
        ).fetch(
            [
                "amount_residual",
                "interest_amount",
                "compensation_amount",
                "notified_letter_id",
            ]
        )
        result = {}
        for letter in self:
            lines = letter._get_claimed_lines()
            currency = letter.currency_id
            interest = currency.round(sum(lines.mapped("interest_amount")))
            compensation = currency.round(
                sum(lines.mapped("compensation_amount"))
                + letter.letter_compensation_amount
            )
            residual = currency.round(sum(lines.mapped("amount_residual")))
            waived = (
                (interest if letter.interest_waived else 0.0)
                + (compensation if letter.compensation_waived else 0.0)
                + (letter.fee_amount if letter.fees_waived else 0.0)
            )
            charges = currency.round(
                interest
                + compensation
                + letter.fee_amount
                - letter.fee_offset_amount
                + letter.previous_costs_amount
                - waived
            )
            result[letter] = {
                "invoice_count": len(lines),
                "amount_residual": residual,
                "amount_interest": interest,
                "amount_compensation": compensation,
                "amount_waived": currency.round(waived),
                "amount_charges": charges,
                "amount_total_due": currency.round(residual + charges),
            }
        return result

    def _store_amounts(self):
        """Compute and store the totals of ``self`` with one ``UPDATE`` (the
        dunning run's new letters): the same values as ``_compute_amounts``,
        without an ORM write per letter and field."""
        totals = [self._fields[name] for name in self._get_total_fields()]
        values = self._get_amount_values()
        for field in totals:
            self.env.remove_to_compute(field, self)
        dunning_sql.sql_update_rows(
            self, {letter.id: vals for letter, vals in values.items()}
        )

    @api.model
    def _get_total_fields(self):
        """The stored totals ``_compute_amounts`` computes."""
        return [
            name
            for name, field in self._fields.items()
            if field.compute == "_compute_amounts"
        ]

    def _get_claimed_lines(self):
        """The lines this letter claims: all but the invoices already
        notified by an earlier letter (shown apart, without charges)."""
        self.ensure_one()
        return self.line_ids.filtered(lambda line: not line.notified_letter_id)

    def _get_level_lines(self):
        """The claimed lines that reached the letter's own level: the fee and
        the next step the level announces belong to them."""
        self.ensure_one()
        return self._get_claimed_lines().filtered(
            lambda line: line.escalated and line.level_id == self.level_id
        )

    def _get_interest_breakdown(self):
        """Per line, the interest periods behind ``interest_amount``.

        Returns ``{line_id: [{"date_from", "date_to", "days", "base_rate",
        "rate", "principal", "amount"}, ...]}`` (amounts in the letter
        currency, frozen with the letter) for letters and the UI to show.
        """
        return {line.id: line._get_interest_segments() for line in self.line_ids}

    @api.model_create_multi
    def create(self, vals_list):
        unnamed = defaultdict(list)
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                unnamed[vals.get("company_id") or self.env.company.id].append(vals)
        for company_id, company_vals in unnamed.items():
            company = self.env["res.company"].browse(company_id)
            names = self._next_names(company, len(company_vals))
            for vals, name in zip(company_vals, names, strict=True):
                vals["name"] = name
        return super().create(vals_list)

    @api.model
    def _create_from_run(self, vals_list):
        """Create the letters of a dunning run. They get no "created" note
        each (one chatter message per letter took a third of a run): they
        name the run that created them, and their chatter starts with their
        sending or printing."""
        return (
            self.with_context(mail_create_nolog=True)
            .create(vals_list)
            .with_env(self.env)
        )

    @api.model
    def _next_names(self, company, count):
        """``count`` references from the letter sequence of ``company``, as
        ``ir.sequence.next_by_code`` would give them, with a few queries for
        the whole batch (next_by_code costs three queries per letter, which
        dominated large dunning runs)."""
        sequence = self.env["ir.sequence"].search(
            [
                ("code", "=", "account.dunning.letter"),
                ("company_id", "in", [company.id, False]),
            ],
            order="company_id",
            limit=1,
        )
        if not sequence:
            return ["/"] * count
        if sequence.implementation != "standard":
            # No-gap sequences lock a row per number: keep the standard path.
            return [sequence._next() for _index in range(count)]
        sequence_name = f"ir_sequence_{sequence.id:03d}"
        if sequence.use_date_range:
            day = self.env.context.get("ir_sequence_date", fields.Date.today())
            date_range = self.env["ir.sequence.date_range"].search(
                [
                    ("sequence_id", "=", sequence.id),
                    ("date_from", "<=", day),
                    ("date_to", ">=", day),
                ],
                limit=1,
            ) or sequence._create_date_range_seq(day)
            sequence_name = f"{sequence_name}_{date_range.id:03d}"
            sequence = sequence.with_context(
                ir_sequence_date_range=date_range.date_from
            )
        numbers = self.env.execute_query(
            SQL(
                "SELECT nextval(%s) FROM generate_series(1, %s) ORDER BY 1",
                sequence_name,
                count,
            )
        )
        return [sequence.get_next_char(number) for (number,) in numbers]

    def write(self, vals):
        if CLAIM_LETTER_FIELDS.intersection(vals) and any(
            letter.claims_frozen for letter in self
        ):
            raise UserError(
                self.env._(
                    "The interest, compensation and fees of a sent dunning letter "
                    "cannot be changed."
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        if any(letter.state == "done" for letter in self):
            raise UserError(
                self.env._("A dunning letter that was sent cannot be deleted.")
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _check_manager(self):
        if not self.env.user.has_group(
            "account_relationship_dunning.group_dunning_manager"
        ):
            raise UserError(
                self.env._("Only a dunning manager can approve dunning letters.")
            )

    def action_approve(self):
        self._check_manager()
        for letter in self:
            if letter.state != "to_approve":
                raise UserError(
                    self.env._(
                        "Letter %(name)s is not waiting for approval.",
                        name=letter.name,
                    )
                )
        self.write(
            {
                "state": "ready",
                "approved_by_id": self.env.uid,
                "approved_date": fields.Datetime.now(),
            }
        )
        return True

    def action_cancel(self):
        for letter in self:
            if letter.state == "done":
                raise UserError(
                    self.env._(
                        "Letter %(name)s was already sent and cannot be cancelled.",
                        name=letter.name,
                    )
                )
        to_revert = self.filtered(lambda letter: letter.state != "cancel")
        to_revert.write({"state": "cancel"})
        to_revert.line_ids._revert_invoice_levels()
        return True

    def action_mark_done(self):
        for letter in self:
            if letter.state != "ready":
                raise UserError(
                    self.env._(
                        "Letter %(name)s must be ready (approved) before it is "
                        "marked as sent.",
                        name=letter.name,
                    )
                )
        self.write({"state": "done"})
        self._on_done()
        return True

    def _on_done(self):
        """Called once letters are sent (state done): freeze amounts, post
        charges, archive documents. Extended by the claims and letters code.
        Safe to call more than once."""
        self._freeze_claims()
        return True

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.line_ids.move_id.ids)]
        action["context"] = {"default_move_type": "out_invoice"}
        return action

    def action_compute_claims(self):
        """Recompute interest, compensation and fees of unsent letters (e.g.
        after a payment or a base-rate correction)."""
        frozen = self.filtered("claims_frozen")
        if frozen:
            raise UserError(
                self.env._(
                    "Letter %(name)s was sent: its claims are final.",
                    name=frozen[0].name,
                )
            )
        self._compute_claims()
        return True

    def action_view_charge_move(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action.update(
            {"view_mode": "form", "views": [(False, "form")]},
            res_id=self.charge_move_id.id,
        )
        return action

    # ------------------------------------------------------------------
    # Claims: interest, flat compensation, fees
    # ------------------------------------------------------------------
    def _compute_claims(self):
        """Compute and store the claims of unsent letters, set-based."""
        self.fetch(["claims_frozen", "state"])
        letters = self.filtered(
            lambda letter: not letter.claims_frozen and letter.state != "cancel"
        )
        if not letters:
            return True
        line_vals, letter_vals = letters._prepare_claims_values()
        # Different values per line: one bulk UPDATE instead of one write()
        # per line (48,000 writes in a run over 50,000 invoices).
        self.env["account.dunning.letter.line"]._bulk_write(line_vals)
        # Most letters share their values: one write per distinct set.
        groups = defaultdict(list)
        distinct = {}
        for letter, vals in letter_vals.items():
            if vals.get("previous_costs"):
                distinct[letter.id] = vals
                continue
            groups[tuple(sorted(vals.items(), key=lambda item: item[0]))].append(
                letter.id
            )
        for vals, ids in groups.items():
            self.browse(ids).write(dict(vals))
        # Letters carrying the costs of earlier letters each have values of
        # their own: one UPDATE for them, not one write() per letter.
        dunning_sql.sql_update_rows(self, distinct)
        return True

    def _prepare_claims_values(self):
        """``({line: vals}, {letter: vals})`` of the claims of ``self``."""
        moves = self.line_ids.move_id
        # The invoices' dunning state for all letters at once (read per
        # letter otherwise: one query per letter).
        moves.fetch(["dunning_charge_letter_id"])
        moves.mapped("dunning_interest_charged_until")
        first_letters = moves._get_dunning_first_letter_dates()
        claimed = moves._get_dunning_compensation_claimed(exclude_letters=self)
        # The cost history by invoice, in its order: each letter looks at
        # the rows of its own invoices only (not at all rows of all letters).
        history_by_move = defaultdict(list)
        for index, row in enumerate(
            moves._get_dunning_cost_history(exclude_letters=self)
        ):
            history_by_move[row["move_id"]].append((index, row))
        interest = self._get_claims_interest(first_letters)
        line_vals = {}
        letter_vals = {}
        units = {}
        fees = {}
        for letter in self:
            history = [
                row
                for _index, row in sorted(
                    item
                    for move_id in set(letter._get_claimed_lines().move_id.ids)
                    for item in history_by_move.get(move_id, ())
                )
            ]
            policy = letter.policy_id
            is_first = letter._is_first_letter(first_letters)
            compensation_lines = letter._get_compensation_lines(first_letters, claimed)
            unit = 0.0
            if compensation_lines:
                key = (letter.currency_id, letter.company_id, letter.date)
                if key not in units:
                    units[key] = letter._get_compensation_amount()
                unit = units[key]
            fee = 0.0
            fee_lines = letter._get_fee_lines(first_letters)
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
            previous = letter._get_previous_costs(history)
            for line in letter.line_ids - letter._get_claimed_lines():
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
            for line in letter._get_claimed_lines():
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

    def _get_claims_interest(self, first_letters):
        """``{line: interest result}`` in the letter currency, for the lines of
        letters whose level claims interest. Interest already invoiced is not
        claimed again: it starts the day after the invoiced period."""
        # Invoice ids per group, made recordsets at the end: a union per
        # invoice (recordset |) copies the group each time (quadratic).
        groups = defaultdict(list)
        line_keys = {}
        for letter in self.filtered(lambda letter: letter.level_id.apply_interest):
            mode = letter.policy_id.interest_start or "due"
            allowance = letter.policy_id.interest_delivery_days
            for line in letter._get_claimed_lines():
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

    def _is_first_letter(self, first_letters):
        """Whether none of the letter's invoices was in a letter sent before:
        this letter puts the customer in default and carries no fee."""
        self.ensure_one()
        return not any(
            first_letters.get(move.id) and first_letters[move.id] < self.date
            for move in self._get_claimed_lines().move_id
        )

    def _get_fee_lines(self, first_letters):
        """The lines the level's fee is charged for: those that reached the
        letter's level and were in a letter sent before (no fee for the
        letter that first puts the customer in default)."""
        self.ensure_one()
        return self._get_level_lines().filtered(
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

    def _get_previous_costs(self, history):
        """The compensation and fees of earlier sent letters about this
        letter's invoices that were not invoiced (a charges invoice is an
        open item of its own): they stay part of the claim. Interest is not
        repeated: each letter computes it anew up to its own date."""
        self.ensure_one()
        move_ids = set(self._get_claimed_lines().move_id.ids)
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

    def _get_compensation_lines(self, first_letters, claimed=frozenset()):
        """Lines owing the flat compensation (§ 288 (5) BGB): business
        customer in default, level claiming it. It is owed once per invoice:
        not again when a sent letter claimed it (``claimed``: invoice ids) or
        it was invoiced."""
        self.ensure_one()
        if (
            not self.level_id.apply_compensation
            or self.partner_id._is_dunning_consumer()
        ):
            return self.env["account.dunning.letter.line"]
        return self._get_claimed_lines().filtered(
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

    # ------------------------------------------------------------------
    # Freezing and invoicing the claims of sent letters
    # ------------------------------------------------------------------
    def _freeze_claims(self):
        """Make the claims of sent letters final and, when the policy says
        so, invoice them. Idempotent: frozen letters are left alone."""
        letters = self.filtered(
            lambda letter: letter.state == "done" and not letter.claims_frozen
        )
        if not letters:
            return True
        for letter in letters.filtered("claims_error"):
            raise UserError(
                self.env._(
                    "The interest of letter %(name)s could not be computed: "
                    "%(error)s Recompute its claims before sending it.",
                    name=letter.name,
                    error=letter.claims_error,
                )
            )
        to_charge = letters.filtered(
            lambda letter: (
                letter.policy_id.charge_invoice
                and not letter.charge_move_id
                and not letter.currency_id.is_zero(
                    letter.amount_charges - letter.previous_costs_amount
                )
            )
        )
        letters._check_claims_not_repeated()
        to_charge._create_charge_moves()
        letters.write({"claims_frozen": True})
        return True

    def _check_claims_not_repeated(self):
        """Refuse to claim invoiced interest days or a flat compensation a
        second time, e.g. when an older unsent letter is sent after a newer
        one (also between the letters of ``self``)."""
        moves = self.line_ids.move_id
        claimed = moves._get_dunning_compensation_claimed(exclude_letters=self)
        claimed |= set(moves.filtered("dunning_compensation_charged").ids)
        charged_until = {move: move.dunning_interest_charged_until for move in moves}
        for letter in self.sorted(lambda letter: (letter.date, letter.id)):
            invoices = letter.line_ids.move_id.filtered(
                lambda move: not move.dunning_charge_letter_id
            )
            if (
                not letter.compensation_waived
                and letter.letter_compensation_amount
                and invoices
                and set(invoices.ids) <= claimed
            ):
                letter._raise_repeated_claim(invoices[0])
            for line in letter.line_ids:
                move = line.move_id
                charged = charged_until[move]
                if (
                    line.interest_amount
                    and charged
                    and line.interest_date_from <= charged
                ):
                    raise UserError(
                        self.env._(
                            "Letter %(letter)s claims interest on %(invoice)s from "
                            "%(date)s, but the interest up to %(charged)s was "
                            "already invoiced. Recompute the letter's claims "
                            "before sending it.",
                            letter=letter.name,
                            invoice=move.name,
                            date=format_date(self.env, line.interest_date_from),
                            charged=format_date(self.env, charged),
                        )
                    )
                if (
                    not letter.compensation_waived
                    and line.compensation_amount
                    and move.id in claimed
                ):
                    letter._raise_repeated_claim(move)
                if (
                    letter.policy_id.charge_invoice
                    and not letter.interest_waived
                    and line.interest_amount
                ):
                    charged_until[move] = line.interest_date_to
            if not letter.compensation_waived:
                if letter.letter_compensation_amount:
                    claimed |= set(invoices.ids)
                claimed |= set(
                    letter.line_ids.filtered("compensation_amount").move_id.ids
                )

    def _raise_repeated_claim(self, move):
        self.ensure_one()
        raise UserError(
            self.env._(
                "The flat compensation for %(invoice)s was already claimed by a "
                "letter that was sent. Recompute the claims of letter %(letter)s "
                "before sending it.",
                letter=self.name,
                invoice=move.name,
            )
        )

    def _create_charge_moves(self):
        """Post one customer invoice per letter with its claimed charges and
        record on the invoices what was charged."""
        moves = self.env["account.move"]
        letters = self.browse()
        for company, company_letters in self.grouped("company_id").items():
            moves |= (
                self.env["account.move"]
                .with_company(company)
                .create(
                    [letter._prepare_charge_move_vals() for letter in company_letters]
                )
            )
            letters |= company_letters
        moves.action_post()
        charged_until = {}
        compensated = []
        for letter, move in zip(letters, moves, strict=True):
            letter.charge_move_id = move
            if not letter.interest_waived:
                for line in letter.line_ids.filtered("interest_amount"):
                    invoice = line.move_id
                    charged_until[invoice] = max(
                        filter(
                            None,
                            [
                                line.interest_date_to,
                                charged_until.get(invoice),
                                invoice.dunning_interest_charged_until,
                            ],
                        )
                    )
            if not letter.compensation_waived:
                if letter.letter_compensation_amount:
                    compensated += letter.line_ids.move_id.filtered(
                        lambda invoice: not invoice.dunning_charge_letter_id
                    ).ids
                compensated += letter.line_ids.filtered(
                    "compensation_amount"
                ).move_id.ids
        by_date = defaultdict(list)
        for invoice, until in charged_until.items():
            by_date[until].append(invoice.id)
        for until, invoice_ids in by_date.items():
            self.env["account.move"].browse(invoice_ids).write(
                {"dunning_interest_charged_until": until}
            )
        self.env["account.move"].browse(list(dict.fromkeys(compensated))).write(
            {"dunning_compensation_charged": True}
        )
        return moves

    def _get_charge_journal(self):
        self.ensure_one()
        journal = self.policy_id.charge_journal_id or self.env[
            "account.journal"
        ].search(
            [
                *self.env["account.journal"]._check_company_domain(self.company_id),
                ("type", "=", "sale"),
            ],
            limit=1,
        )
        if not journal:
            raise UserError(
                self.env._(
                    "Company %(company)s has no sales journal for the charges of "
                    "dunning letter %(letter)s.",
                    company=self.company_id.name,
                    letter=self.name,
                )
            )
        return journal

    def _prepare_charge_move_vals(self):
        self.ensure_one()
        today = fields.Date.context_today(self)
        return {
            "move_type": "out_invoice",
            "company_id": self.company_id.id,
            "partner_id": self.partner_id.id,
            "journal_id": self._get_charge_journal().id,
            "currency_id": self.currency_id.id,
            "invoice_date": today,
            "invoice_payment_term_id": False,
            "invoice_date_due": max(self.payment_deadline or today, today),
            "invoice_origin": self.name,
            "dunning_charge_letter_id": self.id,
            "invoice_line_ids": [
                Command.create(vals) for vals in self._prepare_charge_line_vals()
            ],
        }

    def _prepare_charge_line_vals(self):
        """Invoice lines of the claimed (not waived) charges, labelled in the
        customer's language. Default interest, compensation and dunning fees
        are damages, not consideration for a supply: no taxes."""
        self.ensure_one()
        env = self.with_context(lang=self.partner_id.lang).env
        policy = self.policy_id
        currency = self.currency_id
        vals_list = []

        def charge(name, amount, product, account):
            vals = {
                "name": name,
                "quantity": 1.0,
                "price_unit": amount,
                "tax_ids": [Command.clear()],
            }
            if product:
                vals["product_id"] = product.id
            if account:
                vals["account_id"] = account.id
            vals_list.append(vals)

        if not self.interest_waived:
            for line in self.line_ids:
                if currency.is_zero(line.interest_amount):
                    continue
                charge(
                    env._(
                        "Default interest on %(invoice)s from %(date_from)s to "
                        "%(date_to)s (%(points)s points above the base rate)",
                        invoice=line.move_name,
                        date_from=format_date(env, line.interest_date_from),
                        date_to=format_date(env, line.interest_date_to),
                        points=f"{line.interest_points:g}",
                    ),
                    line.interest_amount,
                    policy.interest_product_id,
                    policy.interest_account_id,
                )
        if not self.compensation_waived:
            for line in self.line_ids:
                if currency.is_zero(line.compensation_amount):
                    continue
                charge(
                    env._(
                        "Flat compensation (§ 288 (5) BGB) for %(invoice)s",
                        invoice=line.move_name,
                    ),
                    line.compensation_amount,
                    policy.fee_product_id,
                    policy.fee_account_id,
                )
            if not currency.is_zero(self.letter_compensation_amount):
                charge(
                    env._(
                        "Flat compensation (§ 288 (5) BGB), dunning letter %(letter)s",
                        letter=self.name,
                    ),
                    self.letter_compensation_amount,
                    policy.fee_product_id,
                    policy.fee_account_id,
                )
        net_fee = self.fee_amount - self.fee_offset_amount
        if not self.fees_waived and not currency.is_zero(net_fee):
            charge(
                env._("Dunning fee, letter %(letter)s", letter=self.name),
                net_fee,
                policy.fee_product_id,
                policy.fee_account_id,
            )
        return vals_list
