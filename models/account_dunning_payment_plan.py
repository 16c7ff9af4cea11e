import logging
import math
from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_amount

_logger = logging.getLogger(__name__)

PLAN_STATES = [
    ("draft", "Draft"),
    ("proposed", "Proposed"),
    ("active", "Active"),
    ("completed", "Completed"),
    ("broken", "Broken"),
    ("cancel", "Cancelled"),
]
FREQUENCIES = [
    ("weekly", "Weekly"),
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
]
SCHEDULE_MODES = [
    ("count", "Number of installments"),
    ("amount", "Installment amount"),
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
MAX_INSTALLMENTS = 120
LIVE_STATES = ("draft", "proposed", "active")


class AccountDunningPaymentPlan(models.Model):
    """An installment agreement on a customer's posted, open invoices.

    The plan is paid through the invoices it covers: whatever lowers their
    open amount (reconciled payments, credit notes) fills the installments in
    due-date order.
    """

    _name = "account.dunning.payment.plan"
    _description = "Payment Plan"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "account.dunning.reference.mixin",
    ]
    _order = "date desc, id desc"
    _check_company_auto = True
    # Extension points of the dunning engine and of the relationship scoring.
    _dunning_blocks_invoices = True
    _dunning_block_priority = 50
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
        help="The commercial partner whose invoices the plan covers.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        tracking=True,
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
                        schedule=plan._format(total),
                        total=plan._format(plan.amount_total),
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
    def _format(self, amount):
        self.ensure_one()
        return format_amount(self.env, amount, self.currency_id)

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

    # ------------------------------------------------------------------
    # Schedule
    # ------------------------------------------------------------------
    @api.model
    def _check_schedule_params(self, params, base_amount, currency, today):
        """Raise a ``ValidationError`` for terms that cannot make a schedule."""
        _ = self.env._
        if currency.compare_amounts(base_amount, 0.0) <= 0:
            raise ValidationError(_("There is no open amount to spread over a plan."))
        if params["schedule_mode"] == "count" and params["installment_number"] < 1:
            raise ValidationError(_("The number of installments must be at least 1."))
        if (
            params["schedule_mode"] == "amount"
            and currency.compare_amounts(params["installment_amount"], 0.0) <= 0
        ):
            raise ValidationError(
                _("The installment amount must be greater than zero.")
            )
        if not params["first_due_date"]:
            raise ValidationError(
                _("Please set the due date of the first installment.")
            )
        if params["first_due_date"] < today:
            raise ValidationError(
                _(
                    "The first installment cannot be due in the past "
                    "(%(date)s is before today).",
                    date=params["first_due_date"],
                )
            )
        down_payment = params["down_payment"] or 0.0
        if currency.compare_amounts(down_payment, 0.0) < 0:
            raise ValidationError(_("The down payment cannot be negative."))
        if currency.compare_amounts(down_payment, base_amount) >= 0:
            raise ValidationError(
                _("The down payment must be smaller than the amount of the plan.")
            )
        if (params["interest_rate"] or 0.0) < 0:
            raise ValidationError(_("The interest rate cannot be negative."))

    @api.model
    def _prepare_schedule(self, params, base_amount, currency, start_date, today):
        """Installment values for ``base_amount`` under ``params``.

        ``params``: ``schedule_mode``, ``installment_number``,
        ``installment_amount``, ``frequency``, ``first_due_date``,
        ``down_payment``, ``interest_rate``. The principal parts add up to
        ``base_amount`` exactly: the last installment absorbs the rounding.
        """
        self._check_schedule_params(params, base_amount, currency, today)
        base_amount = currency.round(base_amount)
        down_payment = currency.round(params["down_payment"] or 0.0)
        rest = currency.round(base_amount - down_payment)
        if params["schedule_mode"] == "count":
            count = params["installment_number"]
            regular = currency.round(rest / count)
        else:
            regular = currency.round(params["installment_amount"])
            count = math.ceil(round(rest / regular, 6))
        if count + (1 if down_payment else 0) > MAX_INSTALLMENTS:
            raise ValidationError(
                self.env._(
                    "A payment plan can have at most %(max)s installments.",
                    max=MAX_INSTALLMENTS,
                )
            )
        principals = [regular] * (count - 1)
        principals.append(currency.round(rest - sum(principals)))
        if currency.compare_amounts(principals[-1], 0.0) <= 0:
            raise ValidationError(
                self.env._(
                    "The installments do not fit the amount: choose fewer "
                    "installments or a smaller installment amount."
                )
            )
        first = params["first_due_date"]
        offset = 1 if down_payment else 0
        dates = [
            self._add_period(first, params["frequency"], offset + i)
            for i in range(count)
        ]
        rows = []
        if down_payment:
            rows.append({"principal": down_payment, "due_date": first, "down": True})
        rows += [
            {"principal": p, "due_date": d, "down": False}
            for p, d in zip(principals, dates, strict=True)
        ]
        rate = params["interest_rate"] or 0.0
        vals_list = []
        for sequence, row in enumerate(rows, start=1):
            days = max((row["due_date"] - start_date).days, 0)
            interest = currency.round(row["principal"] * rate / 100.0 * days / 365.0)
            vals_list.append(
                {
                    "sequence": sequence,
                    "due_date": row["due_date"],
                    "principal_amount": row["principal"],
                    "interest_amount": interest,
                    "amount": currency.round(row["principal"] + interest),
                    "is_down_payment": row["down"],
                }
            )
        return vals_list

    @api.model
    def _add_period(self, first_date, frequency, index):
        if frequency == "weekly":
            return first_date + timedelta(weeks=index)
        months = 3 if frequency == "quarterly" else 1
        return first_date + relativedelta(months=months * index)

    def _get_schedule_params(self):
        self.ensure_one()
        return {
            "schedule_mode": self.schedule_mode,
            "installment_number": self.installment_number,
            "installment_amount": self.installment_amount,
            "frequency": self.frequency,
            "first_due_date": self.first_due_date,
            "down_payment": self.down_payment,
            "interest_rate": self.interest_rate,
        }

    def _generate_schedule(self):
        """Replace the installments of a draft plan by a fresh schedule."""
        for plan in self:
            if plan.state != "draft":
                raise UserError(
                    self.env._("Only the schedule of a draft plan can be recomputed.")
                )
            currency = plan.currency_id
            vals_list = plan._prepare_schedule(
                plan._get_schedule_params(),
                plan.amount_open + plan.amount_charges,
                currency,
                plan.date,
                fields.Date.context_today(plan),
            )
            plan.write(
                {
                    "installment_ids": [Command.clear()]
                    + [Command.create(vals) for vals in vals_list]
                }
            )
        return True

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_compute_schedule(self):
        for plan in self:
            plan.amount_open = plan._get_open_amount(plan.move_ids, plan.currency_id)
        self._generate_schedule()
        return True

    def action_propose(self):
        today = fields.Date.context_today(self)
        for plan in self:
            if plan.state != "draft":
                raise UserError(
                    self.env._("Only a draft plan can be proposed to the customer.")
                )
            if not plan.installment_ids:
                raise UserError(
                    self.env._(
                        "Plan %(plan)s has no installments: compute the schedule "
                        "first.",
                        plan=plan.name,
                    )
                )
            open_now = plan._get_open_amount(plan.move_ids, plan.currency_id)
            if plan.currency_id.compare_amounts(open_now, plan.amount_open) != 0:
                raise UserError(
                    self.env._(
                        "The covered invoices are now open for %(now)s instead of "
                        "%(then)s. Recompute the schedule before proposing the plan.",
                        now=plan._format(open_now),
                        then=plan._format(plan.amount_open),
                    )
                )
            first = min(plan.installment_ids.mapped("due_date"))
            if first < today:
                raise UserError(
                    self.env._(
                        "The first installment of %(plan)s is due on %(date)s, "
                        "which is in the past. Recompute the schedule.",
                        plan=plan.name,
                        date=first,
                    )
                )
        self.write({"state": "proposed", "proposal_date": today})
        return True

    def action_accept(self):
        """The customer accepted: the plan becomes binding and acknowledges
        the debt (limitation restarts from the acceptance date)."""
        today = fields.Date.context_today(self)
        for plan in self:
            if plan.state != "proposed":
                raise UserError(
                    self.env._("Only a proposed plan can be accepted by the customer.")
                )
            accepted = plan.acknowledgment_date or today
            if accepted > today:
                raise UserError(
                    self.env._("The acceptance date cannot be in the future.")
                )
            if plan.proposal_date and accepted < plan.proposal_date:
                raise UserError(
                    self.env._(
                        "The acceptance date cannot be before the proposal (%(date)s).",
                        date=plan.proposal_date,
                    )
                )
            plan.write({"state": "active", "acknowledgment_date": accepted})
            plan._create_charge_invoice()
            plan._cancel_pending_letters()
            plan.message_post(
                body=self.env._(
                    "Accepted by the customer on %(date)s. The customer acknowledges "
                    "a debt of %(amount)s; the limitation period restarts.",
                    date=accepted,
                    amount=plan._format(plan.amount_total),
                )
            )
        # The acknowledgment restarts limitation: update the watch now.
        self.env["account.move"]._recompute_dunning_limitation(self.move_ids)
        return True

    def action_cancel(self):
        for plan in self:
            if plan.state in ("completed", "broken", "cancel"):
                raise UserError(
                    self.env._(
                        "Plan %(plan)s is already closed and cannot be cancelled.",
                        plan=plan.name,
                    )
                )
            if plan.state == "active" and not self.env.user.has_group(
                "account_relationship_dunning.group_dunning_manager"
            ):
                raise UserError(
                    self.env._("Only a dunning manager can cancel an active plan.")
                )
        active = self.filtered(lambda p: p.state == "active")
        self.write({"state": "cancel"})
        active._resume_dunning()
        return True

    def action_draft(self):
        for plan in self:
            if plan.state not in ("proposed", "cancel") or plan.charge_move_id:
                raise UserError(
                    self.env._(
                        "Only a proposed or cancelled plan that was never accepted "
                        "can be reset to draft."
                    )
                )
        self.write({"state": "draft", "proposal_date": False})
        return True

    def action_check(self):
        """Run the daily check now for these active plans."""
        self.filtered(lambda p: p.state == "active")._process_plans(
            fields.Date.context_today(self)
        )
        return True

    def action_print_agreement(self):
        return self.env.ref(
            "account_relationship_dunning.action_report_payment_plan"
        ).report_action(self)

    def action_send_agreement(self):
        self.ensure_one()
        template = self.env.ref(
            "account_relationship_dunning.mail_template_payment_plan_proposal"
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
                "force_email": True,
            },
        }

    def action_register_payment(self):
        """Register a payment on the covered invoices, oldest due date first.

        The payment wizard groups the invoices in one payment and reconciles
        it in due-date order; the amount proposed is what is due now.
        """
        self.ensure_one()
        if self.state != "active":
            raise UserError(
                self.env._("Payments are registered on active payment plans only.")
            )
        moves = self.move_ids.filtered(
            lambda m: m.payment_state in ("not_paid", "partial")
        ).sorted(lambda m: (m.invoice_date_due or m.date, m.invoice_date, m.id))
        if not moves:
            raise UserError(self.env._("The invoices of this plan are paid."))
        action = moves.action_register_payment()
        context = dict(action.get("context") or {})
        context.update(
            {
                "default_group_payment": True,
                "default_communication": self.name,
                "dont_redirect_to_payments": True,
            }
        )
        due_now = self._get_amount_due_now()
        if due_now and self.currency_id == moves.currency_id:
            context["default_amount"] = due_now
        action["context"] = context
        return action

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.move_ids.ids)]
        action["context"] = {"default_move_type": "out_invoice", "create": False}
        return action

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _get_amount_due_now(self):
        """Arrears plus the next installment's open part."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        unpaid = self.installment_ids.filtered(lambda i: i.state != "paid").sorted(
            lambda i: (i.due_date, i.sequence, i.id)
        )
        due = unpaid.filtered(lambda i: i.due_date <= today)
        if not due:
            due = unpaid[:1]
        return self.currency_id.round(sum(due.mapped("amount_residual")))

    def _create_charge_invoice(self):
        """Invoice the interest and fees included in the plan, due at once and
        covered by the plan like the other invoices."""
        self.ensure_one()
        currency = self.currency_id
        if currency.is_zero(self.amount_charges + self.amount_interest):
            return self.env["account.move"]
        _ = self.env._
        lines = []
        if not currency.is_zero(self.amount_charges):
            lines.append(
                Command.create(
                    {
                        "name": _(
                            "Interest and fees due at the agreement of payment "
                            "plan %(plan)s",
                            plan=self.name,
                        ),
                        "quantity": 1,
                        "price_unit": self.amount_charges,
                        "tax_ids": [Command.clear()],
                    }
                )
            )
        if not currency.is_zero(self.amount_interest):
            lines.append(
                Command.create(
                    {
                        "name": _(
                            "Interest on the installments of payment plan %(plan)s",
                            plan=self.name,
                        ),
                        "quantity": 1,
                        "price_unit": self.amount_interest,
                        "tax_ids": [Command.clear()],
                    }
                )
            )
        journal = self.env["account.journal"].search(
            [
                *self.env["account.journal"]._check_company_domain(self.company_id),
                ("type", "=", "sale"),
            ],
            limit=1,
        )
        move = (
            self.env["account.move"]
            .with_company(self.company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id.id,
                    "journal_id": journal.id,
                    "currency_id": currency.id,
                    "invoice_date": self.acknowledgment_date,
                    "invoice_date_due": self.acknowledgment_date,
                    "invoice_origin": self.name,
                    "invoice_line_ids": lines,
                }
            )
        )
        move.action_post()
        self.with_context(dunning_plan_add_charges=True).write(
            {"charge_move_id": move.id, "move_ids": [Command.link(move.id)]}
        )
        return move

    def _cancel_pending_letters(self):
        """Letters not sent yet that only ask for invoices of the plan are
        cancelled; the customer now pays by installments."""
        self.ensure_one()
        letters = self.env["account.dunning.letter"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("state", "in", ("draft", "to_approve", "ready")),
                ("line_ids.move_id", "in", self.move_ids.ids),
            ]
        )
        covered = letters.filtered(lambda lt: lt.line_ids.move_id <= self.move_ids)
        for letter in covered:
            letter.message_post(
                body=self.env._(
                    "Cancelled: the customer accepted payment plan %(plan)s.",
                    plan=self.name,
                )
            )
        covered.action_cancel()
        return covered

    def _resume_dunning(self):
        """After a breach or cancellation the invoices are dunned again: at
        the level they had, or from the first level (plan setting)."""
        for plan in self:
            moves = plan.move_ids.filtered(
                lambda m: m.payment_state in ("not_paid", "partial")
            )
            if plan.resume_mode == "restart" and moves:
                # sudo: invoice dunning levels are engine output, protected
                # against direct writes; the plan's action restarts them.
                moves.sudo().write(
                    {"dunning_level_id": False, "dunning_last_date": False}
                )
                body = self.env._("Dunning restarts at the first level.")
            else:
                levels = ", ".join(moves.dunning_level_id.mapped("display_name"))
                body = (
                    self.env._("Dunning resumes at level %(levels)s.", levels=levels)
                    if levels
                    else self.env._("Dunning resumes.")
                )
            plan.message_post(body=body)

    def _refresh_payment_dates(self):
        """Date on which each installment was paid in full (set-based).

        The plan's paid amount comes from the open amount of its invoices. The
        dates come from the reconciliations of the invoices (payments, credit
        notes): the most recent ones that make up the paid amount, applied
        oldest first to the installments in due-date order.
        """
        if not self:
            return
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT r.plan_id, p.max_date,
                       SUM(CASE WHEN m.currency_id = plan.currency_id
                                THEN p.debit_amount_currency ELSE p.amount END)
                  FROM account_dunning_payment_plan_move_rel r
                  JOIN account_dunning_payment_plan plan ON plan.id = r.plan_id
                  JOIN account_move m ON m.id = r.move_id
                  JOIN account_move_line l ON l.move_id = m.id
                  JOIN account_partial_reconcile p ON p.debit_move_id = l.id
                 WHERE r.plan_id = ANY(%s)
              GROUP BY r.plan_id, p.max_date
              ORDER BY r.plan_id, p.max_date DESC
                """,
                self.ids,
            )
        )
        chunks = defaultdict(list)
        for plan_id, date, amount in rows:
            chunks[plan_id].append((date, float(amount or 0.0)))
        for plan in self:
            plan._apply_payment_dates(chunks.get(plan.id, []))

    def _apply_payment_dates(self, chunks):
        """``chunks``: ``[(date, amount)]`` newest first."""
        self.ensure_one()
        currency = self.currency_id
        needed = self.amount_paid
        used = []
        for date, amount in chunks:
            if currency.compare_amounts(needed, 0.0) <= 0:
                break
            take = min(amount, needed)
            used.append((date, take))
            needed = currency.round(needed - take)
        used.reverse()
        payments = iter(used)
        current_date, current_left = next(payments, (None, 0.0))
        updates = defaultdict(
            lambda: self.env["account.dunning.payment.plan.installment"]
        )
        for installment in self.installment_ids.sorted(
            lambda i: (i.due_date, i.sequence, i.id)
        ):
            need = installment.amount
            date_paid = False
            while currency.compare_amounts(need, 0.0) > 0 and current_date:
                take = min(need, current_left)
                need = currency.round(need - take)
                current_left = currency.round(current_left - take)
                date_paid = current_date
                if currency.compare_amounts(current_left, 0.0) <= 0:
                    current_date, current_left = next(payments, (None, 0.0))
            paid_date = date_paid if currency.is_zero(need) else False
            if installment.date_paid != paid_date:
                updates[paid_date] |= installment
        for paid_date, installments in updates.items():
            installments.write({"date_paid": paid_date})

    def _process_plans(self, today):
        """Daily check of active plans: reminders, breaches, completion.

        Plans are checked in one savepoint; when one fails, each plan gets its
        own savepoint so that a broken record never blocks the others.
        """
        plans = self.filtered(lambda p: p.state == "active")
        if not plans:
            return {}
        plans._refresh_payment_dates()
        events = {}
        try:
            with self.env.cr.savepoint():
                for plan in plans:
                    events[plan.id] = plan._check_plan(today)
        except Exception:  # noqa: BLE001 - retried one by one just below
            events = {}
            for plan in plans:
                try:
                    with self.env.cr.savepoint():
                        events[plan.id] = plan._check_plan(today)
                except Exception as error:  # noqa: BLE001 - isolate the plan
                    _logger.exception("Payment plan %s check failed", plan.name)
                    plan.message_post(
                        body=self.env._(
                            "The daily check of this plan failed: %(error)s",
                            error=str(error),
                        )
                    )
                    plan.last_check_date = today
        changed = plans.filtered(lambda p: events.get(p.id) in ("broken", "completed"))
        for company in changed.company_id:
            self.env["account.dunning.profile"].with_company(company)._recompute_scores(
                company,
                changed.filtered(lambda p, c=company: p.company_id == c).partner_id,
            )
        return events

    def _check_plan(self, today):
        """Check one active plan on ``today``; return what happened."""
        self.ensure_one()
        self.last_check_date = today
        currency = self.currency_id
        if (
            self.installment_ids
            and currency.compare_amounts(self.amount_residual, 0.0) <= 0
        ):
            self._complete(today)
            return "completed"
        installments = self.installment_ids.sorted(
            lambda i: (i.due_date, i.sequence, i.id)
        )
        if self.is_consumer:
            event = self._check_consumer_breach(installments, today)
        else:
            event = self._check_business_breach(installments, today)
        if event == "broken":
            return event
        self._send_reminders(installments, today)
        return event

    def _check_business_breach(self, installments, today):
        late = installments.filtered(
            lambda i: (
                i.state != "paid"
                and i.due_date + timedelta(days=self.grace_days) < today
            )
        )[:1]
        if not late:
            return None
        self._break(
            today,
            self.env._(
                "Installment %(number)s of %(amount)s, due on %(date)s, is unpaid "
                "after %(days)s days of grace: the remaining amount is due.",
                number=late.sequence,
                amount=self._format(late.amount),
                date=late.due_date,
                days=self.grace_days,
            ),
        )
        return "broken"

    def _check_consumer_breach(self, installments, today):
        run = longest = 0
        arrears = 0.0
        for installment in installments:
            if installment.state != "paid" and installment.due_date < today:
                run += 1
                longest = max(longest, run)
                arrears += installment.amount_residual
            else:
                run = 0
        currency = self.currency_id
        in_breach = (
            longest >= 2
            and currency.compare_amounts(
                arrears, self.amount_total * CONSUMER_ARREARS_SHARE
            )
            >= 0
        )
        if not in_breach:
            if self.warning_deadline:
                self.write({"warning_deadline": False})
                self.message_post(
                    body=self.env._(
                        "The arrears were reduced: the warning of %(date)s no "
                        "longer applies.",
                        date=self.warning_date,
                    )
                )
            return None
        if not self.warning_deadline:
            self.write(
                {
                    "warning_date": today,
                    "warning_deadline": today + timedelta(days=CONSUMER_WARNING_DAYS),
                }
            )
            self._send_warning()
            return "warned"
        if today > self.warning_deadline:
            self._break(
                today,
                self.env._(
                    "%(count)s consecutive installments (%(amount)s) are unpaid and "
                    "the deadline of the warning of %(date)s has passed: the "
                    "remaining amount is due.",
                    count=longest,
                    amount=self._format(arrears),
                    date=self.warning_date,
                ),
            )
            return "broken"
        return None

    def _send_warning(self):
        self.ensure_one()
        return self._post_template_message(
            "account_relationship_dunning.mail_template_payment_plan_warning", self
        )

    def _send_reminders(self, installments, today):
        """Friendly reminders before a due date and after a missed one; each
        installment records what it got, so a reminder is never sent twice."""
        self.ensure_one()
        unpaid = installments.filtered(lambda i: i.state != "paid")
        before = after = unpaid.browse()
        if self.reminder_days_before >= 0:
            before = unpaid.filtered(
                lambda i: (
                    not i.reminder_sent_date
                    and i.due_date >= today
                    and (i.due_date - today).days <= self.reminder_days_before
                )
            )
        if self.reminder_days_after >= 0:
            after = unpaid.filtered(
                lambda i: (
                    not i.missed_sent_date
                    and (today - i.due_date).days >= max(self.reminder_days_after, 1)
                )
            )
        if before:
            # One reminder per installment: the next one due.
            before = before[:1]
            self._post_template_message(
                "account_relationship_dunning.mail_template_payment_plan_reminder",
                before,
            )
            before.write({"reminder_sent_date": today})
        if after:
            # One message for all newly missed installments.
            self._post_template_message(
                "account_relationship_dunning.mail_template_payment_plan_missed",
                after[:1],
            )
            after.write({"missed_sent_date": today})

    def _post_template_message(self, template_xmlid, record):
        """Render a mail template for ``record`` (the plan or one of its
        installments) in the customer's language and post it on the plan,
        e-mailing the customer."""
        self.ensure_one()
        template = self.env.ref(template_xmlid)
        subject = template._render_field("subject", record.ids, compute_lang=True)
        body = template._render_field("body_html", record.ids, compute_lang=True)
        return self.message_post(
            body=body[record.id],
            subject=subject[record.id],
            author_id=(self.user_id or self.env.user).partner_id.id,
            partner_ids=self.partner_id.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _complete(self, today):
        self.ensure_one()
        dates = self.installment_ids.mapped("date_paid")
        completed = max(filter(None, dates), default=today)
        on_time = all(
            i.date_paid and i.date_paid <= i.due_date + timedelta(days=self.grace_days)
            for i in self.installment_ids
        )
        self.write(
            {
                "state": "completed",
                "completed_date": completed,
                "completed_on_time": on_time,
            }
        )
        self.message_post(
            body=self.env._("Completed: every installment was paid on time.")
            if on_time
            else self.env._("Completed: every installment is paid, some late.")
        )

    def _break(self, today, reason):
        self.ensure_one()
        self.write({"state": "broken", "broken_date": today, "breach_reason": reason})
        self.message_post(body=reason)
        self._resume_dunning()
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=(self.user_id or self.env.user).id,
            summary=self.env._("Payment plan broken: follow up with the customer"),
            note=reason,
        )

    # ------------------------------------------------------------------
    # Cron
    # ------------------------------------------------------------------
    @api.model
    def _cron_payment_plans(self, batch_size=200):
        """Daily: check the active plans not yet checked today.

        Idempotent: a plan checked today is skipped, and reminders are recorded
        per installment.
        """
        today = fields.Date.context_today(self)
        domain = [
            ("state", "=", "active"),
            "|",
            ("last_check_date", "=", False),
            ("last_check_date", "<", today),
        ]
        plans = self.search(domain, order="id", limit=batch_size)
        remaining = self.search_count(domain) - len(plans)
        plans._process_plans(today)
        self.env["ir.cron"]._notify_progress(
            done=len(plans), remaining=max(remaining, 0)
        )
        return True

    # ------------------------------------------------------------------
    # Extension points of the dunning engine and the scoring
    # ------------------------------------------------------------------
    @api.model
    def _get_dunning_blocks(self, company, move_ids, date):
        """Invoices of active plans are not dunned (one query)."""
        self.flush_model(["state", "company_id", "name", "move_ids"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (r.move_id) r.move_id, p.name
                  FROM account_dunning_payment_plan_move_rel r
                  JOIN account_dunning_payment_plan p ON p.id = r.plan_id
                 WHERE p.company_id = %s
                   AND p.state = 'active'
                   AND r.move_id = ANY(%s)
              ORDER BY r.move_id, p.id DESC
                """,
                company.id,
                list(move_ids),
            )
        )
        return {
            move_id: (
                "payment_plan",
                self.env._("Payment plan %(plan)s", plan=name),
            )
            for move_id, name in rows
        }

    @api.model
    def _add_dunning_metrics(self, company, metrics):
        """Broken plans and plans completed on time (last 24 months) per
        commercial partner, with one grouped query."""
        if not metrics:
            return metrics
        self.flush_model(
            ["state", "company_id", "partner_id", "broken_date", "completed_date"]
        )
        since = fields.Date.context_today(self) - timedelta(days=730)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id,
                       COUNT(*) FILTER (WHERE state = 'broken'
                                          AND broken_date > %(since)s),
                       COUNT(*) FILTER (WHERE state = 'completed'
                                          AND completed_on_time
                                          AND completed_date > %(since)s)
                  FROM account_dunning_payment_plan
                 WHERE company_id = %(company)s
                   AND partner_id = ANY(%(partners)s)
                   AND state IN ('broken', 'completed')
              GROUP BY partner_id
                """,
                since=since,
                company=company.id,
                partners=list(metrics),
            )
        )
        for partner_id, broken, completed in rows:
            metrics[partner_id]["broken_plan_count"] = broken
            metrics[partner_id]["completed_plan_count"] = completed
        return metrics

    @api.model
    def _get_acknowledgment_dates(self, moves):
        """``{move_id: latest acknowledgment date}`` of accepted plans covering
        ``moves``: each restarts the limitation of the claim (§ 212 BGB)."""
        if not moves:
            return {}
        self.flush_model(["state", "acknowledgment_date", "move_ids"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT r.move_id, MAX(p.acknowledgment_date)
                  FROM account_dunning_payment_plan_move_rel r
                  JOIN account_dunning_payment_plan p ON p.id = r.plan_id
                 WHERE r.move_id = ANY(%s)
                   AND p.acknowledgment_date IS NOT NULL
                   AND p.state IN ('active', 'completed', 'broken')
              GROUP BY r.move_id
                """,
                moves.ids,
            )
        )
        return dict(rows)
