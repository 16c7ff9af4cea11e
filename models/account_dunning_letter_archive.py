"""Rendering the documents of dunning letters and archiving them as sent.

Letters are rendered in batches (one wkhtmltopdf call for up to
``RENDER_BATCH_SIZE`` letters, split per letter afterwards); a letter that
cannot be rendered is isolated instead of stopping the others. The document
of a sent letter is attached to it under the name the report's
``attachment`` gives, so that every reprint returns it byte for byte. The
faster rendering pipeline of large batches is in
``account_dunning_letter_render.py``.
"""

import io
import logging

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import split_every
from odoo.tools.pdf import merge_pdf

from .account_dunning_letter_document import LETTER_REPORT
from .dunning_batch import batch_then_one_by_one

_logger = logging.getLogger(__name__)

# Letters rendered per wkhtmltopdf call when printing or archiving in batch.
RENDER_BATCH_SIZE = 100


class AccountDunningLetter(models.Model):
    _inherit = "account.dunning.letter"

    pdf_attachment_id = fields.Many2one(
        "ir.attachment",
        string="Archived Document",
        readonly=True,
        copy=False,
        ondelete="restrict",
        help="The document exactly as it was sent; reprints return this file.",
    )

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
