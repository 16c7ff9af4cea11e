import csv
import io
from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.pdf import merge_pdf

from .account_dunning_dispute import OPEN_STATES as DISPUTE_OPEN_STATES

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
    """

    _name = "account.dunning.handover"
    _description = "Legal Handover"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "account.dunning.reference.mixin",
    ]
    _order = "id desc"
    _check_company_auto = True

    _dunning_blocks_invoices = True
    _dunning_block_priority = 10

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
        string="Debtor",
        required=True,
        index=True,
        tracking=True,
        domain="[('parent_id', '=', False)]",
    )
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
        "res.users", string="Handed Over By", readonly=True, copy=False
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
            fees = sum(
                handover.cost_ids.filtered(lambda c: c.kind == "fee").mapped("amount")
            )
            compensation = sum(
                handover.cost_ids.filtered(lambda c: c.kind == "compensation").mapped(
                    "amount"
                )
            )
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
        for vals in vals_list:
            if vals.get("partner_id"):
                partner = self.env["res.partner"].browse(vals["partner_id"])
                vals["partner_id"] = partner.commercial_partner_id.id
            self._assign_reference(vals)
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
            handover._post_on_debtor_and_invoices(
                self.env._(
                    "Claim handed over to %(channel)s in %(handover)s "
                    "(open principal %(amount)s).",
                    channel=handover._channel_label(),
                    handover=handover._get_html_link(),
                    amount=handover.currency_id.format(handover.amount_principal),
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
            handover._post_on_debtor_and_invoices(
                self.env._(
                    "Legal handover %(handover)s closed: %(outcome)s.",
                    handover=handover._get_html_link(),
                    outcome=dict(
                        self._fields["outcome"]._description_selection(self.env)
                    )[handover.outcome],
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

    def action_export_csv(self):
        self.ensure_one()
        attachment = self.env["ir.attachment"].create(
            {
                "name": self._export_filename("csv"),
                "raw": self._get_csv_content().encode("utf-8"),
                "mimetype": "text/csv",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return self._download_action(attachment)

    def action_export_dossier(self):
        """The PDF dossier with the archived PDFs of the letters sent."""
        self.ensure_one()
        attachment = self.env["ir.attachment"].create(
            {
                "name": self._export_filename("pdf"),
                "raw": self._get_dossier_pdf(),
                "mimetype": "application/pdf",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return self._download_action(attachment)

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.move_ids.ids)]
        action["context"] = {"default_move_type": "out_invoice"}
        return action

    # ------------------------------------------------------------------
    # Hand over
    # ------------------------------------------------------------------
    def _check_manager(self):
        if not self.env.user.has_group(
            "account_relationship_dunning.group_dunning_manager"
        ):
            raise UserError(
                self.env._(
                    "Only a dunning manager can hand a claim over to court dunning "
                    "or a collection agency."
                )
            )

    def _check_can_hand_over(self):
        self.ensure_one()
        _ = self.env._
        if self.state != "draft":
            raise UserError(
                _("Handover %(name)s was already handed over.", name=self.name)
            )
        moves = self.move_ids
        if not moves:
            raise UserError(_("Choose the invoices to hand over."))
        for move in moves:
            if not move._is_dunning_open() or move.currency_id.is_zero(
                move.amount_residual
            ):
                raise UserError(
                    _(
                        "Invoice %(invoice)s is not an open customer invoice.",
                        invoice=move.display_name,
                    )
                )
            if move.commercial_partner_id != self.partner_id:
                raise UserError(
                    _(
                        "Invoice %(invoice)s belongs to another customer.",
                        invoice=move.name,
                    )
                )
            if not move.dunning_level_id.is_final:
                raise UserError(
                    _(
                        "Invoice %(invoice)s has not reached the final dunning "
                        "level yet: a claim is handed over only after the final "
                        "notice.",
                        invoice=move.name,
                    )
                )
        if len(moves.currency_id) > 1:
            raise UserError(_("Hand over invoices of one currency at a time."))
        if self.channel == "court" and moves.currency_id.name != "EUR":
            raise UserError(_("Court dunning is only available for claims in EUR."))
        if self.channel == "agency" and not self.agency_id:
            raise UserError(_("Choose the collection agency."))
        self._check_no_blocking_records(moves)

    def _check_no_blocking_records(self, moves):
        """Refuse invoices with an open dispute, a payment plan being honoured
        or another handover."""
        _ = self.env._
        disputed = self.env["account.dunning.dispute.line"].search(
            [
                ("move_id", "in", moves.ids),
                ("dispute_state", "in", DISPUTE_OPEN_STATES),
            ],
            limit=1,
        )
        if disputed:
            raise UserError(
                _(
                    "Invoice %(invoice)s is disputed (%(dispute)s): a disputed claim "
                    "cannot be handed over. Resolve the dispute first, or record "
                    "that it failed.",
                    invoice=disputed.move_id.name,
                    dispute=disputed.dispute_id.name,
                )
            )
        if "account.dunning.payment.plan" in self.env:
            plan = self.env["account.dunning.payment.plan"].search(
                [("move_ids", "in", moves.ids), ("state", "in", PLAN_BLOCKING_STATES)],
                limit=1,
            )
            if plan:
                raise UserError(
                    _(
                        "The invoices are covered by payment plan %(plan)s: cancel "
                        "it or wait until it is broken before handing them over.",
                        plan=plan.display_name,
                    )
                )
        other = self.env["account.dunning.handover.line"].search(
            [
                ("move_id", "in", moves.ids),
                ("handover_id.state", "=", "handed_over"),
                ("handover_id", "!=", self.id),
            ],
            limit=1,
        )
        if other:
            raise UserError(
                _(
                    "Invoice %(invoice)s is already handed over in %(handover)s.",
                    invoice=other.move_id.name,
                    handover=other.handover_id.name,
                )
            )

    def _prepare_handover_vals(self, today):
        self.ensure_one()
        company = self.company_id
        debtor = self.partner_id
        consumer = debtor._is_dunning_consumer()
        letters = self._get_letters_sent()
        costs = self._prepare_cost_vals(letters)
        costs_by_move = defaultdict(lambda: defaultdict(float))
        for cost in costs:
            costs_by_move[cost["move_id"]][cost["kind"]] += cost["amount"]
        claim_types = self._get_claim_types(self.move_ids)
        points = INTEREST_POINTS_CONSUMER if consumer else INTEREST_POINTS_B2B
        # Interest runs from default: the day after the due date, or (policy,
        # e.g. consumers) after the first letter was received.
        starts = {
            move_id: result["date_from"]
            for move_id, result in self.move_ids._get_dunning_interest(today).items()
        }
        lines = [
            Command.create(
                {
                    "move_id": move.id,
                    "move_name": move.name,
                    "invoice_date": move.invoice_date,
                    "date_due": move.invoice_date_due,
                    "amount_principal": move.amount_residual,
                    "interest_points": points,
                    # after the interest already invoiced by a charges invoice
                    "interest_date_from": max(
                        max(
                            move.invoice_date_due,
                            move.dunning_interest_charged_until
                            or move.invoice_date_due,
                        )
                        + timedelta(days=1),
                        starts.get(move.id) or move.invoice_date_due,
                    ),
                    "claim_type_id": claim_types[move.id].id,
                    "fee_amount": costs_by_move[move.id]["fee"],
                    "compensation_amount": costs_by_move[move.id]["compensation"],
                }
            )
            for move in self.move_ids.sorted(lambda m: (m.invoice_date_due, m.id))
        ]
        return {
            "state": "handed_over",
            "user_id": self.env.uid,
            "date_handover": today,
            "date_filed": self.date_filed
            or (today if self.channel == "court" else False),
            "creditor_name": company.partner_id.name,
            "creditor_address": _one_line_address(company.partner_id),
            "debtor_name": debtor.name,
            "debtor_address": _one_line_address(debtor),
            "debtor_legal_form": debtor._get_dunning_legal_form(),
            "interest_points": points,
            "letter_ids": [Command.set(letters.ids)],
            "line_ids": [Command.clear(), *lines],
            "cost_ids": [Command.clear()] + [Command.create(cost) for cost in costs],
        }

    def _get_letters_sent(self):
        """Letters sent to the debtor about the invoices of the handover."""
        self.ensure_one()
        return self.env["account.dunning.letter"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("partner_id", "=", self.partner_id.id),
                ("state", "=", "done"),
                ("line_ids.move_id", "in", self.move_ids.ids),
            ],
            order="date, id",
        )

    def _prepare_cost_vals(self, letters):
        """Pre-court costs itemised per letter: the fee and the per-letter
        compensation on the letter's earliest-due invoice of the handover, the
        per-invoice compensation on its invoice."""
        self.ensure_one()
        currency = self.currency_id
        costs = []
        for letter in letters:
            if letter.charge_move_id:
                # Its charges were invoiced: that invoice is a claim of its own.
                continue
            # Invoices only listed as already notified carry none of the
            # letter's costs.
            lines = letter.line_ids.filtered(
                lambda ln: ln.move_id in self.move_ids and not ln.notified_letter_id
            ).sorted(lambda ln: (ln.date_due or fields.Date.today(), ln.id))
            if not lines:
                continue

            def convert(amount, letter=letter):
                return letter.currency_id._convert(
                    amount, currency, self.company_id, letter.date
                )

            first_move = lines[0].move_id
            # Waived amounts (policy) were shown on the letter, never claimed.
            # Net of the part credited against the flat compensation.
            fee = (
                0.0
                if letter.fees_waived
                else letter.fee_amount - letter.fee_offset_amount
            )
            waive = letter.compensation_waived
            items = [
                ("fee", first_move, fee),
                (
                    "compensation",
                    first_move,
                    0.0 if waive else letter.letter_compensation_amount,
                ),
            ] + [
                (
                    "compensation",
                    line.move_id,
                    0.0 if waive else line.compensation_amount,
                )
                for line in lines
            ]
            for kind, move, amount in items:
                if letter.currency_id.is_zero(amount or 0.0):
                    continue
                costs.append(
                    {
                        "letter_id": letter.id,
                        "move_id": move.id,
                        "kind": kind,
                        "date": letter.date,
                        "amount": convert(amount),
                    }
                )
        return costs

    def _get_claim_types(self, moves):
        """``{move_id: claim type}``: the claim type of the product category
        with the largest amount on the invoice, else the customer policy's,
        else purchase contract (11)."""
        ClaimType = self.env["account.dunning.claim.type"]
        fallback = self._get_policy_claim_type() or ClaimType._get_default()
        result = {}
        for move in moves:
            amounts = defaultdict(float)
            for line in move.invoice_line_ids.filtered(
                lambda ln: ln.display_type == "product" and ln.product_id
            ):
                claim_type = line.product_id.categ_id._get_dunning_claim_type()
                if claim_type:
                    amounts[claim_type] += abs(line.price_subtotal)
            result[move.id] = (
                max(amounts, key=lambda ct: (amounts[ct], -ct.id))
                if amounts
                else fallback
            )
        return result

    def _get_policy_claim_type(self):
        self.ensure_one()
        profile = self.env["account.dunning.profile"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("partner_id", "=", self.partner_id.id),
            ],
            limit=1,
        )
        if not profile.segment_id:
            return self.env["account.dunning.claim.type"]
        Policy = self.env["account.dunning.policy"]
        policy = Policy._pick_policy(
            Policy._get_policy_map(self.company_id),
            profile.segment_id,
            self.partner_id._is_dunning_consumer(),
        )
        return (
            policy.claim_type_id if policy else self.env["account.dunning.claim.type"]
        )

    def _sync_suspensions(self):
        """Court dunning suspends limitation from the filing date until the
        handover is closed (plus 6 months, see models/limitation.py)."""
        Suspension = self.env["account.dunning.suspension"]
        existing = Suspension.search([("handover_id", "in", self.ids)])
        for handover in self:
            suspension = existing.filtered(lambda s, h=handover: s.handover_id == h)
            if (
                handover.channel != "court"
                or handover.state not in ("handed_over", "closed")
                or not handover.date_filed
            ):
                suspension.unlink()
                continue
            vals = {
                "date_start": handover.date_filed,
                "date_end": handover.date_closed or False,
            }
            if suspension:
                suspension.write(vals)
            else:
                Suspension.create(
                    {
                        **vals,
                        "name": self.env._(
                            "Court dunning %(name)s", name=handover.name
                        ),
                        "kind": "court",
                        "company_id": handover.company_id.id,
                        "handover_id": handover.id,
                        "move_ids": [Command.set(handover.move_ids.ids)],
                    }
                )

    def _schedule_deadline_activity(self):
        xmlid = "account_relationship_dunning.mail_activity_type_dunning_deadline"
        self.activity_unlink([xmlid])
        for handover in self.filtered(
            lambda h: h.state in ("draft", "handed_over") and h.date_deadline
        ):
            handover.activity_schedule(
                xmlid,
                date_deadline=handover.date_deadline,
                summary=self.env._(
                    "Deadline of legal handover %(name)s", name=handover.name
                ),
                user_id=(handover.user_id or self.env.user).id,
            )

    def _post_on_debtor_and_invoices(self, body):
        self.ensure_one()
        self.partner_id.message_post(body=body, subtype_xmlid="mail.mt_note")
        for move in self.move_ids:
            move.message_post(body=body, subtype_xmlid="mail.mt_note")

    def _channel_label(self):
        self.ensure_one()
        if self.channel == "agency" and self.agency_id:
            return self.agency_id.name
        return dict(self._fields["channel"]._description_selection(self.env))[
            self.channel
        ]

    # ------------------------------------------------------------------
    # Exports
    # ------------------------------------------------------------------
    def _get_csv_rows(self):
        """One dict per invoice with the keys of ``CSV_COLUMNS``."""
        self.ensure_one()
        currency = self.currency_id
        rows = []
        for line in self.line_ids:
            rows.append(
                {
                    "creditor_name": self.creditor_name or "",
                    "creditor_address": self.creditor_address or "",
                    "debtor_name": self.debtor_name or "",
                    "debtor_address": self.debtor_address or "",
                    "debtor_legal_form": self.debtor_legal_form or "",
                    "claim_type_code": str(line.claim_type_id.code or ""),
                    "claim_type": line.claim_type_id.name or "",
                    "invoice_number": line.move_name,
                    "invoice_date": _iso(line.invoice_date),
                    "due_date": _iso(line.date_due),
                    "open_principal": _amount(line.amount_principal, currency),
                    "interest_points": f"{line.interest_points:.2f}",
                    "interest_from": _iso(line.interest_date_from),
                    "fees": _amount(line.fee_amount, currency),
                    "compensation": _amount(line.compensation_amount, currency),
                    "currency": currency.name,
                }
            )
        return rows

    def _get_csv_content(self):
        self.ensure_one()
        if self.state not in ("handed_over", "closed"):
            raise UserError(self.env._("Hand the claim over before exporting it."))
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer,
            fieldnames=CSV_COLUMNS,
            delimiter=CSV_DELIMITER,
            lineterminator="\r\n",
        )
        writer.writeheader()
        writer.writerows(self._get_csv_rows())
        return buffer.getvalue()

    def _get_letter_pdfs(self):
        """The archived PDFs of the letters sent, oldest letter first: the
        letter's own attachment field when the letter model has one, else the
        latest PDF attached to the letter."""
        self.ensure_one()
        letters = self.letter_ids.sorted(lambda lt: (lt.date, lt.id))
        Letter = self.env["account.dunning.letter"]
        attachment_fields = [
            name
            for name, field in Letter._fields.items()
            if field.type == "many2one" and field.comodel_name == "ir.attachment"
        ]
        attachments = self.env["ir.attachment"].search(
            [
                ("res_model", "=", Letter._name),
                ("res_id", "in", letters.ids),
                ("mimetype", "=", "application/pdf"),
            ],
            order="id desc",
        )
        pdfs = []
        for letter in letters:
            attachment = next(
                (letter[name] for name in attachment_fields if letter[name]), None
            ) or next((a for a in attachments if a.res_id == letter.id), None)
            if attachment and attachment.raw:
                pdfs.append(attachment.raw)
        return pdfs

    def _get_dossier_pdf(self):
        self.ensure_one()
        if self.state not in ("handed_over", "closed"):
            raise UserError(self.env._("Hand the claim over before exporting it."))
        dossier, _format = self.env["ir.actions.report"]._render_qweb_pdf(
            "account_relationship_dunning.account_dunning_handover_report", self.ids
        )
        return self._append_letter_pdfs(dossier)

    def _append_letter_pdfs(self, dossier):
        """The dossier PDF followed by the archived letter PDFs."""
        letters = self._get_letter_pdfs()
        return merge_pdf([dossier, *letters]) if letters else dossier

    def _export_filename(self, extension):
        return f"{self.name.replace('/', '_')}.{extension}"

    def _download_action(self, attachment):
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

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


def _one_line_address(partner):
    parts = [
        partner.street,
        partner.street2,
        " ".join(filter(None, [partner.zip, partner.city])),
        partner.country_id.name,
    ]
    return ", ".join(part for part in parts if part)


def _iso(value):
    return value.isoformat() if value else ""


def _amount(value, currency):
    return f"{currency.round(value or 0.0):.{currency.decimal_places}f}"
