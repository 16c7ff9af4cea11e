from freezegun import freeze_time
from lxml import html as lxml_html

from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..models.dunning_batch import batch_then_one_by_one
from ..models.ir_actions_report import _deduplicate_header_footer
from .common import DunningTestCommon

REPORT = "account_relationship_dunning.account_dunning_letter_report"


@tagged("post_install", "-at_install")
class TestLetterSendingService(DunningTestCommon):
    """Printing and e-mailing through the sending service: documents rendered
    in batches, a letter that cannot be rendered fails alone, the archive is
    the report's attachment."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.good = cls._create_customer("Gute Post GmbH", email=False)
        cls.broken = cls._create_customer("Kaputte Vorlage GmbH", email=False)
        cls.mailed = cls._create_customer("Mail Empfänger GmbH", lang="en_US")
        for partner in (cls.good, cls.broken, cls.mailed):
            cls._set_segment(partner, "standard")
            cls._invoice(partner, 400.0, "2025-12-01", "2026-01-01")

    def _letters(self):
        # Due 2026-01-01, run on 2026-01-20: 19 days overdue, past the
        # 7 days of the standard segment's reminder.
        letters = self._run("2026-01-20").letter_ids
        self.assertEqual(len(letters), 3)
        return {letter.partner_id: letter for letter in letters}

    def _break_document_of(self, partner):
        """The letter document of ``partner`` fails to render (a customised
        report that reads a field that does not exist)."""
        self.env["ir.ui.view"].create(
            {
                "name": "broken letter for one customer",
                "type": "qweb",
                "inherit_id": self.env.ref(
                    "account_relationship_dunning.report_dunning_letter_document"
                ).id,
                "arch": (
                    '<xpath expr="//div[@name=\'letter_text\']" position="before">'
                    f'<t t-if="o.partner_id.id == {partner.id}" '
                    't-out="o.partner_id.no_such_field"/></xpath>'
                ),
            }
        )

    def test_batch_then_one_by_one(self):
        partners = self.good | self.broken | self.mailed
        failures = []

        def process(part):
            part.write({"comment": "<p>checked</p>"})
            if self.broken in part:
                raise ValueError("broken record")
            return len(part)

        done = batch_then_one_by_one(
            self.env,
            partners,
            process,
            lambda partner, error: failures.append((partner, str(error))),
        )
        # the batch failed (rolled back), then one savepoint per partner
        self.assertEqual([part for part, _count in done], [self.good, self.mailed])
        self.assertEqual(failures, [(self.broken, "broken record")])
        self.assertEqual(str(self.good.comment), "<p>checked</p>")
        self.assertEqual(str(self.mailed.comment), "<p>checked</p>")
        self.assertFalse(self.broken.comment, "the broken partner's write is undone")
        # a batch that goes through is processed once, as a whole
        done = batch_then_one_by_one(self.env, partners - self.broken, process, None)
        self.assertEqual(done, [(self.good | self.mailed, 2)])

    @freeze_time("2026-01-20")
    @mute_logger(
        "odoo.addons.account_relationship_dunning.models.account_dunning_letter_archive",
        "odoo.addons.account_relationship_dunning.models.dunning_batch",
    )
    def test_print_document_failure_fails_alone(self):
        letters = self._letters()
        posts = letters[self.good] | letters[self.broken]
        self.assertEqual(set(posts.mapped("channel")), {"post"})
        self._break_document_of(self.broken)
        result = posts.action_print_post_letters()
        self.assertEqual(letters[self.good].state, "done")
        self.assertTrue(letters[self.good].pdf_attachment_id)
        self.assertEqual(letters[self.broken].state, "ready", "not sent")
        self.assertFalse(letters[self.broken].pdf_attachment_id)
        message = str(letters[self.broken].message_ids.sorted("id")[-1].body)
        self.assertIn("could not be rendered", message)
        self.assertIn("no_such_field", message)
        self.assertIn(letters[self.broken].name, result["params"]["message"])
        self.assertTrue(result["params"]["sticky"])
        # the printed file holds the good letter only
        self.assertEqual(
            result["params"]["next"]["tag"],
            "account_relationship_dunning.download_reload",
        )

    @freeze_time("2026-01-20")
    def test_archive_is_the_report_attachment(self):
        letter = self._letters()[self.good]
        report = self.env["ir.actions.report"]._get_report(REPORT)
        self.assertTrue(report.attachment_use)
        self.assertFalse(
            report.retrieve_attachment(letter), "an unsent letter is not archived"
        )
        letter.with_context(force_report_rendering=True).action_print_post_letters()
        self.assertEqual(letter.state, "done")
        archive = letter.pdf_attachment_id
        self.assertEqual(archive.name, letter._get_document_filename())
        self.assertEqual(report.retrieve_attachment(letter), archive)
        # printing the sent letter again gives the archive, and no new file
        content, _type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(REPORT, letter.ids)
        )
        self.assertEqual(content, archive.raw)
        self.assertEqual(
            self.env["ir.attachment"].search_count(
                [("res_model", "=", letter._name), ("res_id", "=", letter.id)]
            ),
            1,
        )

    @freeze_time("2026-01-20")
    def test_email_posted_from_template_with_archive(self):
        letter = self._letters()[self.mailed]
        self.assertEqual(letter.channel, "email")
        letter.with_context(force_report_rendering=True).action_send_email()
        self.assertEqual(letter.state, "done")
        message = letter.message_ids.filtered(
            lambda msg: msg.message_type == "comment" and msg.partner_ids
        )
        self.assertEqual(len(message), 1)
        self.assertEqual(message.attachment_ids, letter.pdf_attachment_id)
        self.assertEqual(message.partner_ids, self.mailed)
        self.assertIn(letter._get_letter_subject(), message.subject)
        mail = self.env["mail.mail"].search([("mail_message_id", "=", message.id)])
        self.assertEqual(mail.state, "outgoing", "queued for the mail cron")


@tagged("post_install", "-at_install")
class TestLetterHeaderFooter(TransactionCase):
    def test_identical_headers_kept_once(self):
        part = (
            "<!DOCTYPE html><html><head><script>function subst() {"
            "var header = document.getElementById('minimal_layout_report_headers');"
            "var companyHeader = header.children[index];}</script></head><body>"
            '<div id="minimal_layout_report_headers">'
            '<div class="header">A</div><div class="header">B</div>'
            '<div class="header">A</div><div class="header">A</div></div>'
            "</body></html>"
        )
        result = _deduplicate_header_footer(part)
        document = lxml_html.document_fromstring(result)
        headers = document.get_element_by_id("minimal_layout_report_headers")
        self.assertEqual([child.text for child in headers], ["A", "B"])
        # letters 0, 2 and 3 show header A, letter 1 header B
        self.assertIn("header.children[[0, 1, 0, 0][index]]", result)
        # all different: unchanged
        distinct = part.replace(
            '<div class="header">A</div><div class="header">A</div></div>',
            '<div class="header">C</div><div class="header">D</div></div>',
        )
        self.assertEqual(_deduplicate_header_footer(distinct), distinct)
