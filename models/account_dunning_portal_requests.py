from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, format_amount, format_date

from .account_dunning_dispute import OPEN_STATES, REASONS
from .payment_schedule import MAX_INSTALLMENTS

# Without a policy, a customer may promise to pay within this many days.
DEFAULT_PROMISE_DAYS = 14
# The first installment of a plan agreed in the portal is due after this many
# days; a dispute raised in the portal gets a first deadline after this many.
PORTAL_PLAN_FIRST_DUE_DAYS = 14
PORTAL_DISPUTE_DEADLINE_DAYS = 7
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class AccountDunningPortal(models.AbstractModel):
    """What the customer asks for in the portal: a payment plan, an
    objection (dispute), a promise to pay. Each request checks the scope
    first (``_resolve_invoices``), then the rules, then works in superuser
    mode; a refusal raises a ``UserError`` that names nothing of others."""

    _inherit = "account.dunning.portal"

    # ------------------------------------------------------------------
    # Payment plan
    # ------------------------------------------------------------------
    @api.model
    def _get_plan_limits(self, partner, company):
        policy = self._get_policy(partner, company)
        return {
            "policy": policy,
            "allowed": bool(policy and policy.portal_plan_allowed),
            "max_installments": policy.portal_plan_max_installments if policy else 0,
            "min_installment": policy.portal_plan_min_installment if policy else 0.0,
            "currency": company.currency_id,
        }

    @api.model
    def _check_plan_within_limits(self, limits, moves, installments):
        """Whether the customer may agree this plan at once; company
        currency (the policy's)."""
        if not limits["allowed"] or installments > limits["max_installments"]:
            return False
        currency = limits["currency"]
        total = sum(moves.mapped("amount_residual_signed"))
        return (
            float_compare(
                total / installments,
                limits["min_installment"],
                precision_rounding=currency.rounding,
            )
            >= 0
        )

    @api.model
    def _propose_plan(self, partner, companies, move_ids, installments, contact):
        """The customer's plan: active at once within the policy's limits,
        otherwise proposed for the dunning manager's review."""
        moves = self._resolve_invoices(partner, companies, move_ids)
        try:
            installments = int(installments)
        except (TypeError, ValueError):
            installments = 0
        if not 1 <= installments <= MAX_INSTALLMENTS:
            raise UserError(
                self.env._(
                    "Please choose between 1 and %(max)s installments.",
                    max=MAX_INSTALLMENTS,
                )
            )
        company = moves.company_id
        if len(company) > 1:
            raise UserError(
                self.env._(
                    "Please propose one plan per invoicing company: the chosen "
                    "invoices were issued by %(companies)s.",
                    companies=", ".join(company.mapped("name")),
                )
            )
        # sudo: the scope check above limited the invoices to the customer.
        Plan = self.env["account.dunning.payment.plan"].sudo()
        Plan._check_invoices_for_plan(moves)
        limits = self._get_plan_limits(partner, company)
        within = self._check_plan_within_limits(limits, moves, installments)
        responsible = self._get_responsible(partner, company, limits["policy"])
        today = fields.Date.context_today(self)
        plan = Plan.create(
            self._prepare_plan_vals(
                partner, company, moves, installments, responsible, today
            )
        )
        plan.action_propose()
        plan.message_post(
            body=self.env._(
                "Proposed by %(contact)s in the customer portal: %(count)s "
                "installments.",
                contact=contact.display_name,
                count=installments,
            ),
            author_id=contact.id,
            subtype_xmlid="mail.mt_note",
        )
        if within:
            plan.action_accept()
            self._send_plan_agreement(plan)
            event, body = (
                "plan_active",
                self.env._(
                    "Payment plan %(plan)s agreed in the customer portal (%(count)s "
                    "installments, %(amount)s).",
                    plan=plan._get_html_link(),
                    count=installments,
                    amount=plan._format_amount(plan.amount_total),
                ),
            )
        else:
            plan.portal_review = True
            plan.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._(
                    "Review the payment plan %(customer)s proposed in the portal",
                    customer=plan.partner_id.name,
                ),
                note=self._get_plan_review_note(limits, moves, installments),
                user_id=responsible.id,
            )
            event, body = (
                "plan_review",
                self.env._(
                    "Payment plan %(plan)s proposed in the customer portal (%(count)s "
                    "installments, %(amount)s); outside the policy's limits, it waits "
                    "for review.",
                    plan=plan._get_html_link(),
                    count=installments,
                    amount=plan._format_amount(plan.amount_total),
                ),
            )
        self._log_on_customer(partner, body, contact)
        moves._message_log_batch(bodies={move.id: body for move in moves})
        self._log_event(event, partner, company, plan)
        return plan

    @api.model
    def _prepare_plan_vals(
        self, partner, company, moves, installments, responsible, today
    ):
        return {
            "partner_id": partner.commercial_partner_id.id,
            "company_id": company.id,
            "move_ids": [Command.set(moves.ids)],
            "user_id": responsible.id,
            "schedule_mode": "count",
            "installment_number": installments,
            "frequency": "monthly",
            "first_due_date": today + timedelta(days=PORTAL_PLAN_FIRST_DUE_DAYS),
            "interest_rate": 0.0,
            "portal_origin": True,
        }

    @api.model
    def _get_plan_review_note(self, limits, moves, installments):
        currency = limits["currency"]
        if not limits["allowed"]:
            return self.env._("The policy does not allow plans without review.")
        return self.env._(
            "%(count)s installments of about %(amount)s; the policy allows at most "
            "%(max)s installments of at least %(min)s.",
            count=installments,
            amount=format_amount(
                self.env,
                sum(moves.mapped("amount_residual_signed")) / installments,
                currency,
            ),
            max=limits["max_installments"],
            min=format_amount(self.env, limits["min_installment"], currency),
        )

    @api.model
    def _send_plan_agreement(self, plan):
        """Send the agreement PDF to the customer (with the plan's e-mail)."""
        template = self.env.ref(
            "account_relationship_dunning.mail_template_payment_plan_portal",
            raise_if_not_found=False,
        )
        if not template or not plan.partner_id.email:
            return
        plan.with_context(mail_notify_force_send=False).message_post_with_source(
            template,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            email_layout_xmlid="mail.mail_notification_light",
        )

    # ------------------------------------------------------------------
    # Dispute
    # ------------------------------------------------------------------
    @api.model
    def _raise_dispute(
        self,
        partner,
        companies,
        move_id,
        reason,
        amount,
        message,
        contact,
        attachment=None,
    ):
        """An open dispute on one of the customer's open invoices; dunning of
        the invoice stops while it is open."""
        move = self._resolve_invoices(partner, companies, [move_id])
        if reason not in dict(REASONS):
            raise UserError(self.env._("Please choose the reason of your objection."))
        amount = self._parse_amount(amount)
        if (
            float_compare(amount, 0.0, precision_rounding=move.currency_id.rounding)
            <= 0
        ):
            raise UserError(self.env._("The disputed amount must be positive."))
        if move.currency_id.compare_amounts(amount, move.amount_residual) > 0:
            raise UserError(
                self.env._(
                    "The disputed amount (%(amount)s) is higher than the open amount "
                    "of invoice %(invoice)s (%(open)s).",
                    amount=format_amount(self.env, amount, move.currency_id),
                    invoice=move.name,
                    open=format_amount(
                        self.env, move.amount_residual, move.currency_id
                    ),
                )
            )
        message = (message or "").strip()
        if not message:
            raise UserError(
                self.env._("Please tell us what is wrong with the invoice.")
            )
        # sudo: the invoice was checked to be the customer's own.
        Line = self.env["account.dunning.dispute.line"].sudo()
        if Line.search_count(
            [("move_id", "=", move.id), ("dispute_state", "in", OPEN_STATES)]
        ):
            raise UserError(
                self.env._(
                    "There is already an open objection to invoice %(invoice)s; we "
                    "will get back to you.",
                    invoice=move.name,
                )
            )
        if attachment and len(attachment[1]) > MAX_ATTACHMENT_BYTES:
            raise UserError(self.env._("The attachment is larger than 10 MB."))
        company = move.company_id
        responsible = self._get_responsible(partner, company)
        today = fields.Date.context_today(self)
        dispute = (
            self.env["account.dunning.dispute"]
            .sudo()
            .create(
                {
                    "partner_id": partner.commercial_partner_id.id,
                    "contact_id": contact.id,
                    "company_id": company.id,
                    "user_id": responsible.id,
                    "reason": reason,
                    "description": message,
                    "date_deadline": today
                    + timedelta(days=PORTAL_DISPUTE_DEADLINE_DAYS),
                    "line_ids": [
                        Command.create({"move_id": move.id, "amount_disputed": amount})
                    ],
                }
            )
        )
        attachments = self.env["ir.attachment"]
        if attachment:
            # sudo: the attachment belongs to the dispute just created.
            attachments = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    {
                        "name": attachment[0] or "attachment",
                        "raw": attachment[1],
                        "res_model": dispute._name,
                        "res_id": dispute.id,
                    }
                )
            )
        dispute.message_post(
            body=Markup("%s<br/>%s")
            % (
                self.env._(
                    "Raised by %(contact)s in the customer portal:",
                    contact=contact.display_name,
                ),
                message,
            ),
            author_id=contact.id,
            attachment_ids=attachments.ids,
            partner_ids=responsible.partner_id.ids,
            subtype_xmlid="mail.mt_comment",
        )
        self._log_on_customer(
            partner,
            self.env._(
                "Dispute %(dispute)s raised in the customer portal on %(invoice)s.",
                dispute=dispute._get_html_link(),
                invoice=move.name,
            ),
            contact,
        )
        self._log_event("dispute", partner, company, dispute)
        return dispute

    @api.model
    def _parse_amount(self, amount):
        if isinstance(amount, (int, float)):
            return float(amount)
        text = (amount or "").strip().replace(" ", "")
        if "," in text and "." in text:
            # 1.234,56 or 1,234.56: the last separator is the decimal one.
            if text.rfind(",") > text.rfind("."):
                text = text.replace(".", "").replace(",", ".")
            else:
                text = text.replace(",", "")
        else:
            text = text.replace(",", ".")
        try:
            return float(text)
        except ValueError as error:
            raise UserError(
                self.env._("Please enter the amount as a number, e.g. 150.00.")
            ) from error

    # ------------------------------------------------------------------
    # Promise to pay
    # ------------------------------------------------------------------
    @api.model
    def _get_promise_max_date(self, partner, company):
        policy = self._get_policy(partner, company)
        days = policy.portal_promise_max_days if policy else DEFAULT_PROMISE_DAYS
        return fields.Date.context_today(self) + timedelta(days=days)

    @api.model
    def _promise(self, partner, companies, move_ids, date_promised, amount, contact):
        """A promise to pay: dunning of its invoices pauses until the date."""
        moves = self._resolve_invoices(partner, companies, move_ids)
        company = moves.company_id
        if len(company) > 1:
            raise UserError(
                self.env._("Please promise one payment per invoicing company.")
            )
        try:
            date_promised = fields.Date.to_date(date_promised)
        except ValueError:
            date_promised = None
        today = fields.Date.context_today(self)
        max_date = self._get_promise_max_date(partner, company)
        if not date_promised or not today <= date_promised <= max_date:
            raise UserError(
                self.env._(
                    "Please choose a payment date between today and %(date)s.",
                    date=format_date(self.env, max_date),
                )
            )
        amount = self._parse_amount(amount)
        currency = company.currency_id
        open_amount = sum(moves.mapped("amount_residual_signed"))
        if currency.compare_amounts(amount, 0.0) <= 0:
            raise UserError(self.env._("The promised amount must be positive."))
        if currency.compare_amounts(amount, open_amount) > 0:
            raise UserError(
                self.env._(
                    "The promised amount (%(amount)s) is higher than the open amount "
                    "of the chosen invoices (%(open)s).",
                    amount=format_amount(self.env, amount, currency),
                    open=format_amount(self.env, open_amount, currency),
                )
            )
        # sudo: the invoices were checked to be the customer's own.
        Promise = self.env["account.dunning.promise"].sudo()
        if Promise.search_count(
            [
                ("move_ids", "in", moves.ids),
                ("state", "=", "open"),
                ("date_promised", ">=", today),
            ]
        ):
            raise UserError(
                self.env._(
                    "You have already promised to pay these invoices; thank you. "
                    "We will not send reminders for them until the promised date."
                )
            )
        responsible = self._get_responsible(partner, company)
        promise = Promise.create(
            {
                "partner_id": partner.commercial_partner_id.id,
                "company_id": company.id,
                "move_ids": [Command.set(moves.ids)],
                "user_id": responsible.id,
                "date_promised": date_promised,
                "amount": amount,
                "note": self.env._(
                    "Promised by %(contact)s in the customer portal.",
                    contact=contact.display_name,
                ),
            }
        )
        self._log_event("promise", partner, company, promise)
        return promise
