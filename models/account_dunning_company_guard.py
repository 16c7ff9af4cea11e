"""Company checks that never name another company's records.

Odoo's standard message for records of different companies quotes the
display names of the linked records, e.g. the invoice number of another
company; a user of company 2 must not learn it. The dunning models replace
that message with one that names no record (superuser mode keeps Odoo's
message, which helps an administrator).

The check itself is ``account.dunning.company.message.mixin`` (see
account_dunning_case_mixin.py); the dunning cases (disputes, handovers,
payment plans, promises, letters) inherit it through the case mixin, the
models below directly.
"""

from odoo import models


class AccountDunningDisputeLine(models.Model):
    _name = "account.dunning.dispute.line"
    _inherit = [
        "account.dunning.dispute.line",
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
