from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError

DISPUTE_STATES = [
    ("open", "Open"),
    ("clarification", "Clarification"),
    ("mediation", "Mediation"),
    ("resolved", "Resolved"),
    ("failed", "Failed"),
    ("cancel", "Cancelled"),
]
OPEN_STATES = ("open", "clarification", "mediation")
# Allowed state changes; every other change is refused.
TRANSITIONS = {
    "open": ("clarification", "mediation", "resolved", "cancel"),
    "clarification": ("mediation", "resolved", "failed", "cancel"),
    "mediation": ("resolved", "failed"),
    "resolved": (),
    "failed": (),
    "cancel": (),
}
REASONS = [
    ("price", "Price"),
    ("quality", "Quality"),
    ("delivery", "Delivery"),
    ("not_ordered", "Not ordered"),
    ("already_paid", "Already paid"),
    ("other", "Other"),
]
OUTCOMES = [
    ("credit_note", "Credit note issued"),
    ("payment_plan", "Payment plan agreed"),
    ("withdrawn", "Customer withdrew"),
    ("partial_waiver", "Partial waiver"),
]
VERDICTS = [
    ("founded", "Customer was right"),
    ("partly", "Partly founded"),
    ("unfounded", "Unfounded"),
]
# Verdict proposed when a dispute closes without one.
DEFAULT_VERDICTS = {
    "credit_note": "founded",
    "partial_waiver": "partly",
    "withdrawn": "unfounded",
    "payment_plan": "unfounded",
    "failed": "unfounded",
}
# Fields whose change moves the limitation suspensions of a dispute.
SUSPENSION_FIELDS = {
    "clarification_start",
    "clarification_end",
    "mediation_start",
    "mediation_end",
}
SCORE_WINDOW_DAYS = 730


class AccountDunningDispute(models.Model):
    """A customer's objection to one or more invoices.

    While it is open (open, clarification, mediation) its invoices are skipped
    by the dunning run; clarification and mediation periods suspend limitation.

    This file: fields, CRUD, state changes. The resolution by credit note or
    payment plan and the dunning hooks are in ``account_dunning_dispute_*.py``.
    """

    _name = "account.dunning.dispute"
    _description = "Dispute"
    _inherit = ["account.dunning.case.mixin"]
    _order = "date_opened desc, id desc"

    # Extension points of the dunning engine and the relationship profile.
    _dunning_blocks_invoices = True
    _dunning_block_priority = 20
    _dunning_reduces_amounts = True
    _dunning_profile_metrics = True

    # name, company_id, partner_id, user_id: see account.dunning.case.mixin
    contact_id = fields.Many2one(
        "res.partner",
        string="Customer Contact",
        domain="[('commercial_partner_id', '=', partner_id)]",
        help="The customer's person who raised or handles the dispute.",
    )
    reason = fields.Selection(REASONS, required=True, default="other", tracking=True)
    description = fields.Text()
    line_ids = fields.One2many(
        "account.dunning.dispute.line", "dispute_id", string="Disputed Invoices"
    )
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        compute="_compute_move_ids",
        inverse="_inverse_move_ids",
        help="Adding an invoice disputes its whole open amount; change the "
        "amount on the line to dispute a part.",
    )
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_amounts", store=True, readonly=True
    )
    amount_disputed = fields.Monetary(compute="_compute_amounts", store=True)
    amount_residual = fields.Monetary(
        string="Open Amount", compute="_compute_amount_residual"
    )
    state = fields.Selection(
        DISPUTE_STATES,
        required=True,
        default="open",
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    is_open = fields.Boolean(compute="_compute_is_open", store=True, index=True)
    date_opened = fields.Date(
        string="Raised On",
        required=True,
        default=fields.Date.context_today,
        tracking=True,
    )
    date_deadline = fields.Date(
        string="Next Deadline",
        tracking=True,
        help="The responsible gets an activity for this date.",
    )
    clarification_start = fields.Date(copy=False, tracking=True)
    clarification_end = fields.Date(copy=False, tracking=True)
    mediator_id = fields.Many2one(
        "res.partner",
        tracking=True,
        help="The mediator or dispute-resolution body.",
    )
    mediation_start = fields.Date(copy=False, tracking=True)
    mediation_end = fields.Date(copy=False, tracking=True)
    mediation_result = fields.Selection(
        [("agreement", "Agreement reached"), ("no_agreement", "No agreement")],
        readonly=True,
        copy=False,
        tracking=True,
    )
    mediation_note = fields.Text(string="Mediation Notes")
    session_ids = fields.One2many(
        "account.dunning.mediation.session", "dispute_id", string="Sessions"
    )
    session_count = fields.Integer(compute="_compute_session_count")
    outcome = fields.Selection(OUTCOMES, copy=False, tracking=True)
    verdict = fields.Selection(
        VERDICTS,
        copy=False,
        tracking=True,
        help="Whether the customer's objection was justified. Disputes the "
        "customer won never lower the relationship score; unfounded ones do "
        "(company setting).",
    )
    resolution_note = fields.Text()
    date_closed = fields.Date(readonly=True, copy=False, tracking=True)
    credit_note_ids = fields.Many2many(
        "account.move",
        "account_dunning_dispute_credit_note_rel",
        "dispute_id",
        "move_id",
        string="Credit Notes",
        readonly=True,
        copy=False,
    )
    credit_note_count = fields.Integer(compute="_compute_credit_note_count")
    suspension_ids = fields.One2many(
        "account.dunning.suspension",
        "dispute_id",
        string="Limitation Suspensions",
        readonly=True,
    )

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "The dispute reference must be unique per company.",
        ),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("line_ids.move_id")
    def _compute_move_ids(self):
        for dispute in self:
            dispute.move_ids = dispute.line_ids.move_id

    def _inverse_move_ids(self):
        for dispute in self:
            current = dispute.line_ids.move_id
            commands = [
                Command.create({"move_id": move.id})
                for move in dispute.move_ids - current
            ]
            commands += [
                Command.delete(line.id)
                for line in dispute.line_ids
                if line.move_id not in dispute.move_ids
            ]
            if commands:
                dispute.line_ids = commands

    @api.depends("line_ids.amount_disputed", "line_ids.currency_id")
    def _compute_amounts(self):
        for dispute in self:
            dispute.currency_id = (
                dispute.line_ids[:1].currency_id or dispute.company_id.currency_id
            )
            dispute.amount_disputed = sum(dispute.line_ids.mapped("amount_disputed"))

    @api.depends("line_ids.amount_residual")
    def _compute_amount_residual(self):
        for dispute in self:
            dispute.amount_residual = sum(dispute.line_ids.mapped("amount_residual"))

    @api.depends("state")
    def _compute_is_open(self):
        for dispute in self:
            dispute.is_open = dispute.state in OPEN_STATES

    def _compute_session_count(self):
        groups = self.env["account.dunning.mediation.session"]._read_group(
            [("dispute_id", "in", self.ids)], ["dispute_id"], ["__count"]
        )
        counts = {dispute.id: count for dispute, count in groups}
        for dispute in self:
            dispute.session_count = counts.get(dispute.id, 0)

    @api.depends("credit_note_ids")
    def _compute_credit_note_count(self):
        for dispute in self:
            dispute.credit_note_count = len(dispute.credit_note_ids)

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("line_ids")
    def _check_lines(self):
        for dispute in self:
            if not dispute.line_ids:
                raise ValidationError(
                    self.env._(
                        "Dispute %(name)s: choose at least one invoice.",
                        name=dispute.name,
                    )
                )
            if len(dispute.line_ids.currency_id) > 1:
                raise ValidationError(
                    self.env._(
                        "Dispute %(name)s: all invoices must be in the same "
                        "currency. Record one dispute per currency.",
                        name=dispute.name,
                    )
                )

    @api.constrains("state", "mediator_id")
    def _check_mediator(self):
        for dispute in self:
            if dispute.state == "mediation" and not dispute.mediator_id:
                raise ValidationError(dispute._mediator_missing_message())

    @api.constrains("date_opened", "clarification_start", "mediation_start")
    def _check_dates(self):
        for dispute in self:
            for start, end in (
                (dispute.clarification_start, dispute.clarification_end),
                (dispute.mediation_start, dispute.mediation_end),
            ):
                if start and end and end < start:
                    raise ValidationError(
                        self.env._(
                            "Dispute %(name)s: a period ends (%(end)s) before it "
                            "starts (%(start)s).",
                            name=dispute.name,
                            end=end,
                            start=start,
                        )
                    )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model
    def default_get(self, fields_list):
        """Turn ``default_move_ids`` (passed by the invoice's "Record Dispute")
        into dispute lines: the form shows and saves the lines, not the
        computed ``move_ids``."""
        values = super().default_get(fields_list)
        move_ids = self.env.context.get("default_move_ids")
        if "line_ids" in fields_list and move_ids and not values.get("line_ids"):
            values["line_ids"] = [
                Command.create({"move_id": move_id}) for move_id in move_ids
            ]
        return values

    @api.model_create_multi
    def create(self, vals_list):
        disputes = super().create(vals_list)
        disputes._sync_suspensions()
        disputes._schedule_deadline_activity()
        for dispute in disputes:
            dispute._post_on_customer_and_invoices(
                self.env._(
                    "Dispute %(dispute)s opened (%(reason)s): %(amount)s disputed.",
                    dispute=dispute._get_html_link(),
                    reason=dispute._label("reason", dispute.reason),
                    amount=dispute._format_amount(dispute.amount_disputed),
                )
            )
        return disputes

    def write(self, vals):
        if "partner_id" in vals and any(dispute.line_ids for dispute in self):
            partner = self.env["res.partner"].browse(vals["partner_id"])
            if any(
                dispute.partner_id != partner.commercial_partner_id for dispute in self
            ):
                raise UserError(
                    self.env._(
                        "Remove the invoices before changing the customer of a dispute."
                    )
                )
        result = super().write(vals)
        if SUSPENSION_FIELDS & set(vals):
            self._sync_suspensions()
        if {"date_deadline", "user_id", "state"} & set(vals):
            self._schedule_deadline_activity()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_not_cancelled(self):
        if any(dispute.state not in ("open", "cancel") for dispute in self):
            raise UserError(
                self.env._(
                    "Only open or cancelled disputes can be deleted; a dispute "
                    "that was negotiated stays on record."
                )
            )

    # ------------------------------------------------------------------
    # State changes
    # ------------------------------------------------------------------
    def action_clarify(self):
        self._set_state("clarification")
        return True

    def action_start_mediation(self):
        for dispute in self:
            if not dispute.mediator_id:
                raise ValidationError(dispute._mediator_missing_message())
        self._set_state("mediation")
        return True

    def action_resolve(self):
        for dispute in self:
            if not dispute.outcome:
                raise UserError(
                    self.env._(
                        "Dispute %(name)s: choose the outcome (credit note, payment "
                        "plan, withdrawn, partial waiver) before resolving it.",
                        name=dispute.name,
                    )
                )
            if dispute.outcome in ("credit_note", "partial_waiver"):
                raise UserError(
                    self.env._(
                        "Dispute %(name)s: use 'Resolve by Credit Note' to create "
                        "the credit note of this outcome.",
                        name=dispute.name,
                    )
                )
        self._set_state("resolved")
        return True

    def action_withdraw(self):
        """The customer withdrew the objection."""
        self._check_transition("resolved")
        self.write({"outcome": "withdrawn"})
        self._set_state("resolved")
        return True

    def action_fail(self):
        self._set_state("failed")
        return True

    def action_cancel(self):
        self._set_state("cancel")
        return True

    def _check_transition(self, new_state):
        for dispute in self:
            if new_state not in TRANSITIONS[dispute.state]:
                raise UserError(
                    self.env._(
                        "Dispute %(name)s cannot go from %(from_state)s to "
                        "%(to_state)s.",
                        name=dispute.name,
                        from_state=dispute._label("state", dispute.state),
                        to_state=dispute._label("state", new_state),
                    )
                )

    def _set_state(self, new_state):
        """Move to ``new_state``: record the periods, post to the customer and
        invoices, and end the activities of closed disputes."""
        self._check_transition(new_state)
        today = fields.Date.context_today(self)
        for dispute in self:
            old_state = dispute.state
            vals = dispute._prepare_state_vals(old_state, new_state, today)
            dispute.write(vals)
            dispute._post_on_customer_and_invoices(
                self.env._(
                    "Dispute %(dispute)s: %(from_state)s → %(to_state)s.",
                    dispute=dispute._get_html_link(),
                    from_state=dispute._label("state", old_state),
                    to_state=dispute._label("state", new_state),
                )
            )
        return True

    def _prepare_state_vals(self, old_state, new_state, today):
        self.ensure_one()
        vals = {"state": new_state}
        if new_state == "clarification":
            vals["clarification_start"] = today
        if old_state == "clarification":
            vals["clarification_end"] = today
        if new_state == "mediation":
            vals["mediation_start"] = self.mediation_start or today
        if old_state == "mediation":
            vals["mediation_end"] = self.mediation_end or today
            vals["mediation_result"] = (
                "agreement" if new_state == "resolved" else "no_agreement"
            )
        if new_state in ("resolved", "failed", "cancel"):
            vals["date_closed"] = today
            key = self.outcome if new_state == "resolved" else new_state
            if not self.verdict and DEFAULT_VERDICTS.get(key):
                vals["verdict"] = DEFAULT_VERDICTS[key]
        return vals

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_schedule_session(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Mediation Session"),
            "res_model": "account.dunning.mediation.session",
            "view_mode": "form",
            "target": "new",
            "context": {"default_dispute_id": self.id},
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _check_lines_editable(self):
        for dispute in self:
            if dispute.state != "open":
                raise UserError(
                    self.env._(
                        "Dispute %(name)s is %(state)s: its invoices and disputed "
                        "amounts can only be changed while it is open.",
                        name=dispute.name,
                        state=dispute._label("state", dispute.state),
                    )
                )

    def _mediator_missing_message(self):
        return self.env._(
            "Dispute %(name)s: choose the mediator before starting the mediation.",
            name=self.name,
        )

    def _get_case_moves(self):
        self.ensure_one()
        return self.line_ids.move_id

    def _is_deadline_pending(self):
        self.ensure_one()
        return self.is_open and bool(self.date_deadline)

    def _get_deadline_summary(self):
        self.ensure_one()
        return self.env._(
            "Deadline of dispute %(name)s (%(state)s)",
            name=self.name,
            state=self._label("state"),
        )

    def _get_suspension_name(self, kind, kind_label):
        self.ensure_one()
        return self.env._(
            "%(kind)s of dispute %(name)s", kind=kind_label, name=self.name
        )

    def _sync_suspensions(self):
        """Record the clarification and mediation periods as limitation
        suspensions of the disputed invoices."""
        periods = {}
        for dispute in self:
            periods[dispute, "negotiation"] = (
                dispute.clarification_start,
                dispute.clarification_end,
            )
            periods[dispute, "mediation"] = (
                dispute.mediation_start,
                dispute.mediation_end,
            )
        return self._sync_suspension_periods("dispute_id", periods)
