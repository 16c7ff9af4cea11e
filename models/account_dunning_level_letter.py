from odoo import fields, models

NEXT_STEPS = [
    ("none", "Not mentioned"),
    ("next_level", "Next level of the policy"),
    ("court", "Court dunning procedure"),
    ("collection", "Collection agency"),
    ("lawyer", "Lawyer"),
]


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
