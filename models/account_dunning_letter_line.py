from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, formatLang

from . import dunning_sql

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
    # "letter_id.id": by the letter's id (newest first), not by the letter's
    # own order, which joins the letters into every read of a letter's lines;
    # with the statistics of an empty letter table PostgreSQL ran that join as
    # a nested loop scanning all letters for each line (24 s in a run over
    # 50,000 invoices after a rolled-back run).
    _order = "letter_id.id desc, date_due, id"
    # Who created and changed a letter and when is the letter's: its lines,
    # written by the dunning run with it, carry no user and date columns of
    # their own (like the notifications of a message). Each user column is a
    # foreign key that PostgreSQL checks for every inserted row: two checks
    # per invoice listed, about a second of a run over 50,000 invoices.
    _log_access = False

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
    notified_letter_id = fields.Many2one(
        "account.dunning.letter",
        string="Already Notified By",
        ondelete="set null",
        help="The invoice did not advance with this letter: it was already "
        "notified at its level by that letter, and is shown apart with its "
        "reference, date and deadline. It carries no charges in this letter.",
    )

    @api.depends("interest_segments", "currency_id")
    def _compute_interest_breakdown(self):
        for line in self:
            segments = line._get_interest_segments()
            if not segments:
                line.interest_breakdown = False
                continue
            line.interest_breakdown = self.env["ir.qweb"]._render(
                "account_relationship_dunning.letter_line_interest_breakdown",
                {
                    "rows": [
                        {
                            "date_from": format_date(self.env, segment["date_from"]),
                            "date_to": format_date(self.env, segment["date_to"]),
                            "days": segment["days"],
                            "rate": formatLang(self.env, segment["rate"], digits=2),
                            "principal": formatLang(
                                self.env,
                                segment["principal"],
                                currency_obj=line.currency_id,
                            ),
                            "amount": formatLang(
                                self.env,
                                segment["amount"],
                                currency_obj=line.currency_id,
                            ),
                        }
                        for segment in segments
                    ]
                },
            )

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

    # ------------------------------------------------------------------
    # Bulk writing for large dunning runs
    # ------------------------------------------------------------------
    # A run over 50,000 invoices creates ~48,000 lines and then writes their
    # claims: through create() and one write() per line this took about half
    # of the run (ORM bookkeeping per record, 100-row INSERTs). These two
    # methods write plain stored columns with one statement per 10,000 rows
    # (models/dunning_sql.py) and tell the ORM what changed, so the letters'
    # stored totals are recomputed as after create() / write().
    @api.model
    def _bulk_create(self, vals_list):
        """Create lines from ``vals_list`` (values of stored, non-computed
        fields, ``letter_id`` required) as create() would, in bulk; the
        letters must exist. Returns the new lines."""
        if not vals_list:
            return self.browse()
        self._check_line_access()
        letters = self.env["account.dunning.letter"].browse(
            {vals["letter_id"] for vals in vals_list}
        )
        # the letters' company (the stored related company_id), without
        # reading the letters' other fields
        letters.fetch(["company_id"])
        company_of = {letter.id: letter.company_id.id for letter in letters}
        return dunning_sql.sql_insert_rows(
            self,
            [
                dict(vals, company_id=company_of[vals["letter_id"]])
                for vals in vals_list
            ],
        )

    def _bulk_write(self, vals_by_line):
        """Write ``{line: vals}`` (stored, non-computed fields; the values
        differ per line) as write() would, in bulk."""
        if not vals_by_line:
            return True
        lines = self.browse([line.id for line in vals_by_line])
        names = sorted({name for vals in vals_by_line.values() for name in vals})
        if CLAIM_LINE_FIELDS.intersection(names) and any(
            line.letter_id.claims_frozen for line in lines
        ):
            raise UserError(
                self.env._(
                    "The interest and compensation of a sent dunning letter "
                    "cannot be changed."
                )
            )
        dunning_sql.sql_update_rows(
            self, {line.id: vals for line, vals in vals_by_line.items()}
        )
        return True

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
        """Record level and date on the invoices' dunning state (one
        statement per level and date; the invoice rows are not written)."""
        groups = {}
        # only the columns needed (not all of the lines' fields)
        self.fetch(
            ["notified_letter_id", "level_id", "escalated", "letter_id", "move_id"]
        )
        self.letter_id.fetch(["date"])
        # Already notified invoices keep the date of the letter that notified
        # them: listing them again is no new dunning step.
        for line in self.filtered(lambda ln: not ln.notified_letter_id):
            # The letter's date, not the related letter_date: computing a
            # related field line by line is slow on large runs.
            key = (line.level_id.id if line.escalated else None, line.letter_id.date)
            groups.setdefault(key, []).append(line.move_id.id)
        State = self.env["account.dunning.move.state"]
        for (level_id, date), move_ids in groups.items():
            if level_id:
                State._write_states(move_ids, {"level_id": level_id, "last_date": date})
            else:
                State._write_states(move_ids, {"last_date": date})

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
