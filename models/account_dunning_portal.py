from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, format_amount, format_date

from .account_dunning_dispute import OPEN_STATES, REASONS
from .account_dunning_payment_plan import LIVE_STATES, MAX_INSTALLMENTS
from .account_dunning_portal_event import (
    RATE_MAX_BAD_TOKENS,
    RATE_MAX_POSTS,
)

# Without a policy, a customer may promise to pay within this many days.
DEFAULT_PROMISE_DAYS = 14
# The first installment of a plan agreed in the portal is due after this many
# days; a dispute raised in the portal gets a first deadline after this many.
PORTAL_PLAN_FIRST_DUE_DAYS = 14
PORTAL_DISPUTE_DEADLINE_DAYS = 7
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class AccountDunningPortal(models.AbstractModel):
    """What a customer sees and does on its dunning page in the portal.

    Every method takes the customer's commercial ``partner`` and the
    ``companies`` the access is limited to (the letter's company for a token,
    all companies for a portal user) and reads and writes nothing outside
    them. The caller is the public or portal user, who has no access to the
    dunning models: the methods check the scope first, then work in
    superuser mode.
    """

    _name = "account.dunning.portal"
    _description = "Dunning Customer Portal"

    # ------------------------------------------------------------------
    # Scope
    # ------------------------------------------------------------------
    @api.model
    def _scope_domain(self, partner, companies):
        domain = [("commercial_partner_id", "=", partner.commercial_partner_id.id)]
        if companies:
            domain.append(("company_id", "in", companies.ids))
        return domain

    @api.model
    def _get_open_invoices(self, partner, companies):
        # sudo: portal and public users cannot read dunning data; the domain
        # limits the search to the customer (and company) of the access.
        return (
            self.env["account.move"]
            .sudo()
            .search(
                self._scope_domain(partner, companies)
                + [
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                ],
                order="invoice_date_due, id",
            )
        )

    @api.model
    def _resolve_invoices(self, partner, companies, move_ids):
        """The open invoices ``move_ids`` of the customer, or a refusal that
        names nothing of other customers."""
        try:
            ids = {int(move_id) for move_id in move_ids}
        except (TypeError, ValueError):
            ids = {0}
        if not ids:
            raise UserError(self.env._("Please choose at least one invoice."))
        # sudo: see _get_open_invoices; the scope domain comes first.
        moves = (
            self.env["account.move"]
            .sudo()
            .search(
                self._scope_domain(partner, companies)
                + [("id", "in", list(ids)), ("move_type", "=", "out_invoice")]
            )
        )
        if len(moves) != len(ids):
            raise UserError(
                self.env._("This invoice was not found among your invoices.")
            )
        paid = moves.filtered(
            lambda m: (
                m.state != "posted"
                or m.payment_state not in ("not_paid", "partial")
                or m.currency_id.is_zero(m.amount_residual)
            )
        )
        if paid:
            raise UserError(
                self.env._(
                    "Invoice %(invoices)s is already paid or no longer open.",
                    invoices=", ".join(paid.mapped("name")),
                )
            )
        return moves

    @api.model
    def _get_policy(self, partner, company):
        # sudo: policies and profiles are dunning configuration.
        Policy = self.env["account.dunning.policy"].sudo()
        profile = (
            self.env["account.dunning.profile"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "=", partner.commercial_partner_id.id),
                ],
                limit=1,
            )
        )
        if not profile.segment_id:
            return Policy
        return (
            Policy._pick_policy(
                Policy._get_policy_map(company),
                profile.segment_id,
                partner.commercial_partner_id._is_dunning_consumer(),
            )
            or Policy
        )

    @api.model
    def _get_responsible(self, partner, company, policy=None):
        """Who handles what the customer sends: the policy's responsible, the
        salesperson, else a dunning manager of the company."""
        policy = policy if policy is not None else self._get_policy(partner, company)
        commercial = partner.commercial_partner_id
        for user in (policy.responsible_user_id, commercial.user_id):
            if user and not user.share and company in user.company_ids:
                return user
        # sudo: the group's users are configuration the customer cannot read.
        managers = (
            self.env.ref("account_relationship_dunning.group_dunning_manager")
            .sudo()
            .users.filtered(lambda u: company in u.company_ids and not u.share)
        )
        return managers.sorted("id")[:1] or self.env.ref("base.user_admin")

    # ------------------------------------------------------------------
    # Rate limit and log
    # ------------------------------------------------------------------
    @api.model
    def _log_event(self, event, partner=None, company=None, record=None, note=None):
        request_addr = self.env.context.get("dunning_portal_remote_addr")
        # sudo: the portal log is written for anonymous token holders too.
        return (
            self.env["account.dunning.portal.event"]
            .sudo()
            .create(
                {
                    "event": event,
                    "partner_id": partner.commercial_partner_id.id
                    if partner
                    else False,
                    "company_id": company.id if company else False,
                    "user_id": self.env.uid,
                    "remote_addr": request_addr,
                    "res_model": record._name if record else False,
                    "res_id": record.id if record else False,
                    "note": (note or "")[:250] or False,
                }
            )
        )

    @api.model
    def _check_token_rate(self, remote_addr):
        Event = self.env["account.dunning.portal.event"]
        if remote_addr and (
            Event._count_recent(
                [("event", "=", "bad_token"), ("remote_addr", "=", remote_addr)]
            )
            >= RATE_MAX_BAD_TOKENS
        ):
            raise UserError(
                self.env._(
                    "Too many invalid links were opened from your address. Please "
                    "try again in a few minutes."
                )
            )

    @api.model
    def _check_post_rate(self, partner):
        Event = self.env["account.dunning.portal.event"]
        if (
            Event._count_recent(
                [
                    ("partner_id", "=", partner.commercial_partner_id.id),
                    ("event", "!=", "bad_token"),
                ]
            )
            >= RATE_MAX_POSTS
        ):
            raise UserError(
                self.env._(
                    "You have sent many requests in a short time. Please wait a few "
                    "minutes and try again."
                )
            )

    @api.model
    def _log_on_customer(self, partner, body, author):
        # sudo: the customer's chatter is not writable for portal users; the
        # note names the contact who acted.
        partner.commercial_partner_id.sudo().message_post(
            body=body, subtype_xmlid="mail.mt_note", author_id=author.id
        )

    # ------------------------------------------------------------------
    # Overview
    # ------------------------------------------------------------------
    @api.model
    def _count_open_items(self, partner, companies=None):
        return len(self._get_open_invoices(partner, companies))

    @api.model
    def _get_overview(self, partner, companies):
        """Everything the customer's dunning page shows, in customer words."""
        today = fields.Date.context_today(self)
        moves = self._get_open_invoices(partner, companies)
        status = self._get_invoice_status(moves, today)
        items = []
        for move in moves:
            due = move.invoice_date_due
            overdue_days = max((today - due).days, 0) if due else 0
            items.append(
                {
                    "move": move,
                    "due_date": due,
                    "days_overdue": overdue_days,
                    "amount_residual": move.amount_residual,
                    "currency": move.currency_id,
                    "status": status[move.id][0],
                    "status_class": status[move.id][1],
                    "free": status[move.id][2],
                }
            )
        domain = [("partner_id", "=", partner.commercial_partner_id.id)]
        if companies:
            domain.append(("company_id", "in", companies.ids))
        # sudo: letters, plans, disputes and promises are dunning records the
        # customer cannot read; the domain limits them to the customer.
        letters = (
            self.env["account.dunning.letter"]
            .sudo()
            .search(
                domain + [("state", "=", "done"), ("channel", "!=", "phone")],
                order="date desc, id desc",
            )
        )
        plans = (
            self.env["account.dunning.payment.plan"]
            .sudo()
            .search(domain + [("state", "in", ("proposed", "active"))])
        )
        disputes = (
            self.env["account.dunning.dispute"]
            .sudo()
            .search(
                domain
                + [
                    "|",
                    ("state", "in", OPEN_STATES),
                    ("date_closed", ">=", today - timedelta(days=90)),
                ]
            )
        )
        promises = (
            self.env["account.dunning.promise"]
            .sudo()
            .search(domain + [("state", "=", "open")])
        )
        return {
            "partner": partner.commercial_partner_id,
            "today": today,
            "moves": moves,
            "items": items,
            "totals": self._get_totals(items),
            "letters": letters,
            "plans": plans,
            "plan_states": self._get_plan_state_labels(),
            "disputes": disputes,
            "dispute_states": self._get_dispute_state_labels(),
            "dispute_reasons": dict(
                self.env["account.dunning.dispute"]
                ._fields["reason"]
                ._description_selection(self.env)
            ),
            "promises": promises,
        }

    @api.model
    def _get_totals(self, items):
        totals = {}
        for item in items:
            currency = item["currency"]
            open_amount, overdue = totals.get(currency, (0.0, 0.0))
            totals[currency] = (
                open_amount + item["amount_residual"],
                overdue + (item["amount_residual"] if item["days_overdue"] else 0.0),
            )
        return [
            {"currency": currency, "open": amounts[0], "overdue": amounts[1]}
            for currency, amounts in totals.items()
        ]

    @api.model
    def _get_plan_state_labels(self):
        _ = self.env._
        return {
            "proposed": _("Waiting for your or our confirmation"),
            "review": _("We are reviewing your proposal"),
            "active": _("Agreed"),
        }

    @api.model
    def _get_dispute_state_labels(self):
        _ = self.env._
        return {
            "open": _("Received – we are looking into it"),
            "clarification": _("Being clarified with you"),
            "mediation": _("In mediation"),
            "resolved": _("Resolved"),
            "failed": _("Closed without agreement"),
            "cancel": _("Withdrawn"),
        }

    @api.model
    def _get_invoice_status(self, moves, today):
        """``{move_id: (text, css class, free)}`` in customer words (free: in
        no plan and no open dispute, so the customer may act on it);
        no
        block reason and no internal field (four queries)."""
        _ = self.env._
        result = {}
        if not moves:
            return result
        # sudo: dunning records of the customer's own invoices (scoped by
        # ``moves``, which the caller limited to the customer).
        plans = (
            self.env["account.dunning.payment.plan"]
            .sudo()
            .search([("move_ids", "in", moves.ids), ("state", "in", LIVE_STATES)])
        )
        in_plan = {}
        for plan in plans:
            for move in plan.move_ids:
                in_plan[move.id] = plan
        disputed = set(
            self.env["account.dunning.dispute.line"]
            .sudo()
            .search(
                [("move_id", "in", moves.ids), ("dispute_state", "in", OPEN_STATES)]
            )
            .move_id.ids
        )
        promised = {}
        for promise in (
            self.env["account.dunning.promise"]
            .sudo()
            .search(
                [
                    ("move_ids", "in", moves.ids),
                    ("state", "=", "open"),
                    ("date_promised", ">=", today),
                ]
            )
        ):
            for move in promise.move_ids:
                promised[move.id] = promise.date_promised
        reminded = {}
        for line in (
            self.env["account.dunning.letter.line"]
            .sudo()
            .search([("move_id", "in", moves.ids), ("letter_id.state", "=", "done")])
        ):
            date = line.letter_id.date
            if date and date > reminded.get(line.move_id.id, date.min):
                reminded[line.move_id.id] = date
        for move in moves:
            plan = in_plan.get(move.id)
            if plan and plan.state == "active":
                status = (
                    _("Part of your payment plan %(plan)s", plan=plan.name),
                    "text-bg-info",
                    False,
                )
            elif plan and plan.state in ("proposed", "draft"):
                status = (_("Payment plan being arranged"), "text-bg-info", False)
            elif move.id in disputed:
                status = (
                    _("Objection received – no reminders meanwhile"),
                    "text-bg-secondary",
                    False,
                )
            elif move.id in promised:
                status = (
                    _(
                        "Payment promised by %(date)s",
                        date=format_date(self.env, promised[move.id]),
                    ),
                    "text-bg-info",
                    True,
                )
            elif not move.invoice_date_due or move.invoice_date_due >= today:
                status = (_("Not yet due"), "text-bg-light", True)
            elif move.id in reminded:
                status = (
                    _(
                        "Overdue – reminder sent on %(date)s",
                        date=format_date(self.env, reminded[move.id]),
                    ),
                    "text-bg-danger",
                    True,
                )
            else:
                status = (_("Overdue"), "text-bg-warning", True)
            result[move.id] = status
        return result

    @api.model
    def _get_payment_options(self, moves):
        """Per invoice: Odoo's payment link when a payment provider is active,
        else the company's bank account and an EPC QR code."""
        options = {}
        providers = self._has_payment_provider(moves.company_id)
        for move in moves:
            bank = self._get_bank(move)
            qr_code = None
            if bank and not providers.get(move.company_id.id):
                qr_code = bank.build_qr_code_base64(
                    move.amount_residual,
                    move.payment_reference or move.name,
                    None,
                    move.currency_id,
                    move.partner_id,
                    "sct_qr",
                    silent_errors=True,
                )
            options[move.id] = {
                "pay_url": move.get_portal_url()
                if providers.get(move.company_id.id)
                else False,
                "bank": bank,
                "qr_code": qr_code,
                "reference": move.payment_reference or move.name,
            }
        return options

    @api.model
    def _has_payment_provider(self, companies):
        if "payment.provider" not in self.env or not hasattr(
            self.env["account.move"], "_get_default_payment_link_values"
        ):
            return {}
        # sudo: payment providers are configuration.
        providers = (
            self.env["payment.provider"]
            .sudo()
            .search(
                [
                    ("state", "in", ("enabled", "test")),
                    ("company_id", "in", companies.ids),
                ]
            )
        )
        return {provider.company_id.id: True for provider in providers}

    @api.model
    def _get_bank(self, move):
        company_partner = move.company_id.partner_id
        banks = move.partner_bank_id.filtered(
            lambda bank: bank.partner_id == company_partner
        )
        # sudo: the company's own bank accounts are printed on every invoice.
        banks = (banks | company_partner.sudo().bank_ids).filtered("active")
        iban = banks.filtered(lambda bank: bank.acc_type == "iban")
        return (iban or banks)[:1]

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
                    amount=plan._format(plan.amount_total),
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
                    amount=plan._format(plan.amount_total),
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

    # ------------------------------------------------------------------
    # Letters
    # ------------------------------------------------------------------
    @api.model
    def _get_letter_pdf(self, partner, companies, letter_id):
        """The archived PDF of one of the customer's sent letters."""
        domain = [
            ("id", "=", letter_id),
            ("partner_id", "=", partner.commercial_partner_id.id),
            ("state", "=", "done"),
        ]
        if companies:
            domain.append(("company_id", "in", companies.ids))
        # sudo: the domain limits the search to the customer's sent letters.
        letter = self.env["account.dunning.letter"].sudo().search(domain, limit=1)
        if not letter.pdf_attachment_id:
            raise UserError(self.env._("This letter was not found among your letters."))
        return letter, letter.pdf_attachment_id.raw

    @api.model
    def _attachment_from_upload(self, upload):
        """``(name, bytes)`` of an uploaded file, or None."""
        if not upload or not getattr(upload, "filename", None):
            return None
        content = upload.read()
        if not content:
            return None
        return (upload.filename, content)
