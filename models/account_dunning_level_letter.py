from odoo import fields, models

NEXT_STEPS = [
    ("none", "Not mentioned"),
    ("next_level", "Next level of the policy"),
    ("court", "Court dunning procedure"),
    ("collection", "Collection agency"),
    ("lawyer", "Lawyer"),
]


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
        "language. Placeholders: {customer} customer name, {deadline} new "
        "payment deadline, {total} total amount due, {level} level name, "
        "{invoices} invoice numbers, {company} your company name. Leave empty "
        "to use the default text of the level's tone.",
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
