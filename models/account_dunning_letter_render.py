import io
import logging
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

from odoo import models
from odoo.tools import config
from odoo.tools.misc import split_every
from odoo.tools.pdf import PdfFileReader, PdfFileWriter

from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

_logger = logging.getLogger(__name__)

LETTER_REPORT = "account_relationship_dunning.account_dunning_letter_report"
# Letters per wkhtmltopdf call. Every page loads the header and footer file,
# which holds the header and footer of every letter of the call: small
# batches keep that cheap, and many batches keep both cores busy.
PIPELINE_BATCH_SIZE = 25
# wkhtmltopdf processes running while Odoo renders the next batch's HTML:
# wkhtmltopdf waits for the report styles from the Odoo server for part of
# its time, so one more process than cores keeps the cores busy.
PIPELINE_WORKERS = max(1, min(3, (os.cpu_count() or 1) + 1))


def _run_wkhtmltopdf_files(command_args, bodies, header, footer):
    """wkhtmltopdf on ``bodies`` with ``header`` and ``footer``: the PDF bytes.
    No database access: runs in a worker thread."""
    # no dot in the directory name: the footer script finds the letter index
    # as the fourth dot-separated part of the body file path
    with tempfile.TemporaryDirectory(prefix="dunning_letters_") as tmp:
        files = []
        for name, content in (("header", header), ("footer", footer)):
            path = os.path.join(tmp, f"report.{name}.tmp.html")
            with open(path, "w", encoding="utf-8") as file:
                file.write(content)
            files += [f"--{name}-html", path]
        paths = []
        for index, body in enumerate(bodies):
            # the file name carries the index the header/footer script reads
            path = os.path.join(tmp, f"report.body.tmp.{index}.html")
            with open(path, "w", encoding="utf-8") as file:
                file.write(body)
            paths.append(path)
        output = os.path.join(tmp, "report.pdf")
        process = subprocess.run(
            [_get_wkhtmltopdf_bin(), *command_args, *files, *paths, output],
            capture_output=True,
            check=False,
        )
        if process.returncode not in (0, 1) or not os.path.exists(output):
            raise RuntimeError(
                "wkhtmltopdf failed (%s): %s"
                % (process.returncode, process.stderr[-1000:].decode(errors="replace"))
            )
        with open(output, "rb") as file:
            return file.read()


def _split_pdf_by_outline(content, count):
    """The PDF ``content`` of ``count`` letters, one PDF per letter, split at
    the top-level outline entries (each letter's subject), or ``None``."""
    reader = PdfFileReader(io.BytesIO(content))
    root = reader.trailer["/Root"]
    if "/Outlines" not in root or "/First" not in root["/Outlines"]:
        return None
    starts = []
    node = root["/Outlines"]["/First"]
    while True:
        starts.append(root["/Dests"][node["/Dest"]][0])
        if "/Next" not in node:
            break
        node = node["/Next"]
    starts = sorted(set(starts))
    if len(starts) != count or starts[0] != 0:
        return None
    documents = []
    for index, first in enumerate(starts):
        last = starts[index + 1] if index + 1 < len(starts) else reader.numPages
        writer = PdfFileWriter()
        for page in range(first, last):
            writer.addPage(reader.getPage(page))
        stream = io.BytesIO()
        writer.write(stream)
        documents.append(stream.getvalue())
    return documents


class AccountDunningLetter(models.Model):
    """Rendering many letters fast: Odoo renders the HTML of one batch while
    wkhtmltopdf turns the previous batches into PDF in other processes, so
    that both cores work; each batch's PDF is split per letter."""

    _inherit = "account.dunning.letter"

    def _get_render_batch_size(self):
        return self.env.context.get("dunning_letter_batch_size") or PIPELINE_BATCH_SIZE

    def _use_render_pipeline(self):
        # Test runs render PDF only when asked to, like Odoo's reports.
        testing = config["test_enable"] or config["test_file"]
        return (
            len(self) > self._get_render_batch_size()
            and (not testing or self.env.context.get("force_report_rendering"))
            and self.env["ir.actions.report"].get_wkhtmltopdf_state() == "ok"
        )

    def _render_letter_documents(self, errors=None):
        if not self._use_render_pipeline():
            return super()._render_letter_documents(errors=errors)
        return self._render_letter_pipeline(errors=errors)

    def _prepare_letter_batch(self, report):
        """HTML of the letters of ``self`` split for wkhtmltopdf: (bodies,
        letter ids, header, footer, command arguments)."""
        Report = self.env["ir.actions.report"].with_context(
            debug=False, webp_as_jpg=True, dunning_letter_print=True
        )
        html = Report._render_qweb_html(
            LETTER_REPORT, self.ids, data={"report_type": "pdf", "debug": False}
        )[0]
        bodies, html_ids, header, footer, specific_args = report.with_context(
            debug=False
        )._prepare_html(html, report_model=self._name)
        command_args = Report._build_wkhtmltopdf_args(
            report.get_paperformat(), False, specific_paperformat_args=specific_args
        )
        return bodies, html_ids, header, footer, command_args

    def _render_letter_pipeline(self, errors=None):
        report = self.env["ir.actions.report"]._get_report(LETTER_REPORT)
        documents = {}
        fallback = self.browse()
        with ThreadPoolExecutor(max_workers=PIPELINE_WORKERS) as pool:
            jobs = []
            for batch_ids in split_every(self._get_render_batch_size(), self.ids):
                for batch, prepared in self.browse(batch_ids)._render_html_isolated(
                    lambda letters: letters._prepare_letter_batch(report), errors
                ):
                    bodies, html_ids, header, footer, args = prepared
                    if list(html_ids) != list(batch.ids):
                        fallback |= batch
                        continue
                    jobs.append(
                        (
                            batch,
                            pool.submit(
                                _run_wkhtmltopdf_files, args, bodies, header, footer
                            ),
                        )
                    )
            for batch, job in jobs:
                try:
                    parts = _split_pdf_by_outline(job.result(), len(batch))
                except RuntimeError as error:
                    _logger.warning("Dunning letters: %s", error)
                    parts = None
                if parts is None:
                    fallback |= batch
                    continue
                documents.update(zip(batch.ids, parts, strict=True))
        if fallback:
            _logger.warning(
                "Dunning letters: %s letters could not be rendered in batches; "
                "rendering them one by one.",
                len(fallback),
            )
            documents.update(
                super(AccountDunningLetter, fallback)._render_letter_documents(
                    errors=errors
                )
            )
        return documents
