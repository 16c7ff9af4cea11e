"""Legal handover: the CSV export and the PDF dossier."""

import csv
import io

from odoo import models
from odoo.exceptions import UserError
from odoo.tools.pdf import merge_pdf

from .account_dunning_handover import CSV_COLUMNS, CSV_DELIMITER


class AccountDunningHandover(models.Model):
    _inherit = "account.dunning.handover"

    def action_export_csv(self):
        self.ensure_one()
        attachment = self.env["ir.attachment"].create(
            {
                "name": self._export_filename("csv"),
                "raw": self._get_csv_content().encode("utf-8"),
                "mimetype": "text/csv",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return self._download_action(attachment)

    def action_export_dossier(self):
        """The PDF dossier with the archived PDFs of the letters sent."""
        self.ensure_one()
        attachment = self.env["ir.attachment"].create(
            {
                "name": self._export_filename("pdf"),
                "raw": self._get_dossier_pdf(),
                "mimetype": "application/pdf",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return self._download_action(attachment)

    def _get_csv_rows(self):
        """One dict per invoice with the keys of ``CSV_COLUMNS``."""
        self.ensure_one()
        currency = self.currency_id
        rows = []
        for line in self.line_ids:
            rows.append(
                {
                    "creditor_name": self.creditor_name or "",
                    "creditor_address": self.creditor_address or "",
                    "debtor_name": self.debtor_name or "",
                    "debtor_address": self.debtor_address or "",
                    "debtor_legal_form": self.debtor_legal_form or "",
                    "claim_type_code": str(line.claim_type_id.code or ""),
                    "claim_type": line.claim_type_id.name or "",
                    "invoice_number": line.move_name,
                    "invoice_date": _iso(line.invoice_date),
                    "due_date": _iso(line.date_due),
                    "open_principal": _csv_amount(line.amount_principal, currency),
                    "interest_points": f"{line.interest_points:.2f}",
                    "interest_from": _iso(line.interest_date_from),
                    "fees": _csv_amount(line.fee_amount, currency),
                    "compensation": _csv_amount(line.compensation_amount, currency),
                    "currency": currency.name,
                }
            )
        return rows

    def _get_csv_content(self):
        self.ensure_one()
        if self.state not in ("handed_over", "closed"):
            raise UserError(self.env._("Hand the claim over before exporting it."))
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer,
            fieldnames=CSV_COLUMNS,
            delimiter=CSV_DELIMITER,
            lineterminator="\r\n",
        )
        writer.writeheader()
        writer.writerows(self._get_csv_rows())
        return buffer.getvalue()

    def _get_letter_pdfs(self):
        """The archived PDFs of the letters sent, oldest letter first: the
        letter's own attachment field when the letter model has one, else the
        latest PDF attached to the letter."""
        self.ensure_one()
        letters = self.letter_ids.sorted(lambda lt: (lt.date, lt.id))
        Letter = self.env["account.dunning.letter"]
        attachment_fields = [
            name
            for name, field in Letter._fields.items()
            if field.type == "many2one" and field.comodel_name == "ir.attachment"
        ]
        attachments = self.env["ir.attachment"].search(
            [
                ("res_model", "=", Letter._name),
                ("res_id", "in", letters.ids),
                ("mimetype", "=", "application/pdf"),
            ],
            order="id desc",
        )
        pdfs = []
        for letter in letters:
            attachment = next(
                (letter[name] for name in attachment_fields if letter[name]), None
            ) or next((a for a in attachments if a.res_id == letter.id), None)
            if attachment and attachment.raw:
                pdfs.append(attachment.raw)
        return pdfs

    def _get_dossier_pdf(self):
        self.ensure_one()
        if self.state not in ("handed_over", "closed"):
            raise UserError(self.env._("Hand the claim over before exporting it."))
        dossier, _format = self.env["ir.actions.report"]._render_qweb_pdf(
            "account_relationship_dunning.account_dunning_handover_report", self.ids
        )
        return self._append_letter_pdfs(dossier)

    def _append_letter_pdfs(self, dossier):
        """The dossier PDF followed by the archived letter PDFs."""
        letters = self._get_letter_pdfs()
        return merge_pdf([dossier, *letters]) if letters else dossier

    def _export_filename(self, extension):
        return f"{self.name.replace('/', '_')}.{extension}"

    def _download_action(self, attachment):
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }


def _iso(value):
    return value.isoformat() if value else ""


def _csv_amount(value, currency):
    return f"{currency.round(value or 0.0):.{currency.decimal_places}f}"
