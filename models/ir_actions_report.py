import base64
import functools
import re

from lxml import etree
from lxml import html as lxml_html
from markupsafe import Markup

from odoo import models
from odoo.tools import file_open

LETTER_REPORT_NAME = "account_relationship_dunning.report_dunning_letter"
# wkhtmltopdf's JavaScript delay for letters, in milliseconds (setting
# account_relationship_dunning.letter_print_delay).
LETTER_PRINT_DELAY = "50"
STYLESHEET_LINK = re.compile(r"<link\b[^>]*\brel=\"stylesheet\"[^>]*>")
# The letterhead and footer of a letter are styled inline; they only need
# the report font, embedded (wkhtmltopdf loads the header and footer once per
# page, and they do not depend on the server answering).
LATO_FONTS = (
    ("normal", "web/static/fonts/lato/Lato-Reg-webfont.woff"),
    ("bold", "web/static/fonts/lato/Lato-Bol-webfont.woff"),
)
# The containers of Odoo's header and footer files: one child per document,
# which the file's script picks by the index of the page's document.
HEADER_FOOTER_CONTAINERS = (
    ("minimal_layout_report_headers", "header"),
    ("minimal_layout_report_footers", "footer"),
)


def _deduplicate_header_footer(part):
    """``part`` (a header or footer file of several letters) with each
    distinct header or footer once, and the script pointing every letter to
    its copy: the letters of one company share them, and wkhtmltopdf parses
    the whole file for every page."""
    document = lxml_html.document_fromstring(part)
    changed = False
    for container_id, variable in HEADER_FOOTER_CONTAINERS:
        container = document.find(f".//*[@id='{container_id}']")
        if container is None or len(container) < 2:
            continue
        distinct, positions = {}, []
        for child in list(container):
            key = etree.tostring(child, with_tail=False)
            if key not in distinct:
                distinct[key] = child
            else:
                container.remove(child)
            positions.append(list(distinct).index(key))
        if len(distinct) == len(positions):
            continue
        changed = True
        old = f"{variable}.children[index]"
        new = f"{variable}.children[{positions}[index]]"
        for script in document.iter("script"):
            if script.text and old in script.text:
                script.text = script.text.replace(old, new)
    if not changed:
        return part
    return lxml_html.tostring(document, encoding="unicode", doctype="<!DOCTYPE html>")


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
        report font only, each distinct header and footer once."""
        result = super()._prepare_html(html, report_model=report_model)
        if not result or self.report_name != LETTER_REPORT_NAME:
            return result
        bodies, res_ids, header, footer, specific_paperformat_args = result
        header, footer = (
            Markup(
                _deduplicate_header_footer(
                    STYLESHEET_LINK.sub("", str(part)).replace(
                        "</head>", _letter_header_footer_style() + "</head>", 1
                    )
                )
            )
            for part in (header, footer)
        )
        return bodies, res_ids, header, footer, specific_paperformat_args

    def _build_wkhtmltopdf_args(
        self,
        paperformat_id,
        landscape,
        specific_paperformat_args=None,
        set_viewport_size=False,
    ):
        """Letters: a short JavaScript delay. A letter runs no script but the
        page numbers of its footer, which run when the page has loaded
        (styles included); Odoo's default delay of one second per call
        (``report.print_delay``) was most of the time of printing letters."""
        args = super()._build_wkhtmltopdf_args(
            paperformat_id,
            landscape,
            specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size,
        )
        if (
            self.env.context.get("dunning_letter_print")
            and "--javascript-delay" in args
        ):
            delay = (
                self.env["ir.config_parameter"]
                .sudo()  # sudo: a technical setting, read by every user who prints
                .get_param(
                    "account_relationship_dunning.letter_print_delay",
                    LETTER_PRINT_DELAY,
                )
            )
            args[args.index("--javascript-delay") + 1] = str(delay)
        return args
