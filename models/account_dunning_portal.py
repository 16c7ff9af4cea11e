from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from .account_dunning_dispute import OPEN_STATES
from .account_dunning_payment_plan import LIVE_STATES
from .account_dunning_portal_event import (
    RATE_MAX_BAD_TOKENS,
    RATE_MAX_POSTS,
)


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
