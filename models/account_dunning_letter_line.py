from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date, formatLang

# Written by the claims computation, frozen once the letter is sent.
CLAIM_LINE_FIELDS = {
    "interest_amount",
    "interest_date_from",
    "interest_date_to",
    "interest_points",
    "interest_segments",
    "compensation_amount",
}


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
    interest_date_from = fields.Date(
        string="Interest From", help="First day of the interest claimed."
    )
    interest_date_to = fields.Date(
        string="Interest To", help="Last day of the interest claimed."
    )
    interest_points = fields.Float(
        string="Points above Base Rate",
        digits=(16, 2),
        help="9 points between businesses, 5 when a consumer is involved.",
    )
    interest_segments = fields.Json(
        help="The periods behind the interest amount (see "
        "_get_interest_segments), frozen with the letter.",
    )
    interest_breakdown = fields.Html(
        compute="_compute_interest_breakdown", sanitize=False
    )
    days_overdue = fields.Integer()
    level_id = fields.Many2one(
        "account.dunning.level",
        help="The level this invoice reached with the letter.",
    )
    escalated = fields.Boolean(
        help="The invoice reached a new level with this letter; otherwise it is "
        "listed as further open item.",
    )
    previous_level_id = fields.Many2one("account.dunning.level")
    previous_last_date = fields.Date()

    @api.depends("interest_segments", "currency_id")
    def _compute_interest_breakdown(self):
        for line in self:
            segments = line._get_interest_segments()
            if not segments:
                line.interest_breakdown = False
                continue
            rows = Markup("").join(
                Markup(
                    "<tr><td>%s</td><td>%s</td><td class='text-end'>%s</td>"
                    "<td class='text-end'>%s</td><td class='text-end'>%s</td>"
                    "<td class='text-end'>%s</td></tr>"
                )
                % (
                    format_date(self.env, segment["date_from"]),
                    format_date(self.env, segment["date_to"]),
                    segment["days"],
                    formatLang(self.env, segment["rate"], digits=2),
                    formatLang(
                        self.env, segment["principal"], currency_obj=line.currency_id
                    ),
                    formatLang(
                        self.env, segment["amount"], currency_obj=line.currency_id
                    ),
                )
                for segment in segments
            )
            header = Markup(
                "<thead><tr><th>%s</th><th>%s</th><th class='text-end'>%s</th>"
                "<th class='text-end'>%s</th><th class='text-end'>%s</th>"
                "<th class='text-end'>%s</th></tr></thead>"
            ) % (
                self.env._("From"),
                self.env._("To"),
                self.env._("Days"),
                self.env._("Rate (%)"),
                self.env._("Principal Claim"),
                self.env._("Interest"),
            )
            line.interest_breakdown = Markup(
                "<table class='table table-sm'>%s<tbody>%s</tbody></table>"
            ) % (header, rows)

    def write(self, vals):
        if CLAIM_LINE_FIELDS.intersection(vals) and any(
            line.letter_id.claims_frozen for line in self
        ):
            raise UserError(
                self.env._(
                    "The interest and compensation of a sent dunning letter "
                    "cannot be changed."
                )
            )
        return super().write(vals)

    def _get_interest_segments(self):
        """The stored interest periods with real dates: ``[{"date_from",
        "date_to", "days", "base_rate", "rate", "principal", "amount"}]``."""
        self.ensure_one()
        return [
            dict(
                segment,
                date_from=fields.Date.to_date(segment["date_from"]),
                date_to=fields.Date.to_date(segment["date_to"]),
            )
            for segment in self.interest_segments or []
        ]

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
