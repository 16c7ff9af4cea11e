from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .account_dunning_profile import SCORE_BASE

RESPONSIVENESS_COLUMNS = ("answer_count", "recent_letter_count", "score_responsiveness")
# Answers and letters of this many days count for responsiveness.
RESPONSIVENESS_WINDOW_DAYS = 180
# A customer who got this many letters in the window and never answered is
# "silent".
SILENT_LETTER_COUNT = 2


class AccountDunningProfile(models.Model):
    """Responsiveness as a visible factor of the score: a customer who
    answers (promise to pay, payment plan or dispute, in the portal or
    recorded by the collector) is not treated like one who stays silent."""

    _inherit = "account.dunning.profile"

    answer_count = fields.Integer(
        string="Answers (6 Months)",
        readonly=True,
        help="Promises to pay, and payment plans and disputes the customer "
        "raised in the portal, in the last 180 days.",
    )
    recent_letter_count = fields.Integer(string="Letters (6 Months)", readonly=True)
    score_responsiveness = fields.Float(string="Responsiveness Points", readonly=True)

    @api.model
    def _get_score_columns(self):
        return tuple(super()._get_score_columns()) + RESPONSIVENESS_COLUMNS

    @api.model
    def _empty_metrics(self):
        values = super()._empty_metrics()
        values.update(answer_count=0, recent_letter_count=0)
        return values

    def _score_factor_labels(self):
        return super()._score_factor_labels() + [
            ("score_responsiveness", self.env._("Responsiveness (answers / silence)")),
        ]

    @api.model
    def _add_extra_metrics(self, company, metrics):
        """Answers and sent letters of the last 180 days (three grouped
        queries)."""
        metrics = super()._add_extra_metrics(company, metrics)
        if not metrics:
            return metrics
        since = fields.Date.context_today(self) - timedelta(
            days=RESPONSIVENESS_WINDOW_DAYS
        )
        answers = self.env["account.dunning.portal.event"]._add_dunning_metrics(
            company, metrics, since
        )
        self.env.flush_all()
        promise_rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id, COUNT(*)
                  FROM account_dunning_promise
                 WHERE company_id = %s
                   AND partner_id = ANY(%s)
                   AND state != 'cancel'
                   AND date_recorded >= %s
              GROUP BY partner_id
                """,
                company.id,
                list(metrics),
                since,
            )
        )
        letter_rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id, COUNT(*)
                  FROM account_dunning_letter
                 WHERE company_id = %s
                   AND partner_id = ANY(%s)
                   AND state = 'done'
                   AND date >= %s
              GROUP BY partner_id
                """,
                company.id,
                list(metrics),
                since,
            )
        )
        for partner_id, count in promise_rows:
            answers[partner_id] = answers.get(partner_id, 0) + count
        for partner_id, count in answers.items():
            metrics[partner_id]["answer_count"] = count
        for partner_id, count in letter_rows:
            metrics[partner_id]["recent_letter_count"] = count
        return metrics

    @api.model
    def _score(self, values, today):
        """+2 points per answer (at most +6); -4 for a customer who got two
        or more letters in the last 180 days and never answered."""
        values = super()._score(values, today)
        answers = values.setdefault("answer_count", 0)
        letters = values.setdefault("recent_letter_count", 0)
        if answers:
            points = min(2.0 * answers, 6.0)
        elif letters >= SILENT_LETTER_COUNT:
            points = -4.0
        else:
            points = 0.0
        values["score_responsiveness"] = points
        total = SCORE_BASE + sum(
            values.get(field) or 0.0 for field, _label in self._score_factor_labels()
        )
        values["score"] = round(max(0.0, min(100.0, total)), 1)
        return values
