from odoo import api, fields, models
from odoo.tools import format_date
from odoo.tools.misc import formatLang

# The expressions of the level's letter text that every dunning manager may
# use (Odoo lets only Mail Template Editors save other expressions).
LETTER_TEXT_EXPRESSIONS = (
    "object.partner_id.name",
    "object.company_id.name",
    "object.level_id.name",
    "object.payment_deadline_text",
    "object.amount_total_due_text",
    "object.invoice_names",
)


class AccountDunningLetter(models.Model):
    """The letter's main text: the level's text rendered on the letter, with
    the values its placeholders show (formatted in the letter's language)."""

    _inherit = "account.dunning.letter"

    payment_deadline_text = fields.Char(
        string="Payment Deadline as Written",
        compute="_compute_letter_text_values",
        help="The new payment deadline as the letter text shows it.",
    )
    amount_total_due_text = fields.Char(
        string="Total Due as Written",
        compute="_compute_letter_text_values",
        help="The total due with its currency, as the letter text shows it.",
    )
    invoice_names = fields.Char(
        string="Invoice Numbers",
        compute="_compute_letter_text_values",
        help="The numbers of the invoices the letter claims.",
    )

    @api.depends(
        "payment_deadline",
        "amount_total_due",
        "currency_id",
        "line_ids.move_name",
        "line_ids.notified_letter_id",
    )
    @api.depends_context("lang")
    def _compute_letter_text_values(self):
        for letter in self:
            letter.payment_deadline_text = format_date(
                self.env, letter.payment_deadline
            )
            letter.amount_total_due_text = formatLang(
                self.env, letter.amount_total_due, currency_obj=letter.currency_id
            )
            letter.invoice_names = ", ".join(
                letter._get_claimed_lines().mapped("move_name")
            )

    def mail_allowed_qweb_expressions(self):
        return tuple(
            dict.fromkeys(
                super().mail_allowed_qweb_expressions() + LETTER_TEXT_EXPRESSIONS
            )
        )

    def _get_letter_body(self):
        """The level's text in the current language rendered on the letter:
        placeholders filled (escaped), singular or plural by the number of
        invoices."""
        self.ensure_one()
        return self.level_id.with_env(self.env)._render_letter_text(self)[self.id]
