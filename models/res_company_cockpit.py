from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    dunning_review_before_sending = fields.Boolean(
        string="Review Letters Before Sending",
        help="New dunning letters wait in draft until a reviewer has checked "
        "them: invoices can be removed from them (with a reason) and their "
        "e-mail text edited before they go out.",
    )
    dunning_attach_statement = fields.Boolean(
        string="Attach Customer Statement",
        help="Dunning e-mails written in the composer carry the customer's "
        "statement of open items as a second attachment.",
    )
