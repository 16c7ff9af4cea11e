from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

HANDOVER_STATES = [
    ("draft", "Draft"),
    ("handed_over", "Handed Over"),
    ("closed", "Closed"),
    ("cancel", "Cancelled"),
]
CHANNELS = [
    ("court", "Court dunning"),
    ("agency", "Collection agency"),
]
OUTCOMES = [
    ("paid", "Paid"),
    ("partly_paid", "Partly paid"),
    ("written_off", "Written off"),
    ("title_obtained", "Enforceable title obtained"),
]
# Default interest (§ 288 BGB): points over the base rate.
INTEREST_POINTS_B2B = 9.0
INTEREST_POINTS_CONSUMER = 5.0
# Payment plan states that block a handover (the plan is being honoured).
PLAN_BLOCKING_STATES = ("proposed", "active")

# The CSV export: one row per invoice, ";"-separated, UTF-8, header line with
# these column names. Dates are ISO 8601 (YYYY-MM-DD), amounts use a decimal
# point and the currency's decimal places. A letter's fee and its per-letter
# compensation are put on the row of the letter's earliest-due invoice in the
# handover, so that the rows add up to the itemised costs.
CSV_COLUMNS = [
    "creditor_name",  # the company
    "creditor_address",  # street, zip city, country (one line)
    "debtor_name",
    "debtor_address",
    "debtor_legal_form",  # e.g. GmbH; "natural person" for individuals
    "claim_type_code",  # court dunning catalogue number (11 purchase contract)
    "claim_type",  # name of the claim type
    "invoice_number",
    "invoice_date",
    "due_date",
    "open_principal",  # open amount of the invoice at the handover
    "interest_points",  # default interest: points over the base rate
    "interest_from",  # interest runs from this day (day after the due date)
    "fees",  # dunning fees of the letters sent (pre-court costs)
    "compensation",  # flat compensation § 288 (5) BGB claimed in the letters
    "currency",  # ISO code
]
CSV_DELIMITER = ";"


class AccountDunningHandover(models.Model):
    """A claim handed over to court dunning or a collection agency.

    It holds what an application needs: parties, claim type, invoices with open
    principal, interest as points over the base rate from a date, and the
    pre-court costs of the letters sent. Its invoices are skipped by the
    dunning run until the outcome is recorded.

    This file: fields, CRUD, actions. The checks and the claim snapshot are in
    ``account_dunning_handover_claim.py``, the exports in
    ``account_dunning_handover_export.py``.
    """

    _name = "account.dunning.handover"
    _description = "Legal Handover"
    _inherit = ["account.dunning.case.mixin"]
    _order = "id desc"

    _dunning_blocks_invoices = True
    _dunning_block_priority = 10

    # name, company_id: see account.dunning.case.mixin
    partner_id = fields.Many2one(string="Debtor")
    channel = fields.Selection(CHANNELS, required=True, default="court", tracking=True)
    agency_id = fields.Many2one(
        "res.partner",
        string="Collection Agency",
        compute="_compute_agency_id",
        store=True,
        readonly=False,
        tracking=True,
    )
    state = fields.Selection(
        HANDOVER_STATES,
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    move_ids = fields.Many2many(
        "account.move",
        "account_dunning_handover_move_rel",
        "handover_id",
        "move_id",
        string="Invoices",
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('payment_state', 'in', ('not_paid', 'partial')), "
        "('commercial_partner_id', '=', partner_id)]",
    )
    user_id = fields.Many2one(
        string="Handed Over By",
        readonly=True,
        copy=False,
        default=None,
        tracking=False,
        domain=None,
    )
    date_handover = fields.Date(readonly=True, copy=False, tracking=True)
    date_filed = fields.Date(
        string="Application Filed",
        copy=False,
        tracking=True,
        help="Date the court dunning application was filed; limitation is "
        "suspended from this day until 6 months after the proceedings end.",
    )
    date_deadline = fields.Date(
        string="Next Deadline",
        tracking=True,
        help="The dunning manager who handed the claim over gets an activity "
        "for this date.",
    )
    creditor_name = fields.Char(readonly=True, copy=False)
    creditor_address = fields.Char(readonly=True, copy=False)
    debtor_name = fields.Char(readonly=True, copy=False)
    debtor_address = fields.Char(readonly=True, copy=False)
    debtor_legal_form = fields.Char(readonly=True, copy=False)
    interest_points = fields.Float(
        string="Interest (points over base rate)", readonly=True, copy=False
    )
    line_ids = fields.One2many(
        "account.dunning.handover.line", "handover_id", string="Claims", readonly=True
    )
    cost_ids = fields.One2many(
        "account.dunning.handover.cost",
        "handover_id",
        string="Pre-court Costs",
        readonly=True,
    )
    letter_ids = fields.Many2many(
        "account.dunning.letter",
        "account_dunning_handover_letter_rel",
        "handover_id",
        "letter_id",
        string="Letters Sent",
        readonly=True,
        copy=False,
    )
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id", store=True, readonly=True
    )
    amount_principal = fields.Monetary(
        string="Open Principal", compute="_compute_amounts", store=True
    )
    amount_fees = fields.Monetary(
        string="Dunning Fees", compute="_compute_amounts", store=True
    )
    amount_compensation = fields.Monetary(compute="_compute_amounts", store=True)
    amount_total = fields.Monetary(
        string="Total Claimed",
        compute="_compute_amounts",
        store=True,
        help="Principal and pre-court costs, without interest.",
    )
    outcome = fields.Selection(OUTCOMES, copy=False, tracking=True)
    amount_recovered = fields.Monetary(copy=False, tracking=True)
    outcome_note = fields.Text()
    date_closed = fields.Date(readonly=True, copy=False, tracking=True)
    suspension_ids = fields.One2many(
        "account.dunning.suspension",
        "handover_id",
        string="Limitation Suspensions",
        readonly=True,
    )

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "The handover reference must be unique per company.",
        ),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("channel", "company_id")
    def _compute_agency_id(self):
        for handover in self:
            if handover.channel == "agency" and not handover.agency_id:
                handover.agency_id = handover.company_id.dunning_collection_agency_id
            elif handover.channel != "agency":
                handover.agency_id = False

    @api.depends("move_ids.currency_id", "company_id")
    def _compute_currency_id(self):
        for handover in self:
            handover.currency_id = (
                handover.move_ids[:1].currency_id or handover.company_id.currency_id
            )

    @api.depends("line_ids.amount_principal", "cost_ids.amount", "cost_ids.kind")
    def _compute_amounts(self):
        for handover in self:
            principal = sum(handover.line_ids.mapped("amount_principal"))
            costs = handover.cost_ids.grouped("kind")
            no_cost = handover.cost_ids.browse()
            fees = sum(costs.get("fee", no_cost).mapped("amount"))
            compensation = sum(costs.get("compensation", no_cost).mapped("amount"))
            handover.amount_principal = principal
            handover.amount_fees = fees
            handover.amount_compensation = compensation
            handover.amount_total = handover.currency_id.round(
                principal + fees + compensation
            )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        handovers = super().create(vals_list)
        handovers._schedule_deadline_activity()
        return handovers

    def write(self, vals):
        if "move_ids" in vals and any(h.state != "draft" for h in self):
            raise UserError(
                self.env._("The invoices of a handed-over claim cannot be changed.")
            )
        result = super().write(vals)
        if "date_filed" in vals:
            self._sync_suspensions()
        if {"date_deadline", "state"} & set(vals):
            self._schedule_deadline_activity()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_handed_over(self):
        if any(handover.state not in ("draft", "cancel") for handover in self):
            raise UserError(
                self.env._("A claim that was handed over cannot be deleted.")
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_hand_over(self):
        """Hand the claim over (dunning managers only): snapshot the parties,
        invoices, interest and costs, suspend limitation for court dunning."""
        self._check_manager()
        today = fields.Date.context_today(self)
        for handover in self:
            handover._check_can_hand_over()
            handover.write(handover._prepare_handover_vals(today))
            handover._sync_suspensions()
            handover._post_on_customer_and_invoices(
                self.env._(
                    "Claim handed over to %(channel)s in %(handover)s "
                    "(open principal %(amount)s).",
                    channel=handover._channel_label(),
                    handover=handover._get_html_link(),
                    amount=handover._format_amount(handover.amount_principal),
                )
            )
        return True

    def action_close(self):
        """Record the outcome and close the handover."""
        for handover in self:
            if handover.state != "handed_over":
                raise UserError(
                    self.env._(
                        "Handover %(name)s is not handed over: nothing to close.",
                        name=handover.name,
                    )
                )
            if not handover.outcome:
                raise UserError(
                    self.env._(
                        "Handover %(name)s: choose the outcome (paid, partly paid, "
                        "written off, title obtained) before closing it.",
                        name=handover.name,
                    )
                )
        today = fields.Date.context_today(self)
        for handover in self:
            handover.write({"state": "closed", "date_closed": today})
            handover._sync_suspensions()
            handover._post_on_customer_and_invoices(
                self.env._(
                    "Legal handover %(handover)s closed: %(outcome)s.",
                    handover=handover._get_html_link(),
                    outcome=handover._label("outcome"),
                )
            )
        return True

    def action_cancel(self):
        for handover in self:
            if handover.state != "draft":
                raise UserError(
                    self.env._(
                        "Handover %(name)s was already handed over; record its "
                        "outcome instead of cancelling it.",
                        name=handover.name,
                    )
                )
        self.write({"state": "cancel"})
        return True

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _sync_suspensions(self):
        """Court dunning suspends limitation from the filing date until the
        handover is closed (plus 6 months, see models/limitation.py)."""
        periods = {}
        for handover in self:
            filed = (
                handover.channel == "court"
                and handover.state in ("handed_over", "closed")
                and handover.date_filed
            )
            periods[handover, "court"] = (
                (handover.date_filed, handover.date_closed) if filed else None
            )
        return self._sync_suspension_periods("handover_id", periods)

    def _is_deadline_pending(self):
        self.ensure_one()
        return self.state in ("draft", "handed_over") and bool(self.date_deadline)

    def _get_deadline_summary(self):
        self.ensure_one()
        return self.env._("Deadline of legal handover %(name)s", name=self.name)

    def _get_suspension_name(self, kind, kind_label):
        self.ensure_one()
        return self.env._("Court dunning %(name)s", name=self.name)

    def _channel_label(self):
        self.ensure_one()
        if self.channel == "agency" and self.agency_id:
            return self.agency_id.name
        return self._label("channel")

    # ------------------------------------------------------------------
    # Dunning engine
    # ------------------------------------------------------------------
    @api.model
    def _get_dunning_blocks(self, company, move_ids, date):
        rows = self.env.execute_query(
            SQL(
                """
                SELECT l.move_id, STRING_AGG(h.name, ', ' ORDER BY h.name)
                  FROM account_dunning_handover_line l
                  JOIN account_dunning_handover h ON h.id = l.handover_id
                 WHERE h.company_id = %s
                   AND h.state = 'handed_over'
                   AND l.move_id = ANY(%s)
              GROUP BY l.move_id
                """,
                company.id,
                list(move_ids),
            )
        )
        return {
            move_id: ("legal", self.env._("Handed over in %(names)s", names=names))
            for move_id, names in rows
        }
