from odoo import fields, models


class ResCompany(models.Model):
    """What business letters must show (§ 35a GmbHG, § 37a HGB, § 125a HGB):
    legal form, registered office, register court and number, managing
    directors. Odoo has the register number (``company_registry``) and the
    VAT ID; the other values are stored here and printed in the letter
    footer."""

    _inherit = "res.company"

    dunning_legal_form = fields.Char(
        related="partner_id.dunning_legal_form",
        readonly=False,
        help="E.g. GmbH, UG (haftungsbeschränkt), AG, e.K., OHG, KG. Printed in "
        "the footer of dunning letters unless the company name ends with it.",
    )
    dunning_registered_office = fields.Char(
        string="Registered Office",
        help="Seat of the company as registered (Sitz der Gesellschaft). When "
        "empty, letters show the city of the company address.",
    )
    dunning_register_court = fields.Char(
        string="Register Court",
        help="Court keeping the commercial register, e.g. Amtsgericht "
        "Berlin-Charlottenburg. The register number is the Company ID "
        "(e.g. HRB 123456 B).",
    )
    dunning_managing_directors = fields.Char(
        string="Managing Directors",
        help="All managing directors (Geschäftsführer) or board members, "
        "comma separated, as business letters must name them.",
    )

    def _get_dunning_registered_office(self):
        self.ensure_one()
        return self.dunning_registered_office or self.city or ""

    def _get_dunning_legal_form_label(self):
        """The legal form when the company name does not already end with it."""
        self.ensure_one()
        form = (self.dunning_legal_form or "").strip()
        name = (self.name or "").strip()
        if not form or name.casefold().endswith(form.casefold()):
            return ""
        return form

    def _get_dunning_letter_missing_values(self):
        """Labels of the values a business letter must show that the company
        lacks (§ 35a GmbHG, § 37a HGB), in the current language."""
        self.ensure_one()
        missing = []
        checks = [
            ("dunning_legal_form", self.dunning_legal_form),
            ("dunning_registered_office", self._get_dunning_registered_office()),
            ("dunning_register_court", self.dunning_register_court),
            ("company_registry", self.company_registry),
            ("dunning_managing_directors", self.dunning_managing_directors),
        ]
        for field_name, value in checks:
            if not (value or "").strip():
                missing.append(self._fields[field_name]._description_string(self.env))
        return missing
