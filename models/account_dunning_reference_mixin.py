from odoo import api, models


class AccountDunningReferenceMixin(models.AbstractModel):
    """References drawn from the model's sequence (code = model name)."""

    _name = "account.dunning.reference.mixin"
    _description = "Dunning Reference Mixin"

    @api.model
    def _assign_reference(self, vals):
        """Fill ``vals["name"]`` from the company's sequence when it is empty
        or "/"; return ``vals``."""
        if vals.get("name", "/") == "/":
            company = self.env["res.company"].browse(
                vals.get("company_id") or self.env.company.id
            )
            vals["name"] = (
                self.env["ir.sequence"].with_company(company).next_by_code(self._name)
                or "/"
            )
        return vals
