from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

LETTER_STATES = [
    ("draft", "Draft"),
    ("to_approve", "To Approve"),
    ("ready", "Ready"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
]
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
    letter_compensation_amount = fields.Monetary(
        string="Compensation per Letter",
        readonly=True,
        help="Flat compensation claimed once for the whole letter (policy "
        "setting), instead of per invoice.",
    )
    amount_total_due = fields.Monetary(
        string="Total Due", compute="_compute_amounts", store=True
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
        "fee_amount",
        "letter_compensation_amount",
    )
    def _compute_amounts(self):
        for letter in self:
            lines = letter.line_ids
            letter.invoice_count = len(lines)
            letter.amount_residual = sum(lines.mapped("amount_residual"))
            letter.amount_interest = sum(lines.mapped("interest_amount"))
            letter.amount_compensation = (
                sum(lines.mapped("compensation_amount"))
                + letter.letter_compensation_amount
            )
            letter.amount_total_due = letter.currency_id.round(
                letter.amount_residual
                + letter.amount_interest
                + letter.amount_compensation
                + letter.fee_amount
            )

    def _get_interest_breakdown(self):
        """Per line, the interest periods behind ``interest_amount``.

        Returns ``{line_id: [{"date_from", "date_to", "days", "rate",
        "principal", "amount"}, ...]}`` for letters and the UI to show.
        """
        return {line.id: [] for line in self.line_ids}

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
        charges, archive documents. Extended by the claims and letters code."""
        return True

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.line_ids.move_id.ids)]
        action["context"] = {"default_move_type": "out_invoice"}
        return action
