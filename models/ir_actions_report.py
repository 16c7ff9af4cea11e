import io
from collections import OrderedDict

from odoo import models

LETTER_REPORT_NAME = "account_relationship_dunning.report_dunning_letter"


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf_prepare_streams(self, report_ref, data, res_ids=None):
        """Sent dunning letters print from their archive, byte for byte."""
        report = self._get_report(report_ref)
        if report.report_name != LETTER_REPORT_NAME or not res_ids:
            return super()._render_qweb_pdf_prepare_streams(
                report_ref, data, res_ids=res_ids
            )
        letters = self.env[report.model].browse(res_ids)
        archived = {
            letter.id: letter.pdf_attachment_id
            for letter in letters
            if letter.pdf_attachment_id.mimetype == "application/pdf"
        }
        if not archived:
            return super()._render_qweb_pdf_prepare_streams(
                report_ref, data, res_ids=res_ids
            )
        to_render = [res_id for res_id in res_ids if res_id not in archived]
        rendered = (
            super()._render_qweb_pdf_prepare_streams(
                report_ref, data, res_ids=to_render
            )
            if to_render
            else {}
        )
        streams = OrderedDict()
        for res_id in res_ids:
            if res_id in archived:
                streams[res_id] = {
                    "stream": io.BytesIO(archived[res_id].raw),
                    "attachment": archived[res_id],
                }
            elif res_id in rendered:
                streams[res_id] = rendered[res_id]
        if False in rendered:
            streams[False] = rendered[False]
        return streams
