import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

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
