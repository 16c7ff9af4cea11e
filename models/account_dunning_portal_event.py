from datetime import timedelta

from odoo import api, fields, models

PORTAL_EVENTS = [
    ("plan_active", "Payment plan agreed"),
    ("plan_review", "Payment plan proposed for review"),
    ("dispute", "Dispute raised"),
    ("promise", "Promise to pay"),
    ("refused", "Request refused"),
    ("bad_token", "Invalid link"),
]
# Events that are an answer of the customer (relationship profile).
# Promises count through the promise records (portal or collector).
ANSWER_EVENTS = ("plan_active", "plan_review", "dispute")
# Simple rate limits of the portal forms and links.
RATE_WINDOW_MINUTES = 10
RATE_MAX_POSTS = 10
RATE_MAX_BAD_TOKENS = 20


class AccountDunningPortalEvent(models.Model):
    """What a customer did in the dunning portal, and refused attempts.

    Written only by the portal (in superuser mode, after its own checks);
    read by dunning users. It feeds the rate limit of the portal forms and
    the responsiveness factor of the relationship profile.
    """

    _name = "account.dunning.portal.event"
    _description = "Dunning Portal Event"
    _order = "id desc"

    company_id = fields.Many2one("res.company", index=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", index=True, readonly=True
    )
    user_id = fields.Many2one("res.users", readonly=True)
    event = fields.Selection(PORTAL_EVENTS, required=True, readonly=True)
    remote_addr = fields.Char(string="IP Address", readonly=True)
    res_model = fields.Char(readonly=True)
    res_id = fields.Many2oneReference(model_field="res_model", readonly=True)
    note = fields.Char(readonly=True)

    @api.model
    def _count_recent(self, domain, minutes=RATE_WINDOW_MINUTES):
        since = fields.Datetime.now() - timedelta(minutes=minutes)
        return self.sudo().search_count(domain + [("create_date", ">=", since)])
