import logging
from collections import defaultdict

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

from . import dunning_sql

_logger = logging.getLogger(__name__)

# Arbitrary constant: first key of the advisory lock taken per company while a
# dunning run writes, so that two runs of one company never overlap.
RUN_LOCK_KEY = 718_402


class DunningRunLocked(UserError):
    """Another dunning run of the same company is writing right now."""


class AccountDunningRun(models.Model):
    """One execution of the dunning engine for one company and day."""

    _name = "account.dunning.run"
    _description = "Dunning Run"
    _inherit = ["mail.thread", "account.dunning.reference.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, default="/", copy=False)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        default=lambda self: self.env.company,
        index=True,
    )
    date = fields.Date(required=True, readonly=True, index=True)
    simulation = fields.Boolean(
        readonly=True,
        help="A simulation records its decisions but creates no letter or "
        "activity and changes no invoice.",
    )
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        default="running",
        required=True,
        readonly=True,
    )
    user_id = fields.Many2one(
        "res.users", readonly=True, default=lambda self: self.env.user
    )
    line_ids = fields.One2many(
        "account.dunning.run.line", "run_id", string="Decisions", readonly=True
    )
    letter_ids = fields.One2many("account.dunning.letter", "run_id", readonly=True)
    invoice_count = fields.Integer(string="Overdue Invoices", readonly=True)
    letter_count = fields.Integer(string="Letters", readonly=True)
    call_count = fields.Integer(string="Phone Calls", readonly=True)
    next_step_count = fields.Integer(
        string="Legal Steps Due",
        readonly=True,
        help="Customers with invoices at the last level whose deadline passed.",
    )
    warning_message = fields.Text(
        string="Warnings",
        readonly=True,
        help="Decisions that need attention, e.g. a phone call without a responsible.",
    )
    skip_count = fields.Integer(string="Skipped Invoices", readonly=True)
    error_message = fields.Text(readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._assign_reference(vals)
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------
    @api.model
    def _run_dunning(self, company=None, date=None, simulation=False):
        """Run the engine for ``company`` (default: current) and return the run."""
        company = company or self.env.company
        date = date or fields.Date.context_today(self)
        run = self.with_company(company).create(
            {"company_id": company.id, "date": date, "simulation": simulation}
        )
        if not simulation and not run._acquire_lock():
            raise DunningRunLocked(
                self.env._(
                    "A dunning run for %(company)s is already in progress. "
                    "Please try again in a moment.",
                    company=company.name,
                )
            )
        run.with_company(company)._execute()
        return run

    @api.model
    def _cron_daily_run(self, batch_size=1):
        """Daily run for every company that has not been dunned today.

        Idempotent: a company with a finished run today is left alone, and a
        second run on the same day would find nothing new anyway. A company
        whose run fails is recorded once (see ``_record_cron_failure``) and
        retried after ``_get_cron_retry_delay()``, after the companies that
        were not tried yet, so that it never starves the others.
        """
        today = fields.Date.context_today(self)
        companies, retry_at = self._get_cron_companies(today)
        batch, rest = companies[:batch_size], companies[batch_size:]
        for company in batch:
            try:
                with self.env.cr.savepoint():
                    self._run_dunning(company, today)
            except DunningRunLocked as error:
                # Another run holds this company's lock: it will finish the job.
                _logger.info("Dunning run for %s skipped: %s", company.name, error)
            except Exception as error:  # noqa: BLE001 - one company must not stop others
                _logger.exception("Dunning run for %s failed", company.name)
                self._record_cron_failure(company, today, error)
                retry_at = min(filter(None, [retry_at, self._get_cron_retry_at()]))
        cron = self.env.ref(
            "account_relationship_dunning.ir_cron_dunning_run", raise_if_not_found=False
        )
        if cron and retry_at and not rest:
            cron._trigger(at=retry_at)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=len(rest))

    def _acquire_lock(self):
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                "SELECT pg_try_advisory_xact_lock(%s, %s)",
                RUN_LOCK_KEY,
                self.company_id.id,
            )
        )
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------
    # Engine
    # ------------------------------------------------------------------
    def _execute(self):
        self.ensure_one()
        invoices = self._fetch_overdue_invoices()
        self._apply_amount_reductions(invoices)
        context = self._prepare_context(invoices)
        decisions = []
        letters_vals = []
        by_partner = defaultdict(list)
        for invoice in invoices:
            by_partner[invoice["partner_id"]].append(invoice)
        for partner_id, partner_invoices in by_partner.items():
            partner_decisions, letter_vals = self._decide_partner(
                partner_id, partner_invoices, context
            )
            decisions.extend(partner_decisions)
            if letter_vals:
                letters_vals.append((letter_vals, partner_decisions))
        warnings = self._check_call_responsibles(letters_vals, context)
        if not self.simulation and letters_vals:
            self._create_letters(letters_vals, context)
        if not self.simulation:
            self._schedule_next_step_activities(decisions, context)
        self._insert_decisions(decisions)
        counts = defaultdict(int)
        for decision in decisions:
            counts[decision["decision"]] += 1
        self.write(
            {
                "state": "done",
                "invoice_count": len(decisions),
                "letter_count": len(
                    {d["partner_id"] for d in decisions if d["decision"] == "letter"}
                ),
                "call_count": len(
                    {d["partner_id"] for d in decisions if d["decision"] == "call"}
                ),
                "skip_count": counts["skip"],
                "next_step_count": len(
                    {d["partner_id"] for d in decisions if d["decision"] == "next_step"}
                ),
                "warning_message": "\n".join(warnings) or False,
            }
        )
        return True

    def _check_call_responsibles(self, letters_vals, context):
        """A phone call nobody can make is a visible warning on the run and
        on the decisions, never an activity for OdooBot."""
        warnings = []
        levels = self.env["account.dunning.level"]
        for vals, partner_decisions in letters_vals:
            level = levels.browse(vals["level_id"])
            if not level.action_call or vals["user_id"]:
                continue
            partner = context["partners"][vals["partner_id"]]
            warning = self.env._(
                "No responsible for the phone call to %(customer)s: set a "
                "salesperson, the policy's dunning responsible or the company's "
                "dunning responsible.",
                customer=partner.display_name,
            )
            warnings.append(warning)
            for decision in partner_decisions:
                if decision["decision"] in ("letter", "call"):
                    decision["note"] = warning
        return warnings

    def _schedule_next_step_activities(self, decisions, context):
        """One activity per customer for the dunning manager proposing the
        legal handover, when invoices at the last level passed their deadline
        (not again while such an activity is open)."""
        partner_ids = sorted(
            {d["partner_id"] for d in decisions if d["decision"] == "next_step"}
        )
        if not partner_ids or self.env.context.get("mail_activity_automation_skip"):
            return
        activity_type = self.env.ref(
            "account_relationship_dunning.mail_activity_type_dunning_handover"
        )
        existing = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partner_ids),
                ("activity_type_id", "=", activity_type.id),
            ]
        )
        partner_ids = [
            pid for pid in partner_ids if pid not in existing.mapped("res_id")
        ]
        manager = self.company_id._get_dunning_manager_user()
        if not manager._is_dunning_assignable():
            manager = self.env["res.users"]
        invoices = defaultdict(list)
        for decision in decisions:
            if decision["decision"] == "next_step":
                invoices[decision["partner_id"]].append(
                    decision["invoice"]["move_name"]
                )
        model_id = self.env["ir.model"]._get_id("res.partner")
        self.env["mail.activity"].create(
            [
                {
                    "activity_type_id": activity_type.id,
                    "summary": self.env._(
                        "Legal step due for %(customer)s: propose the handover",
                        customer=context["partners"][partner_id].name,
                    ),
                    "note": self.env._(
                        "The deadline of the final notice passed for %(invoices)s. "
                        "Prepare the legal handover (court dunning, collection "
                        "agency or lawyer) or decide otherwise.",
                        invoices=", ".join(invoices[partner_id]),
                    ),
                    "automated": True,
                    "date_deadline": self.date,
                    "res_model_id": model_id,
                    "res_id": partner_id,
                    "user_id": manager.id or False,
                }
                for partner_id in partner_ids
            ]
        )

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
        partners.fetch(["is_company", "dunning_customer_type", "email", "user_id"])
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
        segment_by_partner = {p.partner_id.id: p.segment_id for p in profiles}
        profile_by_partner = {p.partner_id.id: p for p in profiles}
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
            "segments": segment_by_partner,
            "policy_map": self.env["account.dunning.policy"]._get_policy_map(company),
            "policy_levels": {},
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

    def _levels_of(self, policy, context):
        levels = context["policy_levels"].get(policy.id)
        if levels is None:
            levels = context["policy_levels"][policy.id] = list(
                policy._get_sorted_levels()
            )
        return levels

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
                invoice, partner, profile, policy, context
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

    def _decide_invoice(self, invoice, partner, profile, policy, context):
        """Return ``(skip_reason, note, None)`` or ``(None, None, level)``."""
        today = self.date
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
        if profile and profile.block_until and profile.block_until >= today:
            return (
                "blocked",
                self.env._(
                    "Customer blocked until %(date)s: %(reason)s",
                    date=profile.block_until,
                    reason=profile.block_reason or "",
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
        if invoice["days_overdue"] <= policy.grace_days:
            return "grace", None, None
        levels = self._levels_of(policy, context)
        current = context["current_levels"].get(invoice["level_id"])
        current_days = current.days_overdue if current else -1
        target = next((lvl for lvl in levels if lvl.days_overdue > current_days), None)
        if not target or target.days_overdue > invoice["days_overdue"]:
            return ("no_escalation" if current else "grace"), None, None
        if invoice["overdue_company"] < target.min_amount:
            return "min_amount", None, None
        if partner.id in context["dunned_today"]:
            return "interval", self.env._("Already dunned today"), None
        last = profile.last_dunning_date if profile else None
        last = max(filter(None, [last, invoice["last_date"]]), default=None)
        if last and (today - last).days < target.min_days_since_previous:
            return (
                "interval",
                self.env._("Last dunning step on %(date)s", date=last),
                None,
            )
        return None, None, target

    def _prepare_letter_vals(
        self, partner, profile, segment, policy, level, listed, context=None
    ):
        company = self.company_id
        currencies = {d["invoice"]["currency_id"] for d in listed}
        currency_id = (
            currencies.pop() if len(currencies) == 1 else company.currency_id.id
        )
        in_invoice_currency = currency_id != company.currency_id.id or all(
            d["invoice"]["currency_id"] == currency_id for d in listed
        )
        channel, channel_note = self._choose_channel(partner, level)
        if level.approval_required:
            state = "to_approve"
        elif channel == "phone":
            state = "done"
        else:
            state = "ready"
        lines = []
        for decision in sorted(listed, key=lambda d: (d["invoice"]["date_due"],)):
            invoice = decision["invoice"]
            if in_invoice_currency:
                total, residual = invoice["amount_total"], invoice["amount_residual"]
            else:
                total = invoice["amount_total_company"]
                residual = invoice["amount_residual_company"]
            target = decision.get("target_level")
            notified = (
                not target
                and invoice["level_id"]
                and (context or {}).get("notified_letters", {}).get(invoice["move_id"])
            )
            lines.append(
                {
                    "move_id": invoice["move_id"],
                    "move_name": invoice["move_name"],
                    "invoice_date": invoice["invoice_date"],
                    "date_due": invoice["date_due"],
                    "currency_id": currency_id,
                    "amount_total": total,
                    "amount_paid": total - residual,
                    "amount_residual": residual,
                    "amount_residual_company": invoice["amount_residual_company"],
                    "days_overdue": invoice["days_overdue"],
                    "level_id": target.id if target else invoice["level_id"],
                    "escalated": bool(target),
                    "previous_level_id": invoice["level_id"],
                    "previous_last_date": invoice["last_date"],
                    "notified_letter_id": notified or False,
                }
            )
        return {
            "company_id": company.id,
            "partner_id": partner.id,
            "run_id": self.id,
            "policy_id": policy.id,
            "level_id": level.id,
            "segment_id": segment.id,
            "channel": channel,
            "channel_note": channel_note,
            "state": state,
            "date": self.date,
            "payment_deadline": fields.Date.add(
                self.date, days=level.payment_deadline_days
            ),
            "user_id": self._get_responsible(partner, policy).id,
            "currency_id": currency_id,
            "line_ids": [fields.Command.create(vals) for vals in lines],
        }

    def _get_responsible(self, partner, policy):
        """Who calls the customer and is named as contact: the salesperson,
        else the policy's dunning responsible, else the company's; never
        OdooBot, an archived or a portal user (empty when none qualifies)."""
        for user in (
            partner.user_id,
            policy.responsible_user_id,
            self.company_id.dunning_responsible_user_id,
        ):
            if user and user._is_dunning_assignable():
                return user
        return self.env["res.users"]

    def _choose_channel(self, partner, level):
        channel = level._get_channel()
        if channel == "email" and not partner.email:
            if level.action_letter:
                return "post", self.env._("No e-mail address: sent by post.")
            return "post", self.env._(
                "No e-mail address: printed for post instead of e-mail."
            )
        return channel, False

    def _create_letters(self, letters_vals, context):
        """Create the letters in one batch; on failure, one customer at a time
        so that a broken record never blocks the others."""
        Letter = self.env["account.dunning.letter"]
        try:
            with self.env.cr.savepoint():
                letters = self._create_letters_bulk(
                    [vals for vals, _decisions in letters_vals]
                )
        except Exception:  # noqa: BLE001 - retried one by one just below
            letters = Letter
            for vals, decisions in letters_vals:
                try:
                    with self.env.cr.savepoint():
                        letters |= Letter._create_from_run([vals])
                except psycopg2.IntegrityError:
                    self._mark_failed(decisions, "concurrent", None)
                except Exception as error:  # noqa: BLE001
                    _logger.warning("Dunning letter failed: %s", error)
                    self._mark_failed(decisions, "error", str(error))
        by_partner = {letter.partner_id.id: letter for letter in letters}
        for _vals, decisions in letters_vals:
            for decision in decisions:
                letter = by_partner.get(decision["partner_id"])
                if letter and decision["decision"] != "skip":
                    decision["letter_id"] = letter.id
        # The letters' totals are computed once, after their lines and claims
        # are written, instead of after each step (3 to 4 passes over all
        # letters otherwise).
        totals = [Letter._fields[name] for name in Letter._get_total_fields()]
        with self.env.protecting(totals, letters):
            self._compute_letter_claims(letters)
        letters._store_amounts()
        # Phone calls are created done: their claims are final at once.
        letters.filtered(
            lambda letter: letter.state == "done" and not letter.claims_error
        )._freeze_claims()
        letters.line_ids._apply_invoice_levels()
        self._update_profiles_last_date(letters)
        self._schedule_calls(letters)
        return letters

    def _create_letters_bulk(self, vals_list):
        """Create the letters, then all their lines with one bulk INSERT per
        10,000 lines: through the letters' one2many the ORM took about half
        of a run over 50,000 invoices to create ~48,000 lines."""
        Letter = self.env["account.dunning.letter"]
        if any(
            command[0] != fields.Command.CREATE
            for vals in vals_list
            for command in vals.get("line_ids", [])
        ):
            return Letter._create_from_run(vals_list)
        letters = Letter._create_from_run(
            [{k: v for k, v in vals.items() if k != "line_ids"} for vals in vals_list]
        )
        # Their totals are computed by the caller once the claims are known.
        totals = [Letter._fields[name] for name in Letter._get_total_fields()]
        for field in totals:
            self.env.remove_to_compute(field, letters)
        with self.env.protecting(totals, letters):
            self.env["account.dunning.letter.line"]._bulk_create(
                [
                    dict(command[2], letter_id=letter.id)
                    for letter, vals in zip(letters, vals_list, strict=True)
                    for command in vals.get("line_ids", [])
                ]
            )
        return letters

    def _compute_letter_claims(self, letters):
        """Interest, flat compensation and fees of the new letters, computed
        for all of them at once. A letter whose interest cannot be computed
        (e.g. a base rate is missing) keeps no claims and records why: it
        cannot be sent before its claims are recomputed; the others go on."""
        try:
            letters._compute_claims()
        except UserError:
            for letter in letters:
                try:
                    letter._compute_claims()
                except UserError as error:
                    letter.write({"claims_error": str(error)})
                    letter.message_post(
                        body=self.env._(
                            "Claims could not be computed: %(error)s",
                            error=str(error),
                        )
                    )

    def _mark_failed(self, decisions, reason, note):
        for decision in decisions:
            if decision["decision"] != "skip":
                decision.update(
                    decision="skip", reason=reason, note=note, level_id=None
                )

    def _update_profiles_last_date(self, letters):
        if not letters:
            return
        profiles = self.env["account.dunning.profile"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("partner_id", "in", letters.partner_id.ids),
            ]
        )
        dunning_sql.sql_update(profiles, {"last_dunning_date": self.date})

    def _schedule_calls(self, letters):
        activity_type = self.env.ref(
            "account_relationship_dunning.mail_activity_type_dunning_call",
            raise_if_not_found=False,
        ) or self.env.ref("mail.mail_activity_data_call")
        if self.env.context.get("mail_activity_automation_skip"):
            return
        # One batch for all calls (what activity_schedule() does per record):
        # the activities and the subscriptions of their users are created
        # with a few queries instead of several per letter.
        model_id = self.env["ir.model"]._get_id("account.dunning.letter")
        self.env["mail.activity"].create(
            [
                {
                    "activity_type_id": activity_type.id,
                    "summary": self.env._(
                        "Call %(customer)s about overdue invoices (%(level)s)",
                        customer=letter.partner_id.name,
                        level=letter.level_id.name,
                    ),
                    "automated": True,
                    "note": activity_type.default_note,
                    "date_deadline": self.date,
                    "res_model_id": model_id,
                    "res_id": letter.id,
                    "user_id": letter.user_id.id,
                }
                for letter in letters.filtered(
                    lambda lt: lt.level_id.action_call and lt.user_id
                )
            ]
        )

    def _insert_decisions(self, decisions):
        """Store the per-invoice decisions with one INSERT per 10,000 rows,
        the values passed as one array per column (cheap to build, unlike a
        VALUES row per decision). The outcome the cockpit groups by ("dunned",
        "next_step" or the skip reason) is written by the same INSERT: a later
        UPDATE of the fresh rows took 23 s at 50,000 decisions (no statistics
        on them yet, see the README's performance section)."""
        if not decisions:
            return
        self.env.flush_all()
        for start in range(0, len(decisions), 10000):
            chunk = decisions[start : start + 10000]
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO account_dunning_run_line
                        (run_id, company_id, move_id, partner_id, segment_id,
                         level_id, letter_id, decision, reason, outcome, note,
                         days_overdue, amount_overdue, create_uid, create_date,
                         write_uid, write_date)
                    SELECT %(run)s, %(company)s, v.move_id, v.partner_id,
                           v.segment_id, v.level_id, v.letter_id, v.decision,
                           v.reason,
                           CASE WHEN v.decision = 'next_step' THEN 'next_step'
                                ELSE COALESCE(v.reason, 'dunned') END,
                           v.note, v.days_overdue, v.amount_overdue,
                           %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s,
                           NOW() AT TIME ZONE 'UTC'
                      FROM unnest(%(move)s::int[], %(partner)s::int[],
                                  %(segment)s::int[], %(level)s::int[],
                                  %(letter)s::int[], %(decision)s::varchar[],
                                  %(reason)s::varchar[], %(note)s::varchar[],
                                  %(days)s::int[], %(amount)s::numeric[])
                           AS v(move_id, partner_id, segment_id, level_id,
                                letter_id, decision, reason, note, days_overdue,
                                amount_overdue)
                    """,
                    run=self.id,
                    company=self.company_id.id,
                    uid=self.env.uid,
                    move=[d["move_id"] for d in chunk],
                    partner=[d["partner_id"] for d in chunk],
                    segment=[d["segment_id"] for d in chunk],
                    level=[d["level_id"] for d in chunk],
                    letter=[d.get("letter_id") for d in chunk],
                    decision=[d["decision"] for d in chunk],
                    reason=[d["reason"] for d in chunk],
                    note=[d["note"] for d in chunk],
                    days=[d["days_overdue"] for d in chunk],
                    amount=[d["amount_overdue"] for d in chunk],
                )
            )
        self.env["account.dunning.run.line"].invalidate_model()
        self.invalidate_recordset(["line_ids"])

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_view_letters(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_relationship_dunning.account_dunning_letter_action"
        )
        action["domain"] = [("run_id", "=", self.id)]
        return action

    def action_view_decisions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_relationship_dunning.account_dunning_run_line_action"
        )
        action["domain"] = [("run_id", "=", self.id)]
        return action
