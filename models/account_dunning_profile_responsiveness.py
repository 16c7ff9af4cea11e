from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .account_dunning_portal_event import ANSWER_EVENTS
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
        """Answers and sent letters of the last 180 days (one grouped
        query over portal events, promises and letters)."""
        metrics = super()._add_extra_metrics(company, metrics)
        if not metrics:
            return metrics
        since = fields.Date.context_today(self) - timedelta(
            days=RESPONSIVENESS_WINDOW_DAYS
        )
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id, SUM(answers), SUM(letters)
                  FROM (
                        SELECT partner_id, COUNT(*) AS answers, 0 AS letters
                          FROM account_dunning_portal_event
                         WHERE company_id = %(company)s
                           AND partner_id = ANY(%(partners)s)
                           AND event IN %(events)s
                           AND create_date >= %(since)s
                      GROUP BY partner_id
                     UNION ALL
                        SELECT partner_id, COUNT(*), 0
                          FROM account_dunning_promise
                         WHERE company_id = %(company)s
                           AND partner_id = ANY(%(partners)s)
                           AND state != 'cancel'
                           AND date_recorded >= %(since)s
                      GROUP BY partner_id
                     UNION ALL
                        SELECT partner_id, 0, COUNT(*)
                          FROM account_dunning_letter
                         WHERE company_id = %(company)s
                           AND partner_id = ANY(%(partners)s)
                           AND state = 'done'
                           AND date >= %(since)s
                      GROUP BY partner_id
                       ) x
              GROUP BY partner_id
                """,
                company=company.id,
                partners=list(metrics),
                events=ANSWER_EVENTS,
                since=since,
            )
        )
        for partner_id, answers, letters in rows:
            metrics[partner_id]["answer_count"] = int(answers)
            metrics[partner_id]["recent_letter_count"] = int(letters)
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
