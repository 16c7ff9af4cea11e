from datetime import timedelta

from odoo import api, fields, models

from .dunning_guard import DUNNING_MANAGER_GROUP

# A company whose daily run failed is tried again after this delay.
CRON_RETRY_DELAY = timedelta(hours=1)


class AccountDunningRun(models.Model):
    """The daily run of every company, isolated per company: a failing
    company is recorded once (failed run with an activity for a dunning
    manager, attempts counted) and retried later, after the others. A user
    without an e-mail address can run the dunning too."""

    _name = "account.dunning.run"
    _inherit = ["account.dunning.run", "mail.activity.mixin"]

    attempt_count = fields.Integer(
        string="Attempts",
        readonly=True,
        default=1,
        help="How many times the daily run tried this company today.",
    )
    last_attempt = fields.Datetime(
        readonly=True,
        help="When the daily run last tried this company (failed runs).",
    )

    @api.model
    def _get_cron_retry_delay(self):
        return CRON_RETRY_DELAY

    @api.model
    def _get_cron_retry_at(self):
        return fields.Datetime.now() + self._get_cron_retry_delay()

    @api.model
    def _get_cron_companies(self, today):
        """``(companies, retry_at)``: the companies to run now, the ones never
        tried today first, then those whose last failure is older than the
        retry delay (oldest first); ``retry_at``: when a company that failed
        recently is due again (``None`` if none is waiting)."""
        runs = self.search(
            [
                ("date", "=", today),
                ("simulation", "=", False),
                ("state", "in", ("done", "failed")),
            ]
        )
        done = runs.filtered(lambda run: run.state == "done").company_id
        failed_at = {}
        for run in runs.filtered(lambda run: run.state == "failed"):
            attempt = run.last_attempt or run.create_date
            failed_at[run.company_id] = max(
                attempt, failed_at.get(run.company_id, attempt)
            )
        domain = [("id", "not in", done.ids)]
        if not self.env.su:
            domain.append(("id", "in", self.env.user.company_ids.ids))
        companies = self.env["res.company"].search(domain)
        due_before = fields.Datetime.now() - self._get_cron_retry_delay()
        waiting = companies.filtered(
            lambda company: company in failed_at and failed_at[company] > due_before
        )
        due = (companies - waiting).sorted(
            lambda company: (
                company in failed_at,
                failed_at.get(company) or fields.Datetime.now(),
                company.sequence,
                company.id,
            )
        )
        retry_at = (
            min(failed_at[company] for company in waiting)
            + self._get_cron_retry_delay()
            if waiting
            else None
        )
        return due, retry_at

    @api.model
    def _record_cron_failure(self, company, today, error):
        """One failed run per company and day, however often it is retried;
        a dunning manager gets an activity the first time."""
        failed = self.search(
            [
                ("company_id", "=", company.id),
                ("date", "=", today),
                ("simulation", "=", False),
                ("state", "=", "failed"),
            ],
            limit=1,
        )
        message = str(error) or error.__class__.__name__
        if failed:
            failed.write(
                {
                    "error_message": message,
                    "attempt_count": failed.attempt_count + 1,
                    "last_attempt": fields.Datetime.now(),
                }
            )
            return failed
        failed = self.create(
            {
                "company_id": company.id,
                "date": today,
                "state": "failed",
                "error_message": message,
                "last_attempt": fields.Datetime.now(),
            }
        )
        manager = self._get_failure_responsible(company)
        failed.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._(
                "The daily dunning run of %(company)s failed",
                company=company.name,
            ),
            note=self.env._(
                "It is tried again later today. Error: %(error)s",
                error=message,
            ),
            user_id=manager.id,
        )
        return failed

    @api.model
    def _get_failure_responsible(self, company):
        """A dunning manager who works in ``company`` (the administrator if
        none does)."""
        managers = self.env.ref(DUNNING_MANAGER_GROUP).users.filtered(
            lambda user: user.active and not user.share and company in user.company_ids
        )
        managers -= self.env.ref("base.user_root")
        return managers.sorted("id")[:1] or self.env.ref("base.user_admin")

    def _schedule_calls(self, letters):
        if self.env.user.email:
            return super()._schedule_calls(letters)
        # A user without an e-mail address cannot be the sender of the
        # assignment e-mails: the call activities are created without them
        # (they still appear in the assignees' activities).
        return super(
            AccountDunningRun, self.with_context(mail_activity_quick_update=True)
        )._schedule_calls(letters)
