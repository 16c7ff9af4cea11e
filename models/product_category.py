from odoo import fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    dunning_claim_type_id = fields.Many2one(
        "account.dunning.claim.type",
        string="Claim Type (Court Dunning)",
        help="Claim type of invoices for products of this category in legal "
        "handovers. Empty: the parent category's, else the dunning policy's.",
    )

    def _get_dunning_claim_type(self):
        """The claim type of the category or its nearest parent."""
        self.ensure_one()
        category = self
        while category:
            if category.dunning_claim_type_id:
                return category.dunning_claim_type_id
            category = category.parent_id
        return self.env["account.dunning.claim.type"]
