from odoo import api, fields, models
from odoo.exceptions import UserError

SESSION_STATES = [
    ("planned", "Planned"),
    ("held", "Held"),
    ("cancel", "Cancelled"),
]


class AccountDunningMediationSession(models.Model):
    """A meeting of a mediation; planning one schedules an activity for the
    dispute's responsible."""

    _name = "account.dunning.mediation.session"
    _description = "Mediation Session"
    _order = "date, id"

    dispute_id = fields.Many2one(
        "account.dunning.dispute", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="dispute_id.company_id", store=True, index=True
    )
    mediator_id = fields.Many2one(related="dispute_id.mediator_id")
    date = fields.Date(required=True, default=fields.Date.context_today)
    location = fields.Char(help="Place, address or video-call link.")
    note = fields.Text(string="Minutes")
    state = fields.Selection(SESSION_STATES, required=True, default="planned")
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")

    @api.model_create_multi
    def create(self, vals_list):
        sessions = super().create(vals_list)
        for session in sessions:
            if session.dispute_id.state not in ("open", "clarification", "mediation"):
                raise UserError(
                    self.env._(
                        "Dispute %(name)s is closed: no more mediation sessions.",
                        name=session.dispute_id.name,
                    )
                )
        sessions._schedule_activity()
        return sessions

    def write(self, vals):
        result = super().write(vals)
        if {"date", "state"} & set(vals):
            self._schedule_activity()
        return result

    def action_mark_held(self):
        self.write({"state": "held"})
        return True

    def action_cancel(self):
        self.write({"state": "cancel"})
        return True

    def _schedule_activity(self):
        """Keep one activity per planned session, on its dispute."""
        for session in self:
            dispute = session.dispute_id
            activity = session.activity_id
            if activity and session.state == "held":
                activity.action_feedback(feedback=session.note or "")
                continue
            if activity:
                activity.unlink()
            if session.state != "planned":
                continue
            session.activity_id = dispute.activity_schedule(
                "account_relationship_dunning.mail_activity_type_mediation_session",
                date_deadline=session.date,
                summary=self.env._(
                    "Mediation session with %(mediator)s",
                    mediator=dispute.mediator_id.name or dispute.partner_id.name,
                ),
                note=session.location or "",
                user_id=(dispute.user_id or self.env.user).id,
            )
