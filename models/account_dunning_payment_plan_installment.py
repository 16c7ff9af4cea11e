from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

INSTALLMENT_STATES = [
    ("open", "Open"),
    ("partial", "Partially Paid"),
    ("paid", "Paid"),
]


class AccountDunningPaymentPlanInstallment(models.Model):
    """One due date of a payment plan; filled by the payments on the plan's
    invoices in due-date order."""

    _name = "account.dunning.payment.plan.installment"
    _description = "Payment Plan Installment"
    _order = "plan_id, due_date, sequence, id"
    _rec_name = "sequence"

    plan_id = fields.Many2one(
        "account.dunning.payment.plan",
        string="Payment Plan",
        required=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="plan_id.partner_id")
    currency_id = fields.Many2one(related="plan_id.currency_id")
    plan_state = fields.Selection(related="plan_id.state", string="Plan Status")
    sequence = fields.Integer(string="No.", default=1)
    due_date = fields.Date(required=True)
    is_down_payment = fields.Boolean(string="Down Payment")
    principal_amount = fields.Monetary(string="Principal")
    interest_amount = fields.Monetary(string="Interest")
    amount = fields.Monetary(required=True)
    amount_paid = fields.Monetary(
        string="Paid", compute="_compute_amount_paid", store=True
    )
    amount_residual = fields.Monetary(
        string="Open", compute="_compute_amount_paid", store=True
    )
    state = fields.Selection(
        INSTALLMENT_STATES,
        compute="_compute_amount_paid",
        store=True,
        index=True,
    )
    date_paid = fields.Date(
        string="Paid On",
        readonly=True,
        help="Date of the payment that completed the installment.",
    )
    is_overdue = fields.Boolean(
        compute="_compute_is_overdue", search="_search_is_overdue"
    )
    reminder_sent_date = fields.Date(
        string="Reminder Sent",
        readonly=True,
        copy=False,
        help="Date of the reminder sent before the due date.",
    )
    missed_sent_date = fields.Date(
        string="Missed Notice Sent",
        readonly=True,
        copy=False,
        help="Date of the reminder sent after the installment was missed.",
    )

    @api.depends(
        "amount",
        "due_date",
        "sequence",
        "plan_id.amount_paid",
        "plan_id.installment_ids.amount",
        "plan_id.installment_ids.due_date",
    )
    def _compute_amount_paid(self):
        """The plan's paid amount fills its installments in due-date order."""
        for plan in self.plan_id:
            currency = plan.currency_id
            left = plan.amount_paid
            for installment in plan.installment_ids.sorted(
                lambda i: (i.due_date, i.sequence, i.id)
            ):
                paid = currency.round(min(max(left, 0.0), installment.amount))
                left = currency.round(left - paid)
                if installment not in self:
                    continue
                installment.amount_paid = paid
                installment.amount_residual = currency.round(installment.amount - paid)
                if currency.compare_amounts(paid, installment.amount) >= 0:
                    installment.state = "paid"
                elif currency.compare_amounts(paid, 0.0) > 0:
                    installment.state = "partial"
                else:
                    installment.state = "open"
        for installment in self.filtered(lambda i: not i.plan_id):
            installment.amount_paid = 0.0
            installment.amount_residual = installment.amount
            installment.state = "open"

    def _compute_is_overdue(self):
        today = fields.Date.context_today(self)
        for installment in self:
            installment.is_overdue = (
                installment.state != "paid" and installment.due_date < today
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Operation not supported"))
        domain = [
            ("state", "!=", "paid"),
            ("due_date", "<", fields.Date.context_today(self)),
        ]
        if (operator == "=") == value:
            return domain
        return ["!", "&", *domain]

    @api.constrains("amount", "due_date")
    def _check_amount(self):
        for installment in self:
            if installment.currency_id.compare_amounts(installment.amount, 0.0) <= 0:
                raise ValidationError(
                    self.env._(
                        "Every installment must be greater than zero (installment "
                        "%(number)s of %(plan)s).",
                        number=installment.sequence,
                        plan=installment.plan_id.name,
                    )
                )
        plans = self.plan_id.filtered(lambda p: p.state in ("draft", "proposed"))
        today = fields.Date.context_today(self)
        for plan in plans:
            past = plan.installment_ids.filtered(lambda i: i.due_date < today)
            if past and plan.state == "draft":
                raise ValidationError(
                    self.env._(
                        "Installment %(number)s of %(plan)s would be due on %(date)s, "
                        "which is in the past.",
                        number=past[:1].sequence,
                        plan=plan.name,
                        date=past[:1].due_date,
                    )
                )
        self.plan_id._check_schedule_total()

    @api.depends("sequence", "due_date")
    def _compute_display_name(self):
        for installment in self:
            installment.display_name = self.env._(
                "Installment %(number)s (%(date)s)",
                number=installment.sequence,
                date=installment.due_date,
            )
