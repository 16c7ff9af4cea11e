import base64
import io
import logging

import qrcode
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize, format_date
from odoo.tools.image import image_data_uri
from odoo.tools.misc import formatLang, split_every
from odoo.tools.pdf import merge_pdf

from .dunning_batch import batch_then_one_by_one

_logger = logging.getLogger(__name__)

LETTER_REPORT = "account_relationship_dunning.account_dunning_letter_report"
LETTER_MAIL_TEMPLATE = "account_relationship_dunning.mail_template_dunning_letter"
POSTAL_FIELDS = ("street", "zip", "city", "country_id")
# Invoice numbers named in a subject before "and N more".
SUBJECT_MAX_INVOICES = 6
# The EPC QR code carries at most 140 characters of remittance information.
REFERENCE_MAX_LENGTH = 140
# Letters rendered per wkhtmltopdf call when printing or archiving in batch.
RENDER_BATCH_SIZE = 100
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
    """The letter as a document: PDF report, e-mail, batch print, archive.

    Sending refuses outdated letters instead of silently changing them: when
    an invoice of the letter was paid or its open amount changed after the
    run prepared the letter, the letter is cancelled with a message saying
    why (its invoices get their previous level back), so the next dunning
    run prepares an up-to-date letter. A letter therefore never states
    amounts that differ from the database at the time it is sent.
    """

    _inherit = "account.dunning.letter"

    pdf_attachment_id = fields.Many2one(
        "ir.attachment",
        string="Archived Document",
        readonly=True,
        copy=False,
        ondelete="restrict",
        help="The document exactly as it was sent; reprints return this file.",
    )
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

    def _format_amount(self, amount):
        return formatLang(self.env, amount, currency_obj=self.currency_id)

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

    # ------------------------------------------------------------------
    # Documents
    # ------------------------------------------------------------------
    def _get_document_filename(self):
        self.ensure_one()
        return "%s.pdf" % self.name.replace("/", "-")

    def _render_letter_documents(self, errors=None):
        """Render every letter of ``self``: ``{letter_id: bytes}``.

        Up to ``RENDER_BATCH_SIZE`` letters per wkhtmltopdf call; Odoo splits
        the PDF per letter (by page, or by the outline entry of each
        letter's subject), so that each letter is archived on its own. A
        batch that wkhtmltopdf cannot render or Odoo cannot split (e.g.
        wkhtmltopdf built with unpatched Qt) is rendered one letter per call.
        With ``errors`` (a dict), a letter that cannot be rendered is left
        out and noted there (``{letter_id: exception}``) instead of stopping
        the others. Like every Odoo report, test runs get HTML instead of PDF
        unless the context holds ``force_report_rendering``.
        """
        documents = {}
        for batch in split_every(RENDER_BATCH_SIZE, self.ids):
            for _letters, rendered in self.browse(batch)._render_html_isolated(
                lambda letters: letters._render_letter_batch(), errors
            ):
                documents.update(rendered)
        return documents

    def _render_html_isolated(self, render, errors):
        """``render(letters)`` for ``self`` at once; with ``errors`` (a dict),
        a batch that fails is rendered again letter by letter and each
        letter that still fails is noted in ``errors`` instead of stopping
        the others. Returns ``[(letters, result), ...]``."""
        if errors is None:
            return [(self, render(self))]

        def note(letter, error):
            _logger.info("Dunning letter %s cannot be rendered: %s", letter.name, error)
            errors[letter.id] = error

        return batch_then_one_by_one(self.env, self, render, note)

    def _render_letter_batch(self):
        Report = self.env["ir.actions.report"].with_context(dunning_letter_print=True)
        rendered = {}
        if len(self) > 1:
            try:
                content, report_type = Report._pre_render_qweb_pdf(
                    LETTER_REPORT, res_ids=self.ids
                )
            except UserError as error:
                _logger.warning(
                    "Dunning letters: %s letters in one wkhtmltopdf call failed "
                    "(%s); rendering them one by one.",
                    len(self),
                    error,
                )
                content, report_type = {}, "pdf"
            if report_type != "pdf":
                # HTML of test runs: one document per letter as well
                content = {}
                report_type = "pdf"
            for letter_id in self.ids:
                stream = (content.get(letter_id) or {}).get("stream")
                if stream:
                    rendered[letter_id] = stream.getvalue()
                    stream.close()
        for letter_id in self.ids:
            if letter_id in rendered:
                continue
            content, report_type = Report._pre_render_qweb_pdf(
                LETTER_REPORT, res_ids=[letter_id]
            )
            if report_type == "pdf":
                stream = content[letter_id]["stream"]
                content = stream.getvalue()
                stream.close()
            rendered[letter_id] = content
        return rendered

    def _archive_documents(self, documents=None):
        """Attach the document of every sent letter of ``self`` (``documents``
        ``{letter_id: bytes}``, rendered now where missing) under the name
        the letter report's ``attachment`` gives it; later prints of the
        report return that file byte for byte (``attachment_use``)."""
        documents = dict(documents or {})
        missing = self.filtered(lambda letter: letter.id not in documents)
        if missing:
            documents.update(missing._render_letter_documents())
        Report = self.env["ir.actions.report"]
        vals_list = Report._prepare_pdf_report_attachment_vals_list(
            Report._get_report(LETTER_REPORT),
            {
                letter.id: {
                    "stream": io.BytesIO(documents[letter.id]),
                    "attachment": None,
                }
                for letter in self
            },
        )
        attachments = self.env["ir.attachment"].create(vals_list)
        by_letter = {attachment.res_id: attachment for attachment in attachments}
        for letter in self:
            letter.pdf_attachment_id = by_letter.get(letter.id)
        return attachments

    def _on_done(self):
        res = super()._on_done()
        if self.env.context.get("dunning_letter_archive_later"):
            # the sending service archives the documents it rendered
            return res
        to_archive = self.filtered(
            lambda letter: letter.channel != "phone" and not letter.pdf_attachment_id
        )
        if to_archive:
            to_archive._archive_documents()
        return res

    # ------------------------------------------------------------------
    # Checks before sending
    # ------------------------------------------------------------------
    def _get_outdated_message(self):
        """Why the letter may no longer be sent as prepared, or ``None``."""
        self.ensure_one()
        currency = self.company_id.currency_id
        paid, changed = [], []
        for line in self.line_ids:
            move = line.move_id
            current = move.amount_residual_signed if move.state == "posted" else 0.0
            if currency.is_zero(current):
                paid.append(line.move_name)
            elif currency.compare_amounts(current, line.amount_residual_company):
                changed.append(
                    self.env._(
                        "%(invoice)s: %(before)s → %(now)s",
                        invoice=line.move_name,
                        before=formatLang(
                            self.env,
                            line.amount_residual_company,
                            currency_obj=currency,
                        ),
                        now=formatLang(self.env, current, currency_obj=currency),
                    )
                )
        if paid and len(paid) == len(self.line_ids):
            return self.env._(
                "Not sent: all invoices of this letter were paid in the meantime "
                "(%(invoices)s). The letter was cancelled.",
                invoices=", ".join(paid),
            )
        if paid or changed:
            changes = [
                self.env._("%(invoice)s: paid", invoice=name) for name in paid
            ] + changed
            return self.env._(
                "Not sent: the open amounts changed since the letter was prepared "
                "(%(changes)s). The letter was cancelled so that it never states "
                "outdated amounts; the next dunning run prepares an up-to-date "
                "letter.",
                changes="; ".join(changes),
            )
        return None

    def _cancel_outdated(self):
        """Cancel (with a message) the letters whose amounts are outdated."""
        cancelled = self.browse()
        for letter in self:
            message = letter._get_outdated_message()
            if message:
                letter.action_cancel()
                letter.message_post(body=message)
                cancelled |= letter
        return cancelled

    def _check_postal_address(self):
        missing = []
        Partner = self.env["res.partner"]
        for letter in self:
            partner = letter.partner_id
            fields_missing = [
                Partner._fields[name]._description_string(self.env)
                for name in POSTAL_FIELDS
                if not partner[name]
            ]
            if fields_missing:
                missing.append(
                    self.env._(
                        "%(letter)s, %(customer)s: %(fields)s",
                        letter=letter.name,
                        customer=partner.display_name,
                        fields=", ".join(fields_missing),
                    )
                )
        if missing:
            raise UserError(
                self.env._(
                    "These letters cannot be printed because the customer's postal "
                    "address is incomplete (street, ZIP, city and country are "
                    "needed). Complete the addresses and print again; nothing was "
                    "printed or marked as sent.\n%(letters)s",
                    letters="\n".join(missing),
                )
            )

    def _switch_to_post(self):
        """E-mail letters whose customer has no valid address go by post."""
        for letter in self:
            note = self.env._(
                "No valid e-mail address for %(customer)s: switched to post.",
                customer=letter.partner_id.display_name,
            )
            letter.write({"channel": "post", "channel_note": note})
            letter.message_post(
                body=self.env._("%(note)s Print it with the post letters.", note=note)
            )

    def _check_sendable(self, channel):
        letters = self.filtered(
            lambda letter: letter.state == "ready" and letter.channel == channel
        )
        if not letters:
            if channel == "post":
                message = self.env._(
                    "None of the selected letters is ready to be printed for post. "
                    "Only approved letters (state Ready) of the channel Post can be "
                    "printed."
                )
            else:
                message = self.env._(
                    "None of the selected letters is ready to be sent by e-mail. "
                    "Only approved letters (state Ready) of the channel E-mail can "
                    "be sent."
                )
            raise UserError(message)
        return letters

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    def _mark_sent(self):
        self.write({"state": "done"})
        self._on_done()

    def _log_sent(self, body_by_letter):
        """Note the sending on the customers' and the invoices' chatter."""
        partner_bodies, move_bodies = {}, {}
        for letter in self:
            body = body_by_letter(letter)
            partner_bodies.setdefault(letter.partner_id.id, []).append(body)
            for move in letter.line_ids.move_id:
                move_bodies.setdefault(move.id, []).append(body)
        for model, bodies in (
            ("res.partner", partner_bodies),
            ("account.move", move_bodies),
        ):
            self.env[model].browse(list(bodies))._message_log_batch(
                bodies={
                    res_id: Markup("<br/>").join(texts)
                    for res_id, texts in bodies.items()
                }
            )

    def _notify_result(self, title, lines, next_action=None, sticky=False):
        params = {
            "title": title,
            "message": "\n".join(lines),
            "type": "warning" if sticky else "success",
            "sticky": sticky,
        }
        if next_action:
            params["next"] = next_action
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": params,
        }

    def action_send_email(self):
        """Send the ready e-mail letters of ``self`` and mark them as sent.

        Customers without a valid e-mail address are switched to post, and
        outdated letters are cancelled; both are reported, never sent.
        """
        letters = self._check_sendable("email")
        no_email = letters.filtered(
            lambda letter: not email_normalize(letter.partner_id.email)
        )
        no_email._switch_to_post()
        letters -= no_email
        cancelled = letters._cancel_outdated()
        letters -= cancelled
        failed = self.browse()
        if letters:
            letters, failed = self.env["account.dunning.letter.send"]._send_letters(
                letters, "email"
            )
        lines = []
        if letters:
            lines.append(
                self.env._(
                    "%(count)s letter(s) queued for sending by e-mail.",
                    count=len(letters),
                )
            )
        if no_email:
            lines.append(
                self.env._(
                    "%(count)s letter(s) switched to post (no valid e-mail "
                    "address): %(letters)s",
                    count=len(no_email),
                    letters=", ".join(no_email.mapped("name")),
                )
            )
        if cancelled:
            lines.append(
                self.env._(
                    "%(count)s letter(s) cancelled because their invoices were "
                    "paid or changed: %(letters)s",
                    count=len(cancelled),
                    letters=", ".join(cancelled.mapped("name")),
                )
            )
        lines += self._failed_lines(failed)
        return self._notify_result(
            self.env._("Dunning e-mails"),
            lines,
            next_action={"type": "ir.actions.client", "tag": "soft_reload"},
            sticky=bool(no_email or cancelled or failed),
        )

    def action_print_post_letters(self):
        """Print the ready post letters of ``self`` as one PDF, mark them sent.

        All or nothing for addresses: one incomplete postal address stops
        the whole batch before anything changes.
        """
        letters = self._check_sendable("post")
        letters._check_postal_address()
        cancelled = letters._cancel_outdated()
        letters -= cancelled
        cancel_lines = []
        if cancelled:
            cancel_lines.append(
                self.env._(
                    "%(count)s letter(s) cancelled because their invoices were "
                    "paid or changed: %(letters)s",
                    count=len(cancelled),
                    letters=", ".join(cancelled.mapped("name")),
                )
            )
        if not letters:
            return self._notify_result(
                self.env._("Nothing to print"),
                cancel_lines,
                next_action={"type": "ir.actions.client", "tag": "soft_reload"},
                sticky=True,
            )
        letters = letters.sorted(
            lambda letter: (letter.partner_id.name or "", letter.id)
        )
        letters, failed = self.env["account.dunning.letter.send"]._send_letters(
            letters, "post"
        )
        cancel_lines += self._failed_lines(failed)
        if not letters:
            return self._notify_result(
                self.env._("Nothing to print"),
                cancel_lines,
                next_action={"type": "ir.actions.client", "tag": "soft_reload"},
                sticky=True,
            )
        attachment = letters._create_print_batch()
        url = "/web/content/%s?download=true" % attachment.id
        # Download the batch, then reload the view: the letters are now sent.
        download = {
            "type": "ir.actions.client",
            "tag": "account_relationship_dunning.download_reload",
            "params": {"url": url},
            "url": url,
        }
        if not cancel_lines:
            return download
        return self._notify_result(
            self.env._("Dunning letters printed"),
            [
                self.env._("%(count)s letter(s) printed.", count=len(letters)),
                *cancel_lines,
            ],
            next_action=download,
            sticky=True,
        )

    def _create_print_batch(self):
        """One file with the archived documents of ``self``, in order."""
        documents = [letter.pdf_attachment_id.raw for letter in self]
        if all(document.startswith(b"%PDF") for document in documents):
            content = merge_pdf(documents)
        else:  # HTML documents of test runs without PDF rendering
            content = b"".join(documents)
        runs = self.run_id
        return self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "Dunning letters %(date)s.pdf",
                    date=fields.Date.to_string(fields.Date.context_today(self)),
                ),
                "raw": content,
                "res_model": runs._name if len(runs) == 1 else False,
                "res_id": runs.id if len(runs) == 1 else False,
            }
        )

    def action_preview(self):
        """Show the letter as it would be printed, without sending anything."""
        self.ensure_one()
        action = self.env.ref(LETTER_REPORT).report_action(self, config=False)
        action["report_type"] = "qweb-html"
        return action

    def action_download_document(self):
        """The archived document, byte for byte as it was sent."""
        self.ensure_one()
        if not self.pdf_attachment_id:
            raise UserError(
                self.env._(
                    "Letter %(name)s has no archived document: it was not sent yet.",
                    name=self.name,
                )
            )
        return {
            "type": "ir.actions.act_url",
            "url": "/web/content/%s?download=true" % self.pdf_attachment_id.id,
            "target": "download",
        }
