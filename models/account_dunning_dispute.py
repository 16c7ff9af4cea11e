from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, float_compare

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
    """

    _name = "account.dunning.dispute"
    _description = "Dispute"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "account.dunning.reference.mixin",
    ]
    _order = "date_opened desc, id desc"
    _check_company_auto = True

    # Extension points of the dunning engine and the relationship profile.
    _dunning_blocks_invoices = True
    _dunning_block_priority = 20
    _dunning_reduces_amounts = True
    _dunning_profile_metrics = True

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/"
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('parent_id', '=', False)]",
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Customer Contact",
        domain="[('commercial_partner_id', '=', partner_id)]",
        help="The customer's person who raised or handles the dispute.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        tracking=True,
        domain="[('share', '=', False)]",
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
        for vals in vals_list:
            if vals.get("partner_id"):
                partner = self.env["res.partner"].browse(vals["partner_id"])
                vals["partner_id"] = partner.commercial_partner_id.id
            self._assign_reference(vals)
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

    def action_resolve_credit_note(self):
        """Resolve with a draft credit note for the credit amount of each line
        (the disputed amount by default)."""
        self.ensure_one()
        self._check_transition("resolved")
        self._check_credit_amounts()
        credit_notes = self._create_credit_notes()
        self.write(
            {
                "outcome": self.outcome
                if self.outcome in ("credit_note", "partial_waiver")
                else "credit_note",
                "credit_note_ids": [Command.link(move.id) for move in credit_notes],
            }
        )
        self._set_state("resolved")
        return self.action_view_credit_notes()

    def action_resolve_payment_plan(self):
        """Resolve with a payment plan: opens the payment plan wizard."""
        self.ensure_one()
        self._check_transition("resolved")
        action = self._get_payment_plan_action()
        self.write({"outcome": "payment_plan"})
        self._set_state("resolved")
        return action

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

    def action_view_credit_notes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_refund_type"
        )
        action["domain"] = [("id", "in", self.credit_note_ids.ids)]
        if len(self.credit_note_ids) == 1:
            action.update(
                view_mode="form",
                views=[(False, "form")],
                res_id=self.credit_note_ids.id,
            )
        return action

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.line_ids.move_id.ids)]
        action["context"] = {"default_move_type": "out_invoice"}
        return action

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _label(self, field_name, value):
        return dict(self._fields[field_name]._description_selection(self.env)).get(
            value, value or ""
        )

    def _format_amount(self, amount):
        self.ensure_one()
        return self.currency_id.format(amount)

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

    def _post_on_customer_and_invoices(self, body):
        """Log ``body`` on the dispute's customer and each of its invoices."""
        self.ensure_one()
        # sudo: dunning users without the right to edit contacts may still
        # log the dispute on its customer (the author stays the user).
        self.partner_id.sudo().message_post(body=body, subtype_xmlid="mail.mt_note")
        for move in self.line_ids.move_id:
            move.message_post(body=body, subtype_xmlid="mail.mt_note")

    def _schedule_deadline_activity(self):
        """One deadline activity per open dispute, for its responsible."""
        xmlid = "account_relationship_dunning.mail_activity_type_dunning_deadline"
        self.activity_unlink([xmlid])
        for dispute in self.filtered(lambda d: d.is_open and d.date_deadline):
            dispute.activity_schedule(
                xmlid,
                date_deadline=dispute.date_deadline,
                summary=self.env._(
                    "Deadline of dispute %(name)s (%(state)s)",
                    name=dispute.name,
                    state=dispute._label("state", dispute.state),
                ),
                user_id=(dispute.user_id or self.env.user).id,
            )

    def _sync_suspensions(self):
        """Record the clarification and mediation periods as limitation
        suspensions of the disputed invoices."""
        Suspension = self.env["account.dunning.suspension"]
        existing = {
            (suspension.dispute_id.id, suspension.kind): suspension
            for suspension in Suspension.search([("dispute_id", "in", self.ids)])
        }
        to_create = []
        for dispute in self:
            for kind, start, end in (
                ("negotiation", dispute.clarification_start, dispute.clarification_end),
                ("mediation", dispute.mediation_start, dispute.mediation_end),
            ):
                suspension = existing.get((dispute.id, kind))
                if not start:
                    if suspension:
                        suspension.unlink()
                    continue
                vals = {"date_start": start, "date_end": end}
                if suspension:
                    suspension.write(vals)
                else:
                    to_create.append(
                        {
                            **vals,
                            "name": self.env._(
                                "%(kind)s of dispute %(name)s",
                                kind=dict(
                                    Suspension._fields["kind"]._description_selection(
                                        self.env
                                    )
                                )[kind],
                                name=dispute.name,
                            ),
                            "kind": kind,
                            "company_id": dispute.company_id.id,
                            "dispute_id": dispute.id,
                            "move_ids": [Command.set(dispute.line_ids.move_id.ids)],
                        }
                    )
        if to_create:
            Suspension.create(to_create)

    def _check_credit_amounts(self):
        self.ensure_one()
        lines = self.line_ids.filtered(lambda line: line.amount_credit)
        if not lines:
            raise UserError(
                self.env._(
                    "Dispute %(name)s: enter the amount to credit on at least one "
                    "invoice.",
                    name=self.name,
                )
            )
        for line in lines:
            rounding = line.currency_id.rounding
            if (
                float_compare(line.amount_credit, 0.0, precision_rounding=rounding) < 0
                or float_compare(
                    line.amount_credit,
                    line.move_id.amount_residual,
                    precision_rounding=rounding,
                )
                > 0
            ):
                raise UserError(
                    self.env._(
                        "Dispute %(name)s: the credit of %(amount)s on %(invoice)s "
                        "must be between zero and the open amount (%(open)s).",
                        name=self.name,
                        amount=line.currency_id.format(line.amount_credit),
                        invoice=line.move_id.name,
                        open=line.currency_id.format(line.move_id.amount_residual),
                    )
                )

    def _create_credit_notes(self):
        """One draft credit note per invoice, reversing it in proportion so
        that its total equals the line's credit amount."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        credit_notes = self.env["account.move"]
        for line in self.line_ids.filtered(lambda ln: ln.amount_credit):
            move = line.move_id
            credit_note = move._reverse_moves(
                [
                    {
                        "invoice_date": today,
                        "date": today,
                        "ref": self.env._(
                            "Dispute %(dispute)s on %(invoice)s",
                            dispute=self.name,
                            invoice=move.name,
                        ),
                    }
                ]
            )
            credit_note._dunning_scale_to(line.amount_credit)
            credit_note.message_post(
                body=self.env._(
                    "Credit note created from dispute %(dispute)s.",
                    dispute=self._get_html_link(),
                ),
                subtype_xmlid="mail.mt_note",
            )
            credit_notes |= credit_note
        return credit_notes

    def _get_payment_plan_action(self):
        self.ensure_one()
        xmlid = (
            "account_relationship_dunning.account_dunning_payment_plan_wizard_action"
        )
        if not self.env.ref(xmlid, raise_if_not_found=False):
            raise UserError(
                self.env._("Payment plans are not available in this database.")
            )
        action = self.env["ir.actions.actions"]._for_xml_id(xmlid)
        context = action.get("context") or {}
        if isinstance(context, str):
            context = {}
        action["context"] = {
            **context,
            "default_move_ids": self.line_ids.move_id.ids,
            "default_partner_id": self.partner_id.id,
            "default_company_id": self.company_id.id,
            "dunning_dispute_id": self.id,
        }
        return action

    # ------------------------------------------------------------------
    # Dunning engine: blocks and reduced amounts
    # ------------------------------------------------------------------
    @api.model
    def _get_open_disputed_amounts(self, company, move_ids):
        """Per invoice of ``move_ids`` with an open dispute: the customer, the
        disputed amount (also in company currency), whether it is only a part
        of the open amount, and whether a mediation runs (one query)."""
        if not move_ids:
            return {}
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT l.move_id,
                       m.commercial_partner_id AS partner_id,
                       BOOL_OR(d.state = 'mediation') AS mediation,
                       STRING_AGG(d.name, ', ' ORDER BY d.name) AS names,
                       SUM(l.amount_disputed) AS amount_disputed,
                       SUM(l.amount_disputed) * ABS(m.amount_total_signed)
                           / NULLIF(m.amount_total, 0) AS amount_disputed_company,
                       m.amount_residual,
                       c.rounding
                  FROM account_dunning_dispute_line l
                  JOIN account_dunning_dispute d ON d.id = l.dispute_id
                  JOIN account_move m ON m.id = l.move_id
                  JOIN res_currency c ON c.id = m.currency_id
                 WHERE d.company_id = %(company)s
                   AND d.state IN %(states)s
                   AND l.move_id = ANY(%(move_ids)s)
              GROUP BY l.move_id, m.id, c.rounding
                """,
                company=company.id,
                states=OPEN_STATES,
                move_ids=list(move_ids),
            )
        )
        result = {}
        for row in rows:
            row["partial"] = (
                float_compare(
                    float(row["amount_disputed"]),
                    float(row["amount_residual"]),
                    precision_rounding=float(row["rounding"]),
                )
                < 0
            )
            result[row["move_id"]] = row
        return result

    @api.model
    def _get_partners_dunning_undisputed(self, company, partner_ids):
        """Customers whose dunning policy keeps dunning undisputed parts."""
        Policy = self.env["account.dunning.policy"]
        if not partner_ids or not Policy.search_count(
            [("company_id", "=", company.id), ("dispute_dun_undisputed", "=", True)],
            limit=1,
        ):
            return set()
        policy_map = Policy._get_policy_map(company)
        profiles = self.env["account.dunning.profile"].search(
            [("company_id", "=", company.id), ("partner_id", "in", list(partner_ids))]
        )
        result = set()
        for profile in profiles.filtered("segment_id"):
            policy = Policy._pick_policy(
                policy_map,
                profile.segment_id,
                profile.partner_id._is_dunning_consumer(),
            )
            if policy and policy.dispute_dun_undisputed:
                result.add(profile.partner_id.id)
        return result

    @api.model
    def _split_open_disputes(self, company, move_ids):
        """``(blocked rows, reduced rows)`` of the invoices with open disputes."""
        rows = self._get_open_disputed_amounts(company, move_ids)
        dun_undisputed = self._get_partners_dunning_undisputed(
            company, {row["partner_id"] for row in rows.values() if row["partial"]}
        )
        blocked, reduced = {}, {}
        for move_id, row in rows.items():
            if row["partial"] and row["partner_id"] in dun_undisputed:
                reduced[move_id] = row
            else:
                blocked[move_id] = row
        return blocked, reduced

    @api.model
    def _get_dunning_blocks(self, company, move_ids, date):
        blocked, _reduced = self._split_open_disputes(company, move_ids)
        return {
            move_id: (
                "mediation" if row["mediation"] else "dispute",
                self.env._("Disputed in %(names)s", names=row["names"]),
            )
            for move_id, row in blocked.items()
        }

    @api.model
    def _get_dunning_amount_reductions(self, company, move_ids, date):
        """Disputed parts that the policy keeps out of dunning (company
        currency)."""
        _blocked, reduced = self._split_open_disputes(company, move_ids)
        return {
            move_id: company.currency_id.round(
                float(row["amount_disputed_company"] or 0.0)
            )
            for move_id, row in reduced.items()
        }

    # ------------------------------------------------------------------
    # Relationship profile
    # ------------------------------------------------------------------
    @api.model
    def _get_score_dispute_domain(self, company):
        """Disputes that lower the relationship score (company settings)."""
        today = fields.Date.context_today(self)
        parts = []
        if company.dunning_score_open_disputes:
            parts.append([("is_open", "=", True)])
        if company.dunning_score_unfounded_disputes:
            parts.append(
                [
                    ("state", "in", ("resolved", "failed")),
                    ("verdict", "=", "unfounded"),
                    ("date_closed", ">=", today - timedelta(days=SCORE_WINDOW_DAYS)),
                ]
            )
        if not parts:
            return None
        return expression.OR(parts)

    @api.model
    def _add_dunning_metrics(self, company, metrics):
        if not metrics:
            return metrics
        counted = self._get_score_dispute_domain(company)
        if counted is None:
            return metrics
        groups = self._read_group(
            expression.AND(
                [
                    [
                        ("company_id", "=", company.id),
                        ("partner_id", "in", list(metrics)),
                    ],
                    counted,
                ]
            ),
            ["partner_id"],
            ["__count"],
        )
        counts = defaultdict(int)
        for partner, count in groups:
            counts[partner.id] += count
        for partner_id, count in counts.items():
            metrics[partner_id]["open_dispute_count"] = count
        return metrics
