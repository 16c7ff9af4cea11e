from odoo import api, fields, models
from odoo.exceptions import ValidationError

DEFAULT_CLAIM_TYPE_CODE = 11  # purchase contract


class AccountDunningClaimType(models.Model):
    """A claim type of the German court dunning catalogue (Katalog der
    Anspruchsarten), e.g. 11 purchase contract, 5 service contract, 8 contract
    for work."""

    _name = "account.dunning.claim.type"
    _description = "Claim Type (Court Dunning Catalogue)"
    _order = "code, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Integer(
        string="Catalogue Number",
        required=True,
        help="Number of the claim type in the court dunning catalogue.",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "The catalogue number must be unique."),
    ]

    @api.depends("code", "name")
    def _compute_display_name(self):
        for claim_type in self:
            claim_type.display_name = f"{claim_type.code} {claim_type.name}"

    @api.constrains("code")
    def _check_code(self):
        for claim_type in self:
            if claim_type.code <= 0:
                raise ValidationError(
                    self.env._(
                        "Claim type %(name)s: the catalogue number must be positive.",
                        name=claim_type.name,
                    )
                )

    @api.model
    def _get_default(self):
        """Purchase contract (11), the claim type of ordinary sales."""
        return self.search([("code", "=", DEFAULT_CLAIM_TYPE_CODE)], limit=1)
