from odoo import fields, models

DECISIONS = [
    ("letter", "Letter / e-mail"),
    ("call", "Phone call"),
    ("skip", "Skipped"),
    ("next_step", "Next step due"),
]
SKIP_REASONS = [
    ("grace", "Within grace days"),
    ("blocked", "Blocked until a date"),
    ("excluded", "Excluded from dunning"),
    ("min_amount", "Below minimum amount"),
    ("interval", "Interval since last letter not elapsed"),
    ("approval", "Waiting for approval"),
    ("no_escalation", "Highest level for now already reached"),
    ("no_policy", "No dunning policy for the customer's segment"),
    ("dispute", "Dispute"),
    ("mediation", "Mediation"),
    ("payment_plan", "Payment plan"),
    ("legal", "Legal proceedings"),
    ("concurrent", "Handled by a concurrent run"),
    ("error", "Error"),
]


class AccountDunningRunLine(models.Model):
    """The decision a dunning run took for one overdue invoice."""

    _name = "account.dunning.run.line"
    _description = "Dunning Run Decision"
    _order = "run_id desc, partner_id, id"
    # Who made the decisions and when is the run's (its creator and date):
    # the decisions carry no user and date columns of their own, like the
    # notifications of a message. Each user column is a foreign key that
    # PostgreSQL checks for every inserted row: two checks per overdue
    # invoice, about a second of a run over 50,000 invoices.
    _log_access = False

    run_id = fields.Many2one(
        "account.dunning.run", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer", index=True)
    segment_id = fields.Many2one("account.dunning.segment")
    level_id = fields.Many2one("account.dunning.level", string="Level Reached")
    letter_id = fields.Many2one("account.dunning.letter", ondelete="set null")
    decision = fields.Selection(DECISIONS, required=True)
    reason = fields.Selection(SKIP_REASONS, string="Skip Reason", index=True)
    note = fields.Char()
    days_overdue = fields.Integer()
    amount_overdue = fields.Monetary(
        string="Overdue Amount", currency_field="currency_id"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
