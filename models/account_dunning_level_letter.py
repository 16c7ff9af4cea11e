import re

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.tools import format_date, is_html_empty
from odoo.tools.misc import formatLang

NEXT_STEPS = [
    ("none", "Not mentioned"),
    ("next_level", "Next level of the policy"),
    ("court", "Court dunning procedure"),
    ("collection", "Collection agency"),
    ("lawyer", "Lawyer"),
]
# {one invoice|several invoices}: the first variant when the letter lists
# one invoice, the second otherwise.
NUMBER_CHOICE = re.compile(r"\{([^{}|]*)\|([^{}|]*)\}")
# Shipped level whose text a level without its own text uses, per tone.
DEFAULT_TEXT_LEVELS = {
    "friendly": "account_relationship_dunning.policy_standard_all_reminder",
    "neutral": "account_relationship_dunning.policy_standard_all_first",
    "firm": "account_relationship_dunning.policy_standard_all_second",
    "final": "account_relationship_dunning.policy_standard_all_final",
}


NEXT_STEPS_ABROAD = [
    ("none", "Not mentioned"),
    ("collection", "Collection agency"),
    ("lawyer", "Lawyer"),
]
# States whose debtors the German court dunning procedure serves (§ 688 (3)
# ZPO with the AVAG, central court Berlin-Wedding): Germany, the EU and the
# Lugano states Switzerland, Norway and Iceland.
COURT_DUNNING_COUNTRIES = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR",
        "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO",
        "SE", "SI", "SK", "CH", "NO", "IS",
    }
)  # fmt: skip


class AccountDunningLevel(models.Model):
    """Letter settings of a dunning level: text and the next step it names."""

    _inherit = "account.dunning.level"

    letter_text = fields.Html(
        translate=True,
        help="Main text of the letter and of the e-mail, translatable per "
        "language. Placeholders: {customer} customer name, {deadline} payment "
        "deadline, {total} total amount due, {level} level name, {invoices} "
        "invoice numbers, {company} your company name; {the invoice|the "
        "invoices} takes the first variant when the letter lists one invoice "
        "and the second when it lists several. Leave empty to use the default "
        "text of the level's tone.",
    )
    letter_next_step = fields.Selection(
        NEXT_STEPS,
        string="Next Step Named in the Letter",
        default="none",
        required=True,
        help="The consequence the letter announces if the new deadline passes. "
        "Name only a step you really intend to take.",
    )
    letter_next_step_abroad = fields.Selection(
        NEXT_STEPS_ABROAD,
        string="Next Step Outside the Court Dunning Area",
        default="collection",
        required=True,
        help="Named instead of the court dunning procedure for debtors in "
        "states it does not serve (outside the EU, Switzerland, Norway and "
        "Iceland, e.g. the United Kingdom or the USA).",
    )

    def _get_next_step_for(self, partner, company):
        """The step this level names for ``partner``: the court dunning
        procedure only where it is available for the debtor's country."""
        self.ensure_one()
        step = self.letter_next_step
        if step == "court":
            country = partner.commercial_partner_id.country_id or company.country_id
            if country and country.code not in COURT_DUNNING_COUNTRIES:
                return self.letter_next_step_abroad
        return step

    preview_partner_id = fields.Many2one(
        "res.partner",
        string="Sample Customer",
        store=False,
        help="Customer whose open invoices fill the placeholders of the preview.",
    )
    letter_preview = fields.Html(
        string="Preview",
        compute="_compute_letter_preview",
        sanitize=False,
        help="Salutation and text as the sample customer would read them, in "
        "the customer's language.",
    )

    @api.depends(
        "letter_text", "tone", "preview_partner_id", "payment_deadline_days", "name"
    )
    @api.depends_context("lang")
    def _compute_letter_preview(self):
        for level in self:
            level.letter_preview = level._get_letter_preview()

    def _get_letter_text(self):
        """The level's text in the current language, or the default text of
        its tone."""
        self.ensure_one()
        text = self.letter_text
        if is_html_empty(text):
            default = self.env.ref(
                DEFAULT_TEXT_LEVELS.get(self.tone, ""), raise_if_not_found=False
            )
            # sudo: the shipped default level may belong to another company;
            # only its text is read.
            text = default and default.sudo().letter_text
        return Markup() if is_html_empty(text) else Markup(text)

    @api.model
    def _fill_letter_text(self, text, values, invoice_count):
        """``text`` with the placeholders replaced by ``values`` (escaped)
        and the {singular|plural} choices resolved by ``invoice_count``."""
        body = NUMBER_CHOICE.sub(
            lambda match: match.group(1 if invoice_count == 1 else 2), str(text)
        )
        for key, value in values.items():
            body = body.replace("{%s}" % key, str(escape(value)))
        return Markup(body)

    def _get_letter_preview(self):
        """Salutation and text for the sample customer (or an example), as
        a letter of this level would show them today."""
        self.ensure_one()
        partner = self.preview_partner_id
        env = self.with_context(lang=partner.lang or self.env.lang).env
        level = self.with_env(env)
        company = self.company_id or env.company
        currency = self.currency_id or company.currency_id
        today = fields.Date.context_today(self)
        invoices = env["account.move"]
        if partner:
            invoices = env["account.move"].search(
                [
                    ("partner_id", "child_of", partner.commercial_partner_id.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("invoice_date_due", "<", today),
                    ("company_id", "=", company.id),
                ],
                order="invoice_date_due, id",
                limit=20,
            )
        total = sum(invoices.mapped("amount_residual_signed")) if invoices else 1234.5
        names = invoices.mapped("name") or [env._("INV/2026/00042")]
        values = {
            "customer": partner.name or env._("Sample Customer Ltd"),
            "deadline": format_date(
                env, fields.Date.add(today, days=self.payment_deadline_days)
            ),
            "total": formatLang(env, total, currency_obj=currency),
            "level": self.name or "",
            "invoices": ", ".join(names),
            "company": company.name or "",
        }
        salutation = env["account.dunning.letter"]._get_salutation_for(partner)
        # The text being edited as it is; an unchanged text in the sample
        # customer's language.
        origin = self._origin
        text_level = self
        if origin and self.letter_text == origin.letter_text:
            text_level = origin.with_env(env)
        body = level._fill_letter_text(
            text_level._get_letter_text(), values, len(names)
        )
        return Markup("<p>%s</p>%s") % (salutation, body)
