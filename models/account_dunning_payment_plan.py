from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .payment_schedule import FREQUENCIES, SCHEDULE_MODES

PLAN_STATES = [
    ("draft", "Draft"),
    ("proposed", "Proposed"),
    ("active", "Active"),
    ("completed", "Completed"),
    ("broken", "Broken"),
    ("cancel", "Cancelled"),
]
RESUME_MODES = [
    ("previous", "Resume at the level the invoices had"),
    ("restart", "Restart at the first level"),
]
# § 498 BGB: consumers lose the benefit of the term only after a warning with
# a deadline of two weeks, when at least two consecutive installments and at
# least 10 % of the amount are in arrears.
CONSUMER_WARNING_DAYS = 14
CONSUMER_ARREARS_SHARE = 0.10
LIVE_STATES = ("draft", "proposed", "active")


class AccountDunningPaymentPlan(models.Model):
    """An installment agreement on a customer's posted, open invoices.

    The plan is paid through the invoices it covers: whatever lowers their
    open amount (reconciled payments, credit notes) fills the installments in
    due-date order.

    This file: fields, computes, constraints, CRUD. The schedule, the
    workflow, the daily monitoring and the dunning hooks are in the
    ``account_dunning_payment_plan_*.py`` files of the same model.
    """

    _name = "account.dunning.payment.plan"
    _description = "Payment Plan"
    _inherit = ["account.dunning.case.mixin"]
    _order = "date desc, id desc"
    # Extension points of the dunning engine and of the relationship scoring.
    _dunning_blocks_invoices = True
    _dunning_block_priority = 50
    _dunning_profile_metrics = True

    # name, company_id, user_id: see account.dunning.case.mixin
    partner_id = fields.Many2one(
        help="The commercial partner whose invoices the plan covers."
    )
    letter_id = fields.Many2one(
        "account.dunning.letter",
        string="Offered with Letter",
        ondelete="set null",
        check_company=True,
        copy=False,
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        help="The currency of the covered invoices when they share one; "
        "otherwise the company currency (open amounts converted at the "
        "invoices' rates).",
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    state = fields.Selection(
        PLAN_STATES,
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    date = fields.Date(
        string="Offer Date",
        required=True,
        default=fields.Date.context_today,
        help="Interest on the installments runs from this date.",
    )
    move_ids = fields.Many2many(
        "account.move",
        "account_dunning_payment_plan_move_rel",
        "plan_id",
        "move_id",
        string="Invoices",
        check_company=True,
        copy=False,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('payment_state', 'in', ('not_paid', 'partial')), "
        "('commercial_partner_id', '=', partner_id)]",
    )
    move_count = fields.Integer(compute="_compute_move_count")
    charge_move_id = fields.Many2one(
        "account.move",
        string="Charges Invoice",
        readonly=True,
        copy=False,
        check_company=True,
        help="Invoice of the interest and fees included in the plan, created "
        "when the customer accepts it.",
    )
    is_consumer = fields.Boolean(
        string="Consumer",
        help="Consumer plans follow the consumer breach rule (two consecutive "
        "installments and 10 % in arrears, two-week warning) and are free of "
        "charges by default.",
    )
    # Terms the schedule is built from
    schedule_mode = fields.Selection(SCHEDULE_MODES, default="count", required=True)
    installment_number = fields.Integer(string="Number of Installments", default=3)
    installment_amount = fields.Monetary()
    frequency = fields.Selection(FREQUENCIES, default="monthly", required=True)
    first_due_date = fields.Date()
    down_payment = fields.Monetary()
    interest_rate = fields.Float(
        string="Interest (% p.a.)",
        digits=(16, 2),
        help="Simple interest per year on each installment's principal from "
        "the offer date to its due date. Off by default for consumers: a paid "
        "deferral of more than three months is a consumer credit.",
    )
    # Amounts
    amount_open = fields.Monetary(
        string="Open Amount",
        readonly=True,
        copy=False,
        help="Open amount of the covered invoices when the plan was set up.",
    )
    amount_charges = fields.Monetary(
        string="Interest and Fees Due",
        help="Default interest, compensation and fees due at the agreement and "
        "included in the plan.",
    )
    amount_interest = fields.Monetary(
        string="Plan Interest", compute="_compute_amount_total", store=True
    )
    amount_total = fields.Monetary(
        string="Acknowledged Amount",
        compute="_compute_amount_total",
        store=True,
        tracking=True,
    )
    amount_paid = fields.Monetary(
        string="Paid", compute="_compute_amount_paid", store=True
    )
    amount_residual = fields.Monetary(
        string="Remaining", compute="_compute_amount_paid", store=True
    )
    amount_overdue = fields.Monetary(
        string="In Arrears", compute="_compute_overdue", help="Overdue installments."
    )
    schedule_difference = fields.Monetary(compute="_compute_schedule_difference")
    installment_ids = fields.One2many(
        "account.dunning.payment.plan.installment",
        "plan_id",
        string="Installments",
        copy=False,
    )
    installment_count = fields.Integer(compute="_compute_installment_count")
    next_due_date = fields.Date(compute="_compute_overdue")
    at_risk = fields.Boolean(
        compute="_compute_overdue",
        search="_search_at_risk",
        help="Active plan with an overdue installment.",
    )
    # Agreement and follow-up
    proposal_date = fields.Date(readonly=True, copy=False)
    acknowledgment_date = fields.Date(
        copy=False,
        tracking=True,
        help="Date on which the customer accepted the plan. The agreement "
        "acknowledges the debt and restarts the limitation period "
        "(§ 212 BGB).",
    )
    completed_date = fields.Date(readonly=True, copy=False)
    completed_on_time = fields.Boolean(readonly=True, copy=False)
    broken_date = fields.Date(readonly=True, copy=False)
    breach_reason = fields.Char(readonly=True, copy=False)
    warning_date = fields.Date(
        string="Warning Sent",
        readonly=True,
        copy=False,
        help="Consumer plans: date of the warning that the remaining amount "
        "becomes due.",
    )
    warning_deadline = fields.Date(readonly=True, copy=False)
    last_check_date = fields.Date(readonly=True, copy=False)
    # Follow-up settings, taken from the customer's dunning policy
    grace_days = fields.Integer(
        string="Grace Days (Business)",
        default=5,
        help="A business customer's plan is broken when an installment is "
        "still unpaid this many days after its due date.",
    )
    reminder_days_before = fields.Integer(
        string="Reminder Days Before Due",
        default=3,
        help="A friendly reminder is sent this many days before an installment "
        "is due; -1 sends none.",
    )
    reminder_days_after = fields.Integer(
        string="Reminder Days After Due",
        default=2,
        help="A reminder is sent this many days after a missed installment; -1 "
        "sends none.",
    )
    resume_mode = fields.Selection(
        RESUME_MODES,
        string="Dunning After a Breach",
        default="previous",
        required=True,
    )
    note = fields.Html(string="Terms and Notes")

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "The payment plan reference must be unique per company.",
        ),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("move_ids")
    def _compute_move_count(self):
        for plan in self:
            plan.move_count = len(plan.move_ids)

    @api.depends("installment_ids")
    def _compute_installment_count(self):
        for plan in self:
            plan.installment_count = len(plan.installment_ids)

    @api.depends("amount_open", "amount_charges", "installment_ids.interest_amount")
    def _compute_amount_total(self):
        for plan in self:
            currency = plan.currency_id or plan.company_id.currency_id
            interest = currency.round(
                sum(plan.installment_ids.mapped("interest_amount"))
            )
            plan.amount_interest = interest
            plan.amount_total = currency.round(
                plan.amount_open + plan.amount_charges + interest
            )

    @api.depends(
        "amount_total",
        "charge_move_id",
        "currency_id",
        "move_ids.amount_residual",
        "move_ids.amount_residual_signed",
    )
    def _compute_amount_paid(self):
        for plan in self:
            currency = plan.currency_id or plan.company_id.currency_id
            open_now = plan._get_open_amount(plan.move_ids, currency)
            not_invoiced = (
                0.0
                if plan.charge_move_id
                else plan.amount_charges + plan.amount_interest
            )
            paid = currency.round(plan.amount_total - not_invoiced - open_now)
            paid = min(max(paid, 0.0), plan.amount_total)
            plan.amount_paid = paid
            plan.amount_residual = currency.round(plan.amount_total - paid)

    @api.depends("installment_ids.amount", "amount_total")
    def _compute_schedule_difference(self):
        for plan in self:
            plan.schedule_difference = plan.currency_id.round(
                plan.amount_total - sum(plan.installment_ids.mapped("amount"))
            )

    @api.depends(
        "installment_ids.state",
        "installment_ids.due_date",
        "installment_ids.amount_residual",
        "state",
    )
    def _compute_overdue(self):
        today = fields.Date.context_today(self)
        for plan in self:
            unpaid = plan.installment_ids.filtered(lambda i: i.state != "paid").sorted(
                lambda i: (i.due_date, i.sequence, i.id)
            )
            overdue = unpaid.filtered(lambda i: i.due_date < today)
            plan.amount_overdue = sum(overdue.mapped("amount_residual"))
            plan.next_due_date = unpaid[:1].due_date
            plan.at_risk = plan.state == "active" and bool(overdue)

    def _search_at_risk(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Operation not supported"))
        domain = [
            ("state", "=", "active"),
            (
                "installment_ids",
                "any",
                [
                    ("due_date", "<", fields.Date.context_today(self)),
                    ("state", "!=", "paid"),
                ],
            ),
        ]
        if (operator == "=") == value:
            return domain
        return ["!", *domain]

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("installment_ids", "amount_open", "amount_charges")
    def _check_schedule_total(self):
        for plan in self:
            if not plan.installment_ids:
                continue
            total = sum(plan.installment_ids.mapped("amount"))
            if plan.currency_id.compare_amounts(total, plan.amount_total) != 0:
                raise ValidationError(
                    self.env._(
                        "The installments of %(plan)s add up to %(schedule)s but the "
                        "acknowledged amount is %(total)s. Adjust the installments "
                        "or recompute the schedule.",
                        plan=plan.name,
                        schedule=plan._format_amount(total),
                        total=plan._format_amount(plan.amount_total),
                    )
                )

    @api.constrains(
        "grace_days", "reminder_days_before", "reminder_days_after", "interest_rate"
    )
    def _check_settings(self):
        for plan in self:
            if plan.grace_days < 0 or plan.interest_rate < 0:
                raise ValidationError(
                    self.env._(
                        "Grace days and the interest rate of a payment plan cannot "
                        "be negative."
                    )
                )
            if min(plan.reminder_days_before, plan.reminder_days_after) < -1:
                raise ValidationError(
                    self.env._(
                        "Reminder days are 0 or more, or -1 to send no reminder."
                    )
                )

    @api.constrains("partner_id", "company_id", "currency_id", "move_ids")
    def _check_consistency(self):
        for plan in self:
            moves = plan.move_ids - plan.charge_move_id
            other_partner = moves.filtered(
                lambda m, p=plan: m.commercial_partner_id != p.partner_id
            )
            if other_partner:
                raise ValidationError(
                    self.env._(
                        "A payment plan covers invoices of one customer only: "
                        "%(invoices)s belong to another customer than %(customer)s.",
                        invoices=", ".join(other_partner.mapped("name")),
                        customer=plan.partner_id.display_name,
                    )
                )
            other_company = moves.filtered(
                lambda m, p=plan: m.company_id != p.company_id
            )
            if other_company:
                raise ValidationError(
                    self.env._(
                        "A payment plan covers invoices of one company only: "
                        "%(invoices)s belong to another company than %(company)s.",
                        invoices=", ".join(other_company.mapped("name")),
                        company=plan.company_id.name,
                    )
                )
            allowed = plan._get_plan_currency(moves)
            if moves and plan.currency_id not in (allowed, plan.company_id.currency_id):
                raise ValidationError(
                    self.env._(
                        "The plan currency must be the currency of the invoices "
                        "(%(currency)s) or the company currency.",
                        currency=allowed.name,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._prepare_create_vals(vals)
        plans = super().create(vals_list)
        for plan, vals in zip(plans, vals_list, strict=True):
            plan._check_offer_moves(plan.move_ids)
            if not vals.get("installment_ids") and vals.get("first_due_date"):
                plan._generate_schedule()
        return plans

    def write(self, vals):
        if "move_ids" in vals and any(plan.state != "draft" for plan in self):
            if not self.env.context.get("dunning_plan_add_charges"):
                raise UserError(
                    self.env._(
                        "The invoices of a payment plan can only be changed while "
                        "it is a draft."
                    )
                )
        check_moves = "move_ids" in vals and not self.env.context.get(
            "dunning_plan_add_charges"
        )
        before = {plan.id: plan.move_ids for plan in self} if check_moves else {}
        result = super().write(vals)
        if check_moves:
            for plan in self:
                plan._check_offer_moves(plan.move_ids - before[plan.id])
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_agreed(self):
        if any(plan.state not in ("draft", "cancel") for plan in self):
            raise UserError(
                self.env._(
                    "Only draft or cancelled payment plans can be deleted; cancel "
                    "the plan first."
                )
            )

    def _prepare_create_vals(self, vals):
        """Fill reference, customer, company, currency and the follow-up
        settings of the customer's policy when the caller left them out."""
        moves = self.env["account.move"]
        if vals.get("move_ids"):
            moves = self.new({"move_ids": vals["move_ids"]}).move_ids._origin
        if not vals.get("company_id") and moves:
            vals["company_id"] = moves[:1].company_id.id
        company = self.env["res.company"].browse(
            vals.get("company_id") or self.env.company.id
        )
        if not vals.get("partner_id") and moves:
            vals["partner_id"] = moves[:1].commercial_partner_id.id
        partner = self.env["res.partner"].browse(vals.get("partner_id"))
        if partner and partner != partner.commercial_partner_id:
            vals["partner_id"] = partner.commercial_partner_id.id
            partner = partner.commercial_partner_id
        if not vals.get("currency_id"):
            vals["currency_id"] = (
                self._get_plan_currency(moves) if moves else company.currency_id
            ).id
        if "amount_open" not in vals:
            vals["amount_open"] = self._get_open_amount(
                moves, self.env["res.currency"].browse(vals["currency_id"])
            )
        if partner:
            vals.setdefault("is_consumer", partner._is_dunning_consumer())
            for field, value in self._get_policy_settings(company, partner).items():
                vals.setdefault(field, value)
        vals.setdefault("company_id", company.id)
        return self._assign_reference(vals)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    @api.model
    def _get_plan_currency(self, moves):
        """The invoices' currency when they share one, else company currency."""
        currencies = moves.currency_id
        if len(currencies) == 1:
            return currencies
        return moves[:1].company_id.currency_id or self.env.company.currency_id

    @api.model
    def _get_open_amount(self, moves, currency):
        """Open amount of ``moves`` in ``currency`` (the plan currency): the
        invoice amounts when the invoice is in that currency, else the
        company-currency amounts."""
        total = sum(
            move.amount_residual
            if move.currency_id == currency
            else move.amount_residual_signed
            for move in moves
        )
        return currency.round(total)

    @api.model
    def _get_policy_settings(self, company, partner):
        """Follow-up settings of the customer's dunning policy."""
        profile = self.env["account.dunning.profile"].search(
            [("company_id", "=", company.id), ("partner_id", "=", partner.id)],
            limit=1,
        )
        policy = self.env["account.dunning.policy"]
        if profile.segment_id:
            policy = policy._pick_policy(
                policy._get_policy_map(company),
                profile.segment_id,
                partner._is_dunning_consumer(),
            )
        if not policy:
            return {}
        return {
            "grace_days": policy.plan_grace_days,
            "reminder_days_before": policy.plan_reminder_days_before,
            "reminder_days_after": policy.plan_reminder_days_after,
            "resume_mode": policy.plan_resume_mode,
        }

    def _check_offer_moves(self, moves):
        """Invoices added to a plan must be posted, open customer invoices of
        the plan's customer and company that no other plan covers."""
        self.ensure_one()
        if not self.move_ids:
            raise ValidationError(
                self.env._("Select at least one open customer invoice for the plan.")
            )
        self._check_invoices_for_plan(moves, exclude=self)

    @api.model
    def _check_invoices_for_plan(self, moves, exclude=None):
        """Raise unless ``moves`` are posted, open customer invoices that no
        live plan (other than ``exclude``) covers."""
        if not moves:
            return
        not_invoices = moves.filtered(
            lambda m: m.move_type != "out_invoice" or m.state != "posted"
        )
        if not_invoices:
            raise ValidationError(
                self.env._(
                    "Only posted customer invoices can be part of a payment plan: "
                    "%(moves)s.",
                    moves=", ".join(not_invoices.mapped("display_name")),
                )
            )
        paid = moves.filtered(
            lambda m: (
                m.payment_state not in ("not_paid", "partial")
                or m.currency_id.is_zero(m.amount_residual)
            )
        )
        if paid:
            raise ValidationError(
                self.env._(
                    "These invoices are already paid and cannot be part of a "
                    "payment plan: %(invoices)s.",
                    invoices=", ".join(paid.mapped("name")),
                )
            )
        others = self.search(
            [
                ("id", "not in", exclude.ids if exclude else []),
                ("state", "in", LIVE_STATES),
                ("move_ids", "in", moves.ids),
            ]
        )
        if others:
            covered = moves & others.move_ids
            raise ValidationError(
                self.env._(
                    "%(invoices)s already belong to payment plan %(plans)s.",
                    invoices=", ".join(covered.mapped("name")),
                    plans=", ".join(others.mapped("name")),
                )
            )
