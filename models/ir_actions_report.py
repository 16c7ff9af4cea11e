import base64
import functools
import io
import re
from collections import OrderedDict

from markupsafe import Markup

from odoo import models
from odoo.tools import file_open

LETTER_REPORT_NAME = "account_relationship_dunning.report_dunning_letter"
STYLESHEET_LINK = re.compile(r"<link\b[^>]*\brel=\"stylesheet\"[^>]*>")
# The letterhead and footer of a letter are styled inline; they only need
# the report font, embedded (wkhtmltopdf loads the header and footer once per
# page, and they do not depend on the server answering).
LATO_FONTS = (
    ("normal", "web/static/fonts/lato/Lato-Reg-webfont.woff"),
    ("bold", "web/static/fonts/lato/Lato-Bol-webfont.woff"),
)


@functools.cache
def _letter_header_footer_style():
    faces = []
    for weight, path in LATO_FONTS:
        with file_open(path, "rb") as font:
            data = base64.b64encode(font.read()).decode()
        faces.append(
            "@font-face{font-family:'Lato';font-style:normal;font-weight:%s;"
            "src:url(data:font/woff;base64,%s) format('woff');}" % (weight, data)
        )
    return "<style>%sbody{margin:0;}</style>" % "".join(faces)


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _prepare_html(self, html, report_model=False):
        """Letters: header and footer without the report style sheets (half
        a megabyte that wkhtmltopdf would parse for every page), with the
        report font only."""
        result = super()._prepare_html(html, report_model=report_model)
        if not result or self.report_name != LETTER_REPORT_NAME:
            return result
        bodies, res_ids, header, footer, specific_paperformat_args = result
        header, footer = (
            Markup(
                STYLESHEET_LINK.sub("", str(part)).replace(
                    "</head>", _letter_header_footer_style() + "</head>", 1
                )
            )
            for part in (header, footer)
        )
        return bodies, res_ids, header, footer, specific_paperformat_args

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
