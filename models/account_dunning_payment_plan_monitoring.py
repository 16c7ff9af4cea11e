"""Payment plan: the daily check of active plans (cron), the breach rules
and the reminders."""

import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .account_dunning_payment_plan import CONSUMER_ARREARS_SHARE, CONSUMER_WARNING_DAYS

_logger = logging.getLogger(__name__)


class AccountDunningPaymentPlan(models.Model):
    _inherit = "account.dunning.payment.plan"

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
        for company, company_plans in changed.grouped("company_id").items():
            self.env["account.dunning.profile"].with_company(company)._recompute_scores(
                company, company_plans.partner_id
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

    # ------------------------------------------------------------------
    # Payments
    # ------------------------------------------------------------------
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

    # ------------------------------------------------------------------
    # Breach rules
    # ------------------------------------------------------------------
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
                amount=self._format_amount(late.amount),
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
                    amount=self._format_amount(arrears),
                    date=self.warning_date,
                ),
            )
            return "broken"
        return None

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

    # ------------------------------------------------------------------
    # Reminders
    # ------------------------------------------------------------------
    def _send_warning(self):
        self.ensure_one()
        return self._post_template_message(
            "account_relationship_dunning.mail_template_payment_plan_warning"
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

    def _post_template_message(self, template_xmlid, installment=None):
        """Post the mail template ``template_xmlid`` of the plan on the plan,
        e-mailing the customer (queued, the mail cron sends it); the
        template renders in the customer's language, its sender is the
        plan's responsible, and it reads the ``installment`` it is about
        through ``_get_notified_installment``."""
        self.ensure_one()
        plan = self
        if installment:
            plan = self.with_context(dunning_notified_installment_id=installment.id)
        return plan.with_context(mail_notify_force_send=False).message_post_with_source(
            self.env.ref(template_xmlid),
            partner_ids=self.partner_id.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _get_notified_installment(self):
        """The installment a reminder is about: the one the reminder is sent
        for, else (e.g. in the template's preview) the first unpaid one."""
        self.ensure_one()
        installment_id = self.env.context.get("dunning_notified_installment_id")
        if installment_id:
            return self.installment_ids.filtered(
                lambda installment: installment.id == installment_id
            )
        return self.installment_ids.filtered(
            lambda installment: installment.state != "paid"
        )[:1]
