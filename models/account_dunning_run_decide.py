"""The dunning run's decisions: which overdue invoices it reads, what it
knows about them beforehand (profiles, policies, blocks, earlier letters), and
the decision per customer and invoice (letter, call, next step or skip)."""

from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL, format_date


class AccountDunningRun(models.Model):
    _inherit = "account.dunning.run"

    def _get_overdue_domain_sql(self):
        """SQL filter of the invoices a run considers (extension point)."""
        return SQL(
            "m.move_type = 'out_invoice' AND m.state = 'posted' "
            "AND m.payment_state IN ('not_paid', 'partial')"
        )

    def _fetch_overdue_invoices(self):
        """Every overdue open customer invoice of the company (one query)."""
        self.env.flush_all()
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT m.id AS move_id,
                       m.commercial_partner_id AS partner_id,
                       m.name AS move_name,
                       m.invoice_date,
                       m.currency_id,
                       m.amount_total,
                       m.amount_residual,
                       m.amount_total_signed AS amount_total_company,
                       m.amount_residual_signed AS amount_residual_company,
                       s.level_id,
                       s.last_date,
                       m.dunning_blocked_until AS blocked_until,
                       m.dunning_excluded AS excluded,
                       MIN(l.date_maturity) AS date_due,
                       SUM(l.amount_residual) AS overdue_company
                  FROM account_move m
                  JOIN account_move_line l ON l.move_id = m.id
                  JOIN account_account a ON a.id = l.account_id
             LEFT JOIN account_dunning_move_state s ON s.move_id = m.id
                 WHERE m.company_id = %(company)s
                   AND %(filter)s
                   AND a.account_type = 'asset_receivable'
                   AND NOT l.reconciled
                   AND l.amount_residual > 0
                   AND l.date_maturity < %(today)s
              GROUP BY m.id, s.id
              ORDER BY m.commercial_partner_id, MIN(l.date_maturity), m.id
                """,
                company=self.company_id.id,
                filter=self._get_overdue_domain_sql(),
                today=self.date,
            )
        )
        for row in rows:
            row["days_overdue"] = (self.date - row["date_due"]).days
        return rows

    def _prepare_context(self, invoices):
        """Everything the decisions need, read with a few grouped queries."""
        company = self.company_id
        partners = self.env["res.partner"].browse(
            sorted({inv["partner_id"] for inv in invoices})
        )
        partners.fetch(
            [
                "is_company",
                "dunning_customer_type",
                "email",
                "user_id",
                "commercial_partner_id",
                "name",
            ]
        )
        profiles = self.env["account.dunning.profile"]
        if partners:
            if self.simulation:
                profiles = profiles.search(
                    [
                        ("company_id", "=", company.id),
                        ("partner_id", "in", partners.ids),
                    ]
                )
            else:
                profiles = profiles._get_profiles(company, partners)
        # the fields the decisions read (not all scores of 5,000 customers)
        profiles.fetch(
            [
                "partner_id",
                "segment_id",
                "block_until",
                "block_reason",
                "last_dunning_date",
            ]
        )
        segment_by_partner = {p.partner_id.id: p.segment_id for p in profiles}
        profile_by_partner = {p.partner_id.id: p for p in profiles}
        # read once per customer, not once per overdue invoice
        profile_values = {
            p.partner_id.id: (p.block_until, p.block_reason, p.last_dunning_date)
            for p in profiles
        }
        missing = partners.filtered(lambda p: p.id not in profile_by_partner)
        if missing:
            # Simulation only: score unknown customers without saving anything.
            values = self.env["account.dunning.profile"]._compute_profile_values(
                company, missing, self.date
            )
            for partner_id, vals in values.items():
                segment_by_partner[partner_id] = self.env[
                    "account.dunning.segment"
                ].browse(vals["computed_segment_id"])
        pending = self.env["account.dunning.letter"]._read_group(
            [
                ("company_id", "=", company.id),
                ("partner_id", "in", partners.ids),
                ("state", "=", "to_approve"),
            ],
            ["partner_id"],
            ["__count"],
        )
        today_letters = self.env["account.dunning.letter"]._read_group(
            [
                ("company_id", "=", company.id),
                ("partner_id", "in", partners.ids),
                ("state", "!=", "cancel"),
                ("date", "=", self.date),
            ],
            ["partner_id"],
            ["__count"],
        )
        levels = self.env["account.dunning.level"].browse(
            {inv["level_id"] for inv in invoices if inv["level_id"]}
        )
        return {
            "partners": {p.id: p for p in partners},
            "profiles": profile_by_partner,
            "profile_values": profile_values,
            "segments": segment_by_partner,
            "policy_map": self.env["account.dunning.policy"]._get_policy_map(company),
            "level_numbers": {},
            "today": self.date,
            "responsibles": {},
            "current_levels": {level.id: level for level in levels},
            "pending_approval": {partner.id for partner, _count in pending},
            "dunned_today": {partner.id for partner, _count in today_letters},
            "external_blocks": self._get_external_blocks(invoices),
            "notified_letters": self._get_notified_letters(invoices),
            "handed_over": self._get_handed_over(invoices),
        }

    def _get_handed_over(self, invoices):
        """Ids of the invoices (at a level) that were handed over for legal
        action before: their legal step is not proposed again."""
        move_ids = [inv["move_id"] for inv in invoices if inv["level_id"]]
        if not move_ids:
            return set()
        groups = self.env["account.dunning.handover.line"]._read_group(
            [
                ("move_id", "in", move_ids),
                ("handover_id.state", "in", ("handed_over", "closed")),
            ],
            ["move_id"],
        )
        return {move.id for (move,) in groups}

    def _get_notified_letters(self, invoices):
        """``{move_id: letter_id}``: the latest letter (not cancelled) that
        brought each invoice to its current level (one query)."""
        move_ids = [inv["move_id"] for inv in invoices if inv["level_id"]]
        if not move_ids:
            return {}
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (line.move_id) line.move_id, letter.id
                  FROM account_dunning_letter_line line
                  JOIN account_dunning_letter letter ON letter.id = line.letter_id
                 WHERE line.move_id = ANY(%s)
                   AND line.escalated
                   AND letter.state != 'cancel'
              ORDER BY line.move_id, letter.date DESC, letter.id DESC
                """,
                move_ids,
            )
        )
        return dict(rows)

    def _get_external_blocks(self, invoices):
        """Invoices blocked by disputes, mediation, payment plans, handovers.

        Every model that declares ``_dunning_blocks_invoices = True`` is asked
        through its ``_get_dunning_blocks(company, move_ids, date)``, which
        returns ``{move_id: (reason, note)}`` (``reason`` a skip reason key) using
        set-based queries. Providers with a lower ``_dunning_block_priority``
        win when several block the same invoice.
        """
        move_ids = [invoice["move_id"] for invoice in invoices]
        blocks = {}
        if not move_ids:
            return blocks
        for model_name in self._get_block_providers():
            provider_blocks = self.env[model_name]._get_dunning_blocks(
                self.company_id, move_ids, self.date
            )
            for move_id, block in provider_blocks.items():
                blocks.setdefault(move_id, block)
        return blocks

    def _apply_amount_reductions(self, invoices):
        """Lower the overdue amount of invoices that are dunned only in part.

        Every model that declares ``_dunning_reduces_amounts = True`` is asked
        through its ``_get_dunning_amount_reductions(company, move_ids, date)``,
        which returns ``{move_id: amount}`` in company currency (e.g. the
        disputed part of an invoice whose undisputed rest is still dunned).
        """
        move_ids = [invoice["move_id"] for invoice in invoices]
        if not move_ids:
            return
        reductions = defaultdict(float)
        for name, cls in self.env.registry.items():
            if getattr(cls, "_dunning_reduces_amounts", False):
                provided = self.env[name]._get_dunning_amount_reductions(
                    self.company_id, move_ids, self.date
                )
                for move_id, amount in provided.items():
                    reductions[move_id] += amount
        for invoice in invoices:
            if reductions.get(invoice["move_id"]):
                invoice["overdue_company"] = self.company_id.currency_id.round(
                    max(
                        0.0,
                        float(invoice["overdue_company"])
                        - reductions[invoice["move_id"]],
                    )
                )

    @api.model
    def _get_block_providers(self):
        providers = [
            (getattr(cls, "_dunning_block_priority", 100), name)
            for name, cls in self.env.registry.items()
            if getattr(cls, "_dunning_blocks_invoices", False)
        ]
        return [name for _priority, name in sorted(providers)]

    def _level_numbers_of(self, policy, context):
        """``(grace days, [(level, days overdue, minimum amount, minimum
        days since the previous step)])`` of ``policy``, its levels in
        order; read once per run."""
        numbers = context["level_numbers"].get(policy.id)
        if numbers is None:
            numbers = context["level_numbers"][policy.id] = (
                policy.grace_days,
                [
                    (
                        level,
                        level.days_overdue,
                        level.min_amount,
                        level.min_days_since_previous,
                    )
                    for level in policy._get_sorted_levels()
                ],
            )
        return numbers

    def _decide_partner(self, partner_id, invoices, context):
        """Decisions for one customer's overdue invoices and, when a level is
        reached, the values of the letter (``None`` otherwise)."""
        partner = context["partners"][partner_id]
        segment = context["segments"].get(partner_id)
        profile = context["profiles"].get(partner_id)
        policy = (
            self.env["account.dunning.policy"]._pick_policy(
                context["policy_map"], segment, partner._is_dunning_consumer()
            )
            if segment
            else None
        )
        decisions = []
        for invoice in invoices:
            decision = {
                "move_id": invoice["move_id"],
                "partner_id": partner_id,
                "segment_id": segment.id if segment else None,
                "days_overdue": invoice["days_overdue"],
                "amount_overdue": invoice["overdue_company"],
                "decision": "skip",
                "reason": None,
                "note": None,
                "level_id": invoice["level_id"],
                "invoice": invoice,
            }
            reason, note, level = self._decide_invoice(
                invoice, partner, policy, context
            )
            if level:
                decision.update(
                    decision="call" if level._get_channel() == "phone" else "letter",
                    level_id=level.id,
                    target_level=level,
                )
            else:
                decision.update(reason=reason, note=note)
            decisions.append(decision)
        self._mark_next_step_due(decisions, context)
        escalating = [d for d in decisions if d.get("target_level")]
        if not escalating:
            return decisions, None
        # The letter's heading is the highest level an invoice reaches in this
        # run; every line keeps its own level, and invoices already notified at
        # their level are shown apart with the earlier letter, never as new.
        letter_level = max(
            (d["target_level"] for d in escalating),
            key=lambda level: (level.days_overdue, level.id),
        )
        for decision in escalating:
            decision["decision"] = (
                "call" if letter_level._get_channel() == "phone" else "letter"
            )
        listed = escalating + [
            d
            for d in decisions
            if d["reason"] in ("grace", "min_amount", "no_escalation")
            or d["decision"] == "next_step"
        ]
        return decisions, self._prepare_letter_vals(
            partner, profile, segment, policy, letter_level, listed, context
        )

    def _mark_next_step_due(self, decisions, context):
        """Invoices at the last level whose deadline has passed: no further
        letter, the legal step is due (decision ``next_step``)."""
        for decision in decisions:
            if decision["reason"] != "no_escalation":
                continue
            invoice = decision["invoice"]
            level = context["current_levels"].get(invoice["level_id"])
            if (
                not level
                or not level.is_final
                or not invoice["last_date"]
                or invoice["move_id"] in context["handed_over"]
            ):
                continue
            deadline = fields.Date.add(
                invoice["last_date"], days=level.payment_deadline_days
            )
            if deadline >= self.date:
                continue
            decision.update(
                decision="next_step",
                reason=None,
                note=self.env._(
                    "Deadline of the %(level)s passed on %(date)s: the legal "
                    "step is due.",
                    level=level.name,
                    date=format_date(self.env, deadline),
                ),
            )

    def _decide_invoice(self, invoice, partner, policy, context):
        """Return ``(skip_reason, note, None)`` or ``(None, None, level)``."""
        today = context["today"]
        if invoice["excluded"]:
            return "excluded", None, None
        if invoice["blocked_until"] and invoice["blocked_until"] >= today:
            return (
                "blocked",
                self.env._(
                    "Invoice blocked until %(date)s", date=invoice["blocked_until"]
                ),
                None,
            )
        block_until, block_reason, profile_last = context["profile_values"].get(
            partner.id, (None, None, None)
        )
        if block_until and block_until >= today:
            return (
                "blocked",
                self.env._(
                    "Customer blocked until %(date)s: %(reason)s",
                    date=block_until,
                    reason=block_reason or "",
                ),
                None,
            )
        external = context["external_blocks"].get(invoice["move_id"])
        if external:
            return external[0], external[1], None
        if not policy:
            return "no_policy", None, None
        if partner.id in context["pending_approval"]:
            return "approval", None, None
        # the numbers of the policy and its levels, read once per run (not
        # once per overdue invoice)
        grace_days, levels = self._level_numbers_of(policy, context)
        if invoice["days_overdue"] <= grace_days:
            return "grace", None, None
        current = context["current_levels"].get(invoice["level_id"])
        current_days = current.days_overdue if current else -1
        target, days, min_amount, min_days = next(
            (numbers for numbers in levels if numbers[1] > current_days),
            (None, None, None, None),
        )
        if not target or days > invoice["days_overdue"]:
            return ("no_escalation" if current else "grace"), None, None
        if invoice["overdue_company"] < min_amount:
            return "min_amount", None, None
        if partner.id in context["dunned_today"]:
            return "interval", self.env._("Already dunned today"), None
        last = max(filter(None, [profile_last, invoice["last_date"]]), default=None)
        if last and (today - last).days < min_days:
            return (
                "interval",
                self.env._("Last dunning step on %(date)s", date=last),
                None,
            )
        return None, None, target
