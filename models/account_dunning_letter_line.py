from odoo import fields, models
from odoo.tools import SQL


class AccountDunningLetterLine(models.Model):
    """Snapshot of one invoice as the letter states it."""

    _name = "account.dunning.letter.line"
    _description = "Dunning Letter Line"
    _order = "letter_id, date_due, id"

    letter_id = fields.Many2one(
        "account.dunning.letter", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="letter_id.company_id", store=True)
    partner_id = fields.Many2one(related="letter_id.partner_id")
    letter_state = fields.Selection(related="letter_id.state")
    letter_date = fields.Date(related="letter_id.date")
    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, index=True, ondelete="cascade"
    )
    move_name = fields.Char(string="Number", required=True)
    invoice_date = fields.Date()
    date_due = fields.Date(string="Due Date")
    currency_id = fields.Many2one(
        "res.currency", required=True, help="The letter's currency."
    )
    amount_total = fields.Monetary(string="Amount")
    amount_paid = fields.Monetary(string="Paid")
    amount_residual = fields.Monetary(string="Open")
    amount_residual_company = fields.Monetary(
        string="Open (company currency)", currency_field="company_currency_id"
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    interest_amount = fields.Monetary(
        string="Interest", help="Statutory default interest on this invoice."
    )
    compensation_amount = fields.Monetary(
        string="Compensation", help="Flat B2B compensation claimed for this invoice."
    )
    days_overdue = fields.Integer()
    level_id = fields.Many2one(
        "account.dunning.level",
        string="Level",
        help="The level this invoice reached with the letter.",
    )
    escalated = fields.Boolean(
        help="The invoice reached a new level with this letter; otherwise it is "
        "listed as further open item.",
    )
    previous_level_id = fields.Many2one("account.dunning.level")
    previous_last_date = fields.Date()

    def _apply_invoice_levels(self):
        """Write level and date on the invoices (one query per level)."""
        groups = {}
        for line in self:
            # The letter's date, not the related letter_date: computing a
            # related field line by line is slow on large runs.
            key = (line.level_id.id if line.escalated else None, line.letter_id.date)
            groups.setdefault(key, []).append(line.move_id.id)
        self.env.flush_all()
        for (level_id, date), move_ids in groups.items():
            if level_id:
                self.env.cr.execute(
                    SQL(
                        "UPDATE account_move SET dunning_level_id = %s, "
                        "dunning_last_date = %s WHERE id = ANY(%s)",
                        level_id,
                        date,
                        move_ids,
                    )
                )
            else:
                self.env.cr.execute(
                    SQL(
                        "UPDATE account_move SET dunning_last_date = %s "
                        "WHERE id = ANY(%s)",
                        date,
                        move_ids,
                    )
                )
        self.env["account.move"].invalidate_model(
            ["dunning_level_id", "dunning_last_date"]
        )

    def _revert_invoice_levels(self):
        for line in self:
            move = line.move_id
            # Only revert what this letter set: a later letter wins.
            if move.dunning_last_date == line.letter_date:
                move.write(
                    {
                        "dunning_level_id": line.previous_level_id.id,
                        "dunning_last_date": line.previous_last_date,
                    }
                )
