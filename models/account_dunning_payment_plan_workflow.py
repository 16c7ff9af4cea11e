"""Payment plan: proposal, acceptance, cancellation and the actions of the form."""

from odoo import Command, fields, models
from odoo.exceptions import UserError


class AccountDunningPaymentPlan(models.Model):
    _inherit = "account.dunning.payment.plan"

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
                        now=plan._format_amount(open_now),
                        then=plan._format_amount(plan.amount_open),
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
                    amount=plan._format_amount(plan.amount_total),
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
            if plan.state == "active":
                plan._check_manager(
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

    # ------------------------------------------------------------------
    # Agreement
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
        # No journal given: the invoice gets the sale journal Odoo chooses for
        # the company and the currency (account.move._search_default_journal).
        move = (
            self.env["account.move"]
            .with_company(self.company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id.id,
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
