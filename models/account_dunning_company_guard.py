"""Company checks that never name another company's records.

Odoo's standard message for records of different companies quotes the
display names of the linked records, e.g. the invoice number of another
company; a user of company 2 must not learn it. The dunning models replace
that message with one that names no record (superuser mode keeps Odoo's
message, which helps an administrator).
"""

from odoo import models
from odoo.exceptions import UserError


class AccountDunningCompanyMessage(models.AbstractModel):
    _name = "account.dunning.company.message.mixin"
    _description = "Company Check without Other Companies' Names"

    def _check_company(self, fnames=None):
        try:
            return super()._check_company(fnames)
        except UserError:
            if self.env.su:
                raise
            raise UserError(
                self.env._(
                    "Some of the chosen records belong to a company you are not "
                    "working in. Choose records of %(company)s only.",
                    company=self.env.company.name,
                )
            ) from None


class AccountDunningDispute(models.Model):
    _name = "account.dunning.dispute"
    _inherit = ["account.dunning.dispute", "account.dunning.company.message.mixin"]


class AccountDunningDisputeLine(models.Model):
    _name = "account.dunning.dispute.line"
    _inherit = [
        "account.dunning.dispute.line",
        "account.dunning.company.message.mixin",
    ]


class AccountDunningHandover(models.Model):
    _name = "account.dunning.handover"
    _inherit = ["account.dunning.handover", "account.dunning.company.message.mixin"]


class AccountDunningLetter(models.Model):
    _name = "account.dunning.letter"
    _inherit = ["account.dunning.letter", "account.dunning.company.message.mixin"]


class AccountDunningPaymentPlan(models.Model):
    _name = "account.dunning.payment.plan"
    _inherit = [
        "account.dunning.payment.plan",
        "account.dunning.company.message.mixin",
    ]


class AccountDunningProfile(models.Model):
    _name = "account.dunning.profile"
    _inherit = ["account.dunning.profile", "account.dunning.company.message.mixin"]


class AccountDunningSuspension(models.Model):
    _name = "account.dunning.suspension"
    _inherit = [
        "account.dunning.suspension",
        "account.dunning.company.message.mixin",
    ]
