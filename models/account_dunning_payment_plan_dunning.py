"""Payment plan: what the dunning run, the relationship scoring and the
limitation watch ask of it, and how dunning stops and resumes around a plan."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL


class AccountDunningPaymentPlan(models.Model):
    _inherit = "account.dunning.payment.plan"

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
        body = self.env._(
            "Cancelled: the customer accepted payment plan %(plan)s.",
            plan=self.name,
        )
        covered._message_log_batch(bodies=dict.fromkeys(covered.ids, body))
        covered.action_cancel()
        return covered

    def _resume_dunning(self):
        """After a breach or cancellation the invoices are dunned again: at
        the level they had, or from the first level (plan setting)."""
        bodies = {}
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
            bodies[plan.id] = body
        self._message_log_batch(bodies=bodies)

    # ------------------------------------------------------------------
    # Relationship profile and limitation
    # ------------------------------------------------------------------
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
