"""What a dunning letter says: the values of its report and e-mail.

Subject, salutation, the level's text with its placeholders filled, the rows
of the claims and of the interest computation, the next step announced, the
bank account with its EPC QR code, the address and the contact person. The
documents themselves are rendered and archived in
``account_dunning_letter_archive.py``, sent in
``account_dunning_letter_dispatch.py``.
"""

import base64
import io

import qrcode

from odoo import api, fields, models
from odoo.tools import format_date
from odoo.tools.image import image_data_uri

LETTER_REPORT = "account_relationship_dunning.account_dunning_letter_report"
LETTER_MAIL_TEMPLATE = "account_relationship_dunning.mail_template_dunning_letter"
# Invoice numbers named in a subject before "and N more".
SUBJECT_MAX_INVOICES = 6
# The EPC QR code carries at most 140 characters of remittance information.
REFERENCE_MAX_LENGTH = 140
# Titles (res.partner.title) that decide the salutation.
SALUTATION_TITLES = {
    "base.res_partner_title_mister": "mister",
    "base.res_partner_title_madam": "madam",
    "base.res_partner_title_miss": "madam",
}
# Lower-case name particles that belong to the last name (von, van, de ...).
NAME_PARTICLES = {
    "von",
    "van",
    "de",
    "der",
    "den",
    "zu",
    "vom",
    "zum",
    "zur",
    "di",
    "da",
    "le",
    "la",
    "ten",
    "ter",
}


class AccountDunningLetter(models.Model):
    """The letter's content, as the report and the e-mail template show it."""

    _inherit = "account.dunning.letter"

    company_letter_warning = fields.Char(
        compute="_compute_company_letter_warning",
        help="Values business letters must show that the company lacks.",
    )

    @api.depends(
        "company_id.dunning_legal_form",
        "company_id.dunning_registered_office",
        "company_id.dunning_register_court",
        "company_id.company_registry",
        "company_id.dunning_managing_directors",
        "company_id.city",
    )
    @api.depends_context("lang")
    def _compute_company_letter_warning(self):
        for letter in self:
            missing = letter.company_id._get_dunning_letter_missing_values()
            letter.company_letter_warning = (
                self.env._(
                    "Business letters must show the company's legal form, "
                    "registered office, register court and number and managing "
                    "directors (§ 35a GmbHG, § 37a HGB). Missing: %(values)s. "
                    "Complete them on the company (tab Business Letters) before "
                    "sending this letter.",
                    values=", ".join(missing),
                )
                if missing
                else False
            )

    # ------------------------------------------------------------------
    # Letter content (used by the report and the e-mail template)
    # ------------------------------------------------------------------
    def _get_customer_number(self):
        self.ensure_one()
        return self.partner_id.ref or str(self.partner_id.id)

    def _get_letter_subject(self):
        self.ensure_one()
        numbers = self._get_claimed_lines().mapped("move_name")
        shown = ", ".join(numbers[:SUBJECT_MAX_INVOICES])
        if len(numbers) > SUBJECT_MAX_INVOICES:
            shown = self.env._(
                "%(numbers)s and %(count)s more",
                numbers=shown,
                count=len(numbers) - SUBJECT_MAX_INVOICES,
            )
        if len(numbers) == 1:
            return self.env._(
                "%(level)s – invoice %(numbers)s",
                level=self.level_id.name,
                numbers=shown,
            )
        return self.env._(
            "%(level)s – invoices %(numbers)s", level=self.level_id.name, numbers=shown
        )

    def _get_letter_salutation(self):
        self.ensure_one()
        return self._get_salutation_for(self.partner_id)

    @api.model
    def _get_last_name(self, name):
        """The last name of a person's full name: the last word with the
        particles before it ("Hans von Weizsäcker" → "von Weizsäcker")."""
        words = (name or "").split()
        if len(words) < 2:
            return name or ""
        start = len(words) - 1
        while start > 1 and words[start - 1] in NAME_PARTICLES:
            start -= 1
        return " ".join(words[start:])

    @api.model
    def _get_salutation_for(self, partner):
        """ "Dear Mr Smith," / "Dear Ms Smith," when the contact's title says
        so, "Dear Sir or Madam," for companies and everyone else (in the
        current language)."""
        kind = None
        if partner and not partner.is_company and partner.title:
            for xmlid, title_kind in SALUTATION_TITLES.items():
                if partner.title == self.env.ref(xmlid, raise_if_not_found=False):
                    kind = title_kind
                    break
        if kind == "mister":
            return self.env._(
                "Dear Mr %(name)s,", name=self._get_last_name(partner.name)
            )
        if kind == "madam":
            return self.env._(
                "Dear Ms %(name)s,", name=self._get_last_name(partner.name)
            )
        return self.env._("Dear Sir or Madam,")

    def _get_claim_rows(self):
        """Rows between the open principal and the total: only what is claimed."""
        self.ensure_one()
        currency = self.currency_id
        rows = []
        if not currency.is_zero(self.amount_interest):
            starts = [
                line.interest_date_from
                for line in self._get_claimed_lines()
                if line.interest_date_from
            ]
            rows.append(
                {
                    "label": self.env._(
                        "Statutory default interest from %(date)s",
                        date=format_date(self.env, min(starts)),
                    )
                    if starts
                    else self.env._("Statutory default interest"),
                    "amount": self.amount_interest,
                }
            )
        per_invoice = self._get_claimed_lines().filtered(
            lambda line: not currency.is_zero(line.compensation_amount)
        )
        if per_invoice:
            invoices = ", ".join(per_invoice.mapped("move_name"))
            rows.append(
                {
                    "label": self.env._(
                        "Flat compensation under § 288 (5) BGB for invoice "
                        "%(invoices)s",
                        invoices=invoices,
                    )
                    if len(per_invoice) == 1
                    else self.env._(
                        "Flat compensation under § 288 (5) BGB for invoices "
                        "%(invoices)s",
                        invoices=invoices,
                    ),
                    "amount": sum(per_invoice.mapped("compensation_amount")),
                }
            )
        if not currency.is_zero(self.letter_compensation_amount):
            rows.append(
                {
                    "label": self.env._("Flat compensation under § 288 (5) BGB"),
                    "amount": self.letter_compensation_amount,
                }
            )
        if not currency.is_zero(self.fee_amount):
            fee_invoices = ", ".join(self._get_level_lines().mapped("move_name"))
            rows.append(
                {
                    "label": self.env._(
                        "Dunning fee (costs of this letter, %(invoices)s)",
                        invoices=fee_invoices,
                    )
                    if fee_invoices
                    else self.env._("Dunning fee (costs of this letter)"),
                    "amount": self.fee_amount,
                }
            )
        if not currency.is_zero(self.fee_offset_amount):
            rows.append(
                {
                    "label": self.env._(
                        "Dunning fee credited against the flat compensation "
                        "(§ 288 (5) sentence 3 BGB)"
                    ),
                    "amount": -self.fee_offset_amount,
                }
            )
        # one row per earlier letter and kind of cost (a letter may have
        # claimed the flat compensation for many invoices)
        previous = {}
        for cost in self.previous_costs or []:
            key = (cost["kind"], cost["letter"], cost["date"])
            previous[key] = dict(
                cost, amount=previous.get(key, {}).get("amount", 0.0) + cost["amount"]
            )
        for cost in previous.values():
            label = (
                self.env._(
                    "Previously claimed: dunning fee, letter %(letter)s of %(date)s",
                    letter=cost["letter"],
                    date=format_date(self.env, fields.Date.to_date(cost["date"])),
                )
                if cost["kind"] == "fee"
                else self.env._(
                    "Previously claimed: flat compensation, letter %(letter)s of "
                    "%(date)s",
                    letter=cost["letter"],
                    date=format_date(self.env, fields.Date.to_date(cost["date"])),
                )
            )
            rows.append({"label": label, "amount": cost["amount"]})
        if not currency.is_zero(self.amount_waived):
            # Waivers (policy): shown, then taken off the total due.
            rows.append(
                {
                    "label": self.env._("Waived, not claimed"),
                    "amount": -self.amount_waived,
                }
            )
        return rows

    def _get_interest_rows(self):
        """The interest computation, one row per period of each invoice."""
        self.ensure_one()
        breakdown = self._get_interest_breakdown()
        return [
            {"line": line, **segment}
            for line in self._get_claimed_lines()
            for segment in breakdown.get(line.id) or []
        ]

    def _get_contact_values(self):
        self.ensure_one()
        user = self.user_id or self.policy_id.responsible_user_id
        company = self.company_id
        partner = user.partner_id
        return {
            # No contact person: the letter is signed by the company alone.
            "name": user.name or "",
            "phone": partner.phone or partner.mobile or company.phone,
            "email": user.email or company.email,
        }

    def _get_payment_bank(self):
        """The company account the customer should pay to (IBAN preferred)."""
        self.ensure_one()
        company_partner = self.company_id.partner_id
        banks = self.line_ids.move_id.partner_bank_id.filtered(
            lambda bank: bank.partner_id == company_partner
        )
        banks = (banks | company_partner.bank_ids).filtered("active")
        iban = banks.filtered(lambda bank: bank.acc_type == "iban")
        return (iban or banks)[:1]

    def _get_payment_reference(self):
        self.ensure_one()
        references = [
            line.move_id.payment_reference or line.move_name for line in self.line_ids
        ]
        reference = " ".join(dict.fromkeys(ref for ref in references if ref))
        if not reference or len(reference) > REFERENCE_MAX_LENGTH:
            reference = f"{self.name} {self._get_customer_number()}"
        return reference

    def _get_payment_qr_params(self, reference):
        """What the EPC QR code asks to transfer."""
        self.ensure_one()
        return {
            "amount": self.currency_id.round(self.amount_total_due),
            "currency": self.currency_id,
            "debtor_partner": self.partner_id,
            "free_communication": reference,
            "structured_communication": None,
        }

    def _get_payment_qr_code(self, bank, reference):
        """EPC (SEPA credit transfer) QR code as a data URI, or None."""
        self.ensure_one()
        if not bank or self.currency_id.compare_amounts(self.amount_total_due, 0) <= 0:
            return None
        vals = bank._build_qr_code_vals(
            **self._get_payment_qr_params(reference),
            qr_method="sct_qr",
            silent_errors=True,
        )
        if not vals:
            return None
        # The payload Odoo's own EPC QR code carries, drawn with the qrcode
        # library: error correction M as the EPC standard asks. A fixed mask
        # (any of the eight is valid) spares the search for the best one:
        # about 15 ms per code instead of the 200-500 ms of the barcode
        # renderer, which dominated the rendering of large letter batches.
        code = qrcode.QRCode(
            error_correction=qrcode.constants.ERROR_CORRECT_M,
            box_size=8,
            border=0,
            mask_pattern=2,
        )
        code.add_data("\n".join(bank._get_qr_vals(**vals)))
        code.make(fit=True)
        stream = io.BytesIO()
        code.make_image().save(stream, format="PNG")
        return image_data_uri(base64.b64encode(stream.getvalue()))

    def _get_next_step_sentence(self):
        """The step announced if the deadline passes, only when configured,
        only one really available for the debtor's country, and only for the
        invoices that reached the level announcing it."""
        self.ensure_one()
        level = self.level_id
        step = level._get_next_step_for(self.partner_id, self.company_id)
        lines = self._get_level_lines()
        if step == "none" or not lines:
            return ""
        deadline = format_date(self.env, self.payment_deadline)
        invoices = ", ".join(lines.mapped("move_name"))
        one = len(lines) == 1
        if step == "next_level":
            levels = level.policy_id._get_sorted_levels()
            following = levels.filtered(
                lambda lvl: (lvl.days_overdue, lvl.id) > (level.days_overdue, level.id)
            )[:1]
            if not following:
                return ""
            if following.is_final:
                return self.env._(
                    "If we have not received your payment by %(deadline)s, you "
                    "will receive a final reminder from us.",
                    deadline=deadline,
                )
            return self.env._(
                "If we have not received your payment by %(deadline)s, you will "
                "receive a further reminder from us.",
                deadline=deadline,
            )
        if step == "court":
            if one:
                return self.env._(
                    "Should we not have received your payment of invoice "
                    "%(invoices)s by %(deadline)s, we will apply for a payment "
                    "order in the court dunning procedure. We would very much "
                    "like to avoid this step.",
                    invoices=invoices,
                    deadline=deadline,
                )
            return self.env._(
                "Should we not have received your payment of invoices "
                "%(invoices)s by %(deadline)s, we will apply for a payment order "
                "in the court dunning procedure. We would very much like to "
                "avoid this step.",
                invoices=invoices,
                deadline=deadline,
            )
        if step == "collection":
            if one:
                return self.env._(
                    "Should we not have received your payment of invoice "
                    "%(invoices)s by %(deadline)s, we will hand the claim over to "
                    "a collection agency. We would very much like to avoid this "
                    "step.",
                    invoices=invoices,
                    deadline=deadline,
                )
            return self.env._(
                "Should we not have received your payment of invoices "
                "%(invoices)s by %(deadline)s, we will hand the claims over to "
                "a collection agency. We would very much like to avoid this step.",
                invoices=invoices,
                deadline=deadline,
            )
        if step == "lawyer":
            if one:
                return self.env._(
                    "Should we not have received your payment of invoice "
                    "%(invoices)s by %(deadline)s, we will hand the matter over "
                    "to our lawyer. We would very much like to avoid this step.",
                    invoices=invoices,
                    deadline=deadline,
                )
            return self.env._(
                "Should we not have received your payment of invoices "
                "%(invoices)s by %(deadline)s, we will hand the matter over to "
                "our lawyer. We would very much like to avoid this step.",
                invoices=invoices,
                deadline=deadline,
            )
        return ""

    def _get_notified_rows(self):
        """Invoices listed apart: already notified at their level by an
        earlier letter, with its reference, date and deadline."""
        self.ensure_one()
        return [
            {
                "line": line,
                "letter": line.notified_letter_id.name,
                "level": line.level_id.name or "",
                "date": line.notified_letter_id.date,
                "deadline": line.notified_letter_id.payment_deadline,
            }
            for line in self.line_ids
            if line.notified_letter_id
        ]

    def _get_letter_address_lines(self):
        """The postal address of the customer, without the country line when
        the customer lives in the company's country (domestic letter)."""
        self.ensure_one()
        partner = self.partner_id
        lines = [partner.commercial_partner_id.name or partner.name]
        if partner.parent_id and partner.name and partner.name != lines[0]:
            lines.append(partner.name)
        address = partner._display_address(without_company=True)
        address_lines = [line.strip() for line in address.split("\n") if line.strip()]
        country = partner.country_id
        if country and country == self.company_id.country_id:
            country_name = partner._get_country_name()
            address_lines = [line for line in address_lines if line != country_name]
        return lines + address_lines

    def _get_letter_lang(self):
        """The language of the letter: the customer's, with British date
        formats for English letters to customers outside the United States."""
        self.ensure_one()
        lang = self.partner_id.lang or self.company_id.partner_id.lang or "en_US"
        country = self.partner_id.commercial_partner_id.country_id
        if lang == "en_US" and (not country or country.code != "US"):
            if self.env["res.lang"]._get_code("en_GB"):
                return "en_GB"
        return lang

    def _get_letter_report_values(self):
        """Everything the letter template shows beyond the stored fields."""
        self.ensure_one()
        bank = self._get_payment_bank()
        reference = self._get_payment_reference()
        return {
            "customer_number": self._get_customer_number(),
            "subject": self._get_letter_subject(),
            "salutation": self._get_letter_salutation(),
            "body": self._get_letter_body(),
            "claim_rows": self._get_claim_rows(),
            "interest_rows": self._get_interest_rows(),
            "bank": bank,
            "payment_reference": reference,
            "qr_code": self._get_payment_qr_code(bank, reference),
            "next_step": self._get_next_step_sentence(),
            "notified_rows": self._get_notified_rows(),
            "address_lines": self._get_letter_address_lines(),
            "contact": self._get_contact_values(),
        }
