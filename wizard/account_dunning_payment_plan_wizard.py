from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_amount, format_date

from ..models.payment_schedule import (
    FREQUENCIES,
    SCHEDULE_MODES,
    SCHEDULE_PARAMS,
    check_schedule_params,
    prepare_schedule,
    schedule_params,
)


class AccountDunningPaymentPlanWizard(models.TransientModel):
    """Offer a payment plan on selected invoices or from a dunning letter."""

    _name = "account.dunning.payment.plan.wizard"
    _description = "Offer Payment Plan"
    _check_company_auto = True

    letter_id = fields.Many2one("account.dunning.letter", string="Dunning Letter")
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", compute="_compute_partner_id"
    )
    company_id = fields.Many2one("res.company", compute="_compute_partner_id")
    currency_id = fields.Many2one("res.currency", compute="_compute_partner_id")
    is_consumer = fields.Boolean(
        string="Consumer", compute="_compute_is_consumer", store=True, readonly=False
    )
    amount_open = fields.Monetary(string="Open Amount", compute="_compute_amounts")
    include_charges = fields.Boolean(
        string="Include Interest and Fees",
        help="Add the interest, compensation and fees of the dunning letter to "
        "the amount of the plan. They are invoiced when the customer accepts.",
    )
    amount_charges = fields.Monetary(
        string="Interest and Fees Due",
        compute="_compute_amount_charges",
        store=True,
        readonly=False,
    )
    schedule_mode = fields.Selection(
        SCHEDULE_MODES, string="Split By", default="count", required=True
    )
    installment_number = fields.Integer(string="Number of Installments", default=3)
    installment_amount = fields.Monetary()
    frequency = fields.Selection(FREQUENCIES, default="monthly", required=True)
    first_due_date = fields.Date(
        default=lambda self: fields.Date.add(fields.Date.context_today(self), days=14),
        required=True,
    )
    down_payment = fields.Monetary()
    interest_rate = fields.Float(
        string="Interest (% p.a.)",
        digits=(16, 2),
        help="Off for consumers by default: a paid deferral of more than three "
        "months is a consumer credit.",
    )
    amount_total = fields.Monetary(
        string="Acknowledged Amount", compute="_compute_amounts"
    )
    schedule_preview = fields.Html(compute="_compute_amounts", sanitize=False)
    warning = fields.Char(compute="_compute_amounts")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if (
            "move_ids" in fields_list
            and not values.get("move_ids")
            and context.get("active_model") == "account.move"
            and context.get("active_ids")
        ):
            values["move_ids"] = [fields.Command.set(context["active_ids"])]
        letter = self.env["account.dunning.letter"].browse(values.get("letter_id"))
        if letter and "move_ids" in fields_list and not values.get("move_ids"):
            moves = letter.line_ids.move_id.filtered(
                lambda m: m.payment_state in ("not_paid", "partial")
            )
            values["move_ids"] = [fields.Command.set(moves.ids)]
        return values

    @api.depends("move_ids")
    def _compute_partner_id(self):
        Plan = self.env["account.dunning.payment.plan"]
        for wizard in self:
            moves = wizard.move_ids._origin
            partner = moves.commercial_partner_id
            wizard.partner_id = partner if len(partner) == 1 else False
            wizard.company_id = (
                moves.company_id if len(moves.company_id) == 1 else self.env.company
            )
            wizard.currency_id = (
                Plan._get_plan_currency(moves)
                if moves
                else self.env.company.currency_id
            )

    @api.depends("move_ids")
    def _compute_is_consumer(self):
        for wizard in self:
            partner = wizard.move_ids._origin.commercial_partner_id
            wizard.is_consumer = (
                partner._is_dunning_consumer() if len(partner) == 1 else False
            )

    @api.depends("include_charges", "letter_id")
    def _compute_amount_charges(self):
        for wizard in self:
            letter = wizard.letter_id
            # Waived charges are not owed; invoiced ones are an invoice of
            # their own (the letter's charges invoice).
            wizard.amount_charges = (
                letter.amount_charges
                if wizard.include_charges and letter and not letter.charge_move_id
                else 0.0
            )

    @api.depends("move_ids", "amount_charges", "is_consumer", *SCHEDULE_PARAMS)
    def _compute_amounts(self):
        Plan = self.env["account.dunning.payment.plan"]
        today = fields.Date.context_today(self)
        for wizard in self:
            currency = wizard.currency_id
            moves = wizard.move_ids._origin
            amount_open = Plan._get_open_amount(moves, currency)
            wizard.amount_open = amount_open
            wizard.warning = wizard._get_warning()
            try:
                rows = prepare_schedule(
                    wizard._get_schedule_params(),
                    amount_open + wizard.amount_charges,
                    currency.rounding,
                    today,
                    today,
                    self.env._,
                )
            except (UserError, ValidationError) as error:
                wizard.amount_total = amount_open + wizard.amount_charges
                wizard.schedule_preview = wizard._render_preview([], error=str(error))
                continue
            wizard.amount_total = currency.round(
                amount_open
                + wizard.amount_charges
                + sum(row["interest_amount"] for row in rows)
            )
            wizard.schedule_preview = wizard._render_preview(rows)

    def _get_warning(self):
        self.ensure_one()
        if self.is_consumer and (
            self.interest_rate or not self.currency_id.is_zero(self.amount_charges)
        ):
            return self.env._(
                "Consumer: a plan with charges that defers payment for more than "
                "three months is a consumer credit with its own legal "
                "requirements. Keep consumer plans free of charges if possible."
            )
        return False

    def _render_preview(self, rows, error=None):
        """The schedule as an HTML table (or the reason there is none)."""
        self.ensure_one()
        return self.env["ir.qweb"]._render(
            "account_relationship_dunning.payment_plan_schedule_preview",
            {
                "rows": [
                    {
                        "sequence": row["sequence"],
                        "due_date": format_date(self.env, row["due_date"]),
                        "amount": format_amount(
                            self.env, row["amount"], self.currency_id
                        ),
                    }
                    for row in rows
                ],
                "error": error,
            },
        )

    def _get_schedule_params(self):
        self.ensure_one()
        return schedule_params(self)

    def _prepare_plan_vals(self):
        self.ensure_one()
        moves = self.move_ids
        partners = moves.commercial_partner_id
        companies = moves.company_id
        if len(partners) > 1:
            raise ValidationError(
                self.env._(
                    "A payment plan covers invoices of one customer only; the "
                    "selected invoices belong to %(customers)s.",
                    customers=", ".join(partners.mapped("display_name")),
                )
            )
        if len(companies) > 1:
            raise ValidationError(
                self.env._(
                    "A payment plan covers invoices of one company only; the "
                    "selected invoices belong to %(companies)s.",
                    companies=", ".join(companies.mapped("name")),
                )
            )
        return {
            "partner_id": partners.id,
            "company_id": (companies or self.env.company).id,
            "currency_id": self.currency_id.id,
            "letter_id": self.letter_id.id,
            "move_ids": [fields.Command.set(moves.ids)],
            "is_consumer": self.is_consumer,
            "amount_charges": self.amount_charges,
            **self._get_schedule_params(),
        }

    def action_create_plan(self):
        self.ensure_one()
        if not self.move_ids:
            raise ValidationError(
                self.env._("Select at least one open customer invoice for the plan.")
            )
        Plan = self.env["account.dunning.payment.plan"]
        vals = self._prepare_plan_vals()
        # Validate before anything is written (no plan number is used up).
        Plan._check_invoices_for_plan(self.move_ids)
        check_schedule_params(
            self._get_schedule_params(),
            self.amount_open + self.amount_charges,
            self.currency_id.rounding,
            fields.Date.context_today(self),
            self.env._,
        )
        plan = Plan.create(vals)
        if self.letter_id:
            self.letter_id.message_post(
                body=self.env._(
                    "Payment plan %(plan)s offered to the customer.", plan=plan.name
                )
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": plan._name,
            "res_id": plan.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }
