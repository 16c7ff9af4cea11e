"""The dunning letter: fields, constraints, amounts and CRUD.

One dunning step for one customer (a letter, an e-mail or a call). The header
fields it shares with disputes, handovers and payment plans (reference,
company, customer) and their helpers come from
``account.dunning.case.mixin``. The letter's other concerns live in files
that inherit this model:

- ``account_dunning_letter_workflow.py``: approve, cancel, mark as sent;
- ``account_dunning_letter_claims.py``: interest, flat compensation, fees;
- ``account_dunning_letter_charges.py``: freezing and invoicing the claims;
- ``account_dunning_letter_document.py``: what the letter says;
- ``account_dunning_letter_archive.py``: rendering and archiving documents;
- ``account_dunning_letter_dispatch.py``: e-mailing and printing for post.
"""

import functools
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_round

from . import dunning_sql

LETTER_STATES = [
    ("draft", "Draft"),
    ("to_approve", "To Approve"),
    ("ready", "Ready"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
]
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
    _inherit = ["account.dunning.case.mixin"]
    _order = "date desc, id desc"

    # name (the reference from the sequence), company_id, partner_id: see
    # account.dunning.case.mixin; the letter never changes them.
    company_id = fields.Many2one(readonly=True)
    partner_id = fields.Many2one(readonly=True)
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
    # Not the case's responsible: the person the letter names as contact,
    # chosen by the run (empty: the letter is signed by the company alone).
    # No default (the run's user must not be named) and no tracking (it
    # would make the contact a follower of every letter).
    user_id = fields.Many2one(
        string="Contact Person",
        readonly=True,
        default=None,
        tracking=False,
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

    def _get_amount_values(self, claims=None, claimed_lines=None):
        """``{letter: {total: value}}`` of the totals ``_compute_amounts``
        stores, computed without assigning them; ``claims`` (``{letter:
        vals}``, see ``_compute_claims``) are claims values not stored yet,
        ``claimed_lines`` (``{letter: lines}``) the claimed lines when the
        caller has them."""
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
        # currency.round() per amount was a tenth of the totals' cost: the
        # same rounding, with the currency's precision read once
        rounders = {}
        for letter in self:
            pending = (claims or {}).get(letter, {})

            def value(name, letter=letter, pending=pending):
                return pending[name] if name in pending else letter[name]

            currency = letter.currency_id
            rnd = rounders.get(currency.id)
            if rnd is None:
                rnd = rounders[currency.id] = functools.partial(
                    float_round, precision_rounding=currency.rounding
                )
            interest = compensation = residual = 0.0
            lines = (
                claimed_lines[letter]
                if claimed_lines is not None
                else letter._get_claimed_lines()
            )
            for line in lines:
                interest += line.interest_amount
                compensation += line.compensation_amount
                residual += line.amount_residual
            interest = rnd(interest)
            compensation = rnd(compensation + value("letter_compensation_amount"))
            residual = rnd(residual)
            fee = value("fee_amount")
            waived = (
                (interest if value("interest_waived") else 0.0)
                + (compensation if value("compensation_waived") else 0.0)
                + (fee if value("fees_waived") else 0.0)
            )
            charges = rnd(
                interest
                + compensation
                + fee
                - value("fee_offset_amount")
                + value("previous_costs_amount")
                - waived
            )
            result[letter] = {
                "invoice_count": len(lines),
                "amount_residual": residual,
                "amount_interest": interest,
                "amount_compensation": compensation,
                "amount_waived": rnd(waived),
                "amount_charges": charges,
                "amount_total_due": rnd(residual + charges),
            }
        return result

    def _store_amounts(self, claims=None):
        """Compute and store the totals of ``self`` with one ``UPDATE`` (the
        dunning run's new letters): the same values as ``_compute_amounts``,
        without an ORM write per letter and field; ``claims`` (``{letter:
        vals}`` not stored yet, see ``_compute_claims``) are stored with
        them."""
        claims = claims or {}
        totals = [self._fields[name] for name in self._get_total_fields()]
        values = self._get_amount_values(claims)
        for field in totals:
            self.env.remove_to_compute(field, self)
        # protected: the claims written with them would mark the totals for
        # recomputation again
        with self.env.protecting(totals, self):
            dunning_sql.sql_update_rows(
                self,
                {
                    letter.id: {**claims.get(letter, {}), **vals}
                    for letter, vals in values.items()
                },
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

    def _get_level_lines(self, claimed_lines=None):
        """The claimed lines (``claimed_lines`` when the caller has them) that
        reached the letter's own level: the fee and the next step the level
        announces belong to them."""
        self.ensure_one()
        if claimed_lines is None:
            claimed_lines = self._get_claimed_lines()
        level = self.level_id
        return claimed_lines.filtered(
            lambda line: line.escalated and line.level_id == level
        )

    def _get_interest_breakdown(self):
        """Per line, the interest periods behind ``interest_amount``.

        Returns ``{line_id: [{"date_from", "date_to", "days", "base_rate",
        "rate", "principal", "amount"}, ...]}`` (amounts in the letter
        currency, frozen with the letter) for letters and the UI to show.
        """
        return {line.id: line._get_interest_segments() for line in self.line_ids}

    def _get_case_moves(self):
        """The invoices the letter lists (see the case mixin's actions)."""
        self.ensure_one()
        return self.line_ids.move_id

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
        # The case mixin opens every case on the commercial partner: read
        # them for the whole batch at once, not one partner per letter.
        self.env["res.partner"].browse(
            list({vals["partner_id"] for vals in vals_list if vals.get("partner_id")})
        ).fetch(["commercial_partner_id"])
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
    def _prepare_from_run(self, vals_list):
        """The rows of the letters of a dunning run (values of stored fields,
        no lines) as create() would store them: the reference, the
        commercial partner, the level's tone. The run computes their claims
        and totals in memory and inserts each letter once
        (``_insert_from_run``)."""
        self._check_letter_create()
        vals_list = [dict(vals) for vals in vals_list]
        by_company = defaultdict(list)
        for vals in vals_list:
            by_company[vals["company_id"]].append(vals)
        for company_id, company_vals in by_company.items():
            names = self._next_names(
                self.env["res.company"].browse(company_id), len(company_vals)
            )
            for vals, name in zip(company_vals, names, strict=True):
                vals["name"] = name
        partners = self.env["res.partner"].browse(
            list({vals["partner_id"] for vals in vals_list})
        )
        commercial = {
            partner.id: partner.commercial_partner_id.id for partner in partners
        }
        levels = self.env["account.dunning.level"].browse(
            list({vals["level_id"] for vals in vals_list})
        )
        tones = {level.id: level.tone for level in levels}
        for vals in vals_list:
            vals["partner_id"] = commercial[vals["partner_id"]]
            vals["tone"] = tones[vals["level_id"]]
        return vals_list

    @api.model
    def _insert_from_run(self, rows):
        """Create the letters of a dunning run from ``_prepare_from_run``
        rows with one INSERT per 10,000 letters: through create() the ORM's
        bookkeeping per letter was most of a run over 5,000 invoices, and
        each letter was then updated for its tone, claims and totals (an
        UPDATE of a row inserted in the same transaction checks all its
        foreign keys again). Like ``_create_from_run`` they get no "created"
        note; they get no followers either (the run's user following
        thousands of letters would be notified of every customer reply)."""
        self._check_letter_create()
        return dunning_sql.sql_insert_rows(self, rows)

    @api.model
    def _next_names(self, company, count):
        """``count`` references from the letter sequence of ``company``:
        exactly those ``ir.sequence.next_by_code`` would give one after the
        other, in a few queries for the whole batch (next_by_code costs three
        queries per letter, which dominated large dunning runs).

        The first number goes through the sequence's own path, which creates
        the date range of a new year as Odoo does; the others are drawn in one
        query from the PostgreSQL sequence behind it. Sequences without gaps
        lock a row per number: they keep the standard path for every number.
        """
        if count <= 0:
            return []
        sequence = self.env["ir.sequence"].search(
            [
                ("code", "=", self._name),
                ("company_id", "in", [company.id, False]),
            ],
            order="company_id",
            limit=1,
        )
        if not sequence:
            return ["/"] * count
        names = [sequence.next_by_id()]
        if sequence.implementation != "standard":
            return names + [sequence.next_by_id() for _index in range(count - 1)]
        if count == 1:
            return names
        sequence_name = f"ir_sequence_{sequence.id:03d}"
        if sequence.use_date_range:
            # the range of the day exists now: the first number created it
            day = self.env.context.get("ir_sequence_date", fields.Date.today())
            date_range = self.env["ir.sequence.date_range"].search(
                [
                    ("sequence_id", "=", sequence.id),
                    ("date_from", "<=", day),
                    ("date_to", ">=", day),
                ],
                limit=1,
            )
            sequence_name = f"{sequence_name}_{date_range.id:03d}"
            sequence = sequence.with_context(
                ir_sequence_date_range=date_range.date_from
            )
        numbers = self.env.execute_query(
            SQL(
                "SELECT nextval(%s) FROM generate_series(1, %s) ORDER BY 1",
                sequence_name,
                count - 1,
            )
        )
        # get_next_char() formats prefix and suffix for every number (their
        # date placeholders: 4,000 references took 2 s); they are the same
        # for the whole batch.
        prefix, suffix = sequence._get_prefix_suffix()
        return names + [
            f"{prefix}{number:0{sequence.padding}d}{suffix}" for (number,) in numbers
        ]

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
