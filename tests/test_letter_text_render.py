import re

from freezegun import freeze_time
from lxml import html as lxml_html

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from .common import DunningTestCommon

REPORT = "account_relationship_dunning.account_dunning_letter_report"


def html_text(content):
    text = lxml_html.fromstring("<div>%s</div>" % content).text_content()
    return " ".join(text.replace("\xa0", " ").split())


@tagged("post_install", "-at_install")
class TestLetterTextRender(DunningTestCommon):
    """The level's letter text is a QWeb template rendered by Odoo's mail
    rendering on each letter: checked when saved, values escaped, singular
    and plural, German and English."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._use_euro()
        # Copies of the shipped policies made once German is installed.
        cls._setup_german_texts()
        cls.english_two = cls._create_customer("Smith Trading Ltd", lang="en_US")
        cls.english_one = cls._create_customer("Jones Supplies Ltd", lang="en_US")
        cls.german_one = cls._create_customer("Müller Maschinenbau GmbH", lang="de_DE")
        cls.german_two = cls._create_customer("Schulz Handel KG", lang="de_DE")
        cls.tagged = cls._create_customer("Smith <b>Bold</b> & Co", lang="en_US")
        cls._invoice(cls.english_two, 1500.0, "2026-01-02", "2026-02-01")
        cls._invoice(cls.english_two, 500.0, "2026-01-05", "2026-02-04")
        cls._invoice(cls.english_one, 300.0, "2026-01-02", "2026-02-01")
        cls._invoice(cls.german_one, 800.0, "2026-01-02", "2026-02-01")
        cls._invoice(cls.german_two, 100.0, "2026-01-02", "2026-02-01")
        cls._invoice(cls.german_two, 250.5, "2026-01-03", "2026-02-02")
        cls._invoice(cls.tagged, 50.0, "2026-01-02", "2026-02-01")
        for partner in (
            cls.english_two,
            cls.english_one,
            cls.german_one,
            cls.german_two,
            cls.tagged,
        ):
            cls._set_segment(partner, "new")
        cls.reminder = cls._level("new", "Payment Reminder")
        cls.manager = new_test_user(
            cls.env,
            login="text_manager",
            groups="account_relationship_dunning.group_dunning_manager,base.group_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.editor = new_test_user(
            cls.env,
            login="text_editor",
            groups="account_relationship_dunning.group_dunning_manager,"
            "base.group_user,mail.group_mail_template_editor",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _letters(self):
        # Run on 2026-02-14: every invoice is 10 to 13 days overdue, the
        # "new" segment's reminder (deadline 7 days: 2026-02-21).
        letters = self._run("2026-02-14").letter_ids
        self.assertEqual(len(letters), 5)
        self.assertEqual(set(letters.level_id.mapped("name")), {"Payment Reminder"})
        return {letter.partner_id: letter for letter in letters}

    def _body(self, letter, lang):
        return html_text(letter.with_context(lang=lang)._get_letter_body())

    def _report_text(self, letter):
        content = self.env["ir.actions.report"]._render_qweb_html(REPORT, letter.ids)[0]
        return " ".join(
            lxml_html.fromstring(content).text_content().replace("\xa0", " ").split()
        )

    # ------------------------------------------------------------------
    # Checked when saved
    # ------------------------------------------------------------------
    def test_invalid_expression_refused_when_saved(self):
        manager = self.reminder.with_user(self.manager)
        editor = self.reminder.with_user(self.editor)
        before = self.reminder.letter_text
        # A dunning manager may use the placeholders only (Odoo's rule for
        # mail templates): any other expression is refused, named.
        for text in (
            '<p>Please pay <t t-out="object.amount"/>.</p>',
            '<p>Please pay <t t-out="object.("/>.</p>',
            '<p>Write to <t t-out="object.partner_id.email"/>.</p>',
        ):
            expression = text.split("<t ")[1].split("/>")[0]
            with (
                self.subTest(text=text),
                self.assertRaisesRolledBack(ValidationError, re.escape(expression)),
            ):
                manager.letter_text = text
        # A Mail Template Editor may use any expression that renders.
        with self.assertRaisesRolledBack(ValidationError, "has no attribute 'amount'"):
            editor.letter_text = '<p>Please pay <t t-out="object.amount"/>.</p>'
        with self.assertRaisesRolledBack(ValidationError, "Payment Reminder"):
            editor.letter_text = '<p>Please pay <t t-out="object.("/>.</p>'
        # The German text is checked too, from the translation dialog.
        with self.assertRaisesRolledBack(ValidationError, "has no attribute 'betrag'"):
            editor._update_field_translations(
                "letter_text", {"de_DE": '<p>Bitte <t t-out="object.betrag"/>.</p>'}
            )
        with self.assertRaisesRolledBack(ValidationError, 't-out="object.betrag"'):
            manager._update_field_translations(
                "letter_text", {"de_DE": '<p>Bitte <t t-out="object.betrag"/>.</p>'}
            )
        self.reminder.invalidate_recordset(["letter_text"])
        self.assertEqual(self.reminder.letter_text, before)
        editor.letter_text = '<p>Write to <t t-out="object.partner_id.email"/>.</p>'
        self.assertIn("object.partner_id.email", self.reminder.letter_text)
        # The placeholders and the number choice: any dunning manager.
        manager.letter_text = (
            '<p>Dear <t t-out="object.partner_id.name"/>, {the invoice|the '
            'invoices} <t t-out="object.invoice_names"/>: '
            '<t t-out="object.amount_total_due_text"/>.</p>'
        )
        self.assertIn("object.invoice_names", self.reminder.letter_text)

    # ------------------------------------------------------------------
    # Escaped values
    # ------------------------------------------------------------------
    @freeze_time("2026-02-14")
    def test_customer_values_escaped(self):
        letter = self._letters()[self.tagged]
        texts = {
            # placeholders only: rendered without evaluating Python
            "placeholders": '<p>Dear <t t-out="object.partner_id.name"/>,</p>',
            # a text saved before the text was a template
            "former": "<p>Dear {customer},</p>",
            # a condition (Mail Template Editors): QWeb evaluates it
            "qweb": '<p><t t-if="object.invoice_count == 1">Dear</t> '
            '<t t-out="object.partner_id.name"/>,</p>',
        }
        for kind, text in texts.items():
            with self.subTest(kind=kind):
                self.reminder.with_user(self.editor).letter_text = text
                body = str(letter._get_letter_body())
                self.assertIn("Dear Smith &lt;b&gt;Bold&lt;/b&gt; &amp; Co,", body)
                self.assertNotIn("<b>", body)
                self.assertIn("Dear Smith <b>Bold</b> & Co,", self._report_text(letter))

    # ------------------------------------------------------------------
    # Real letters: German and English, one and several invoices
    # ------------------------------------------------------------------
    @freeze_time("2026-02-14")
    def test_shipped_reminder_german_and_english(self):
        letters = self._letters()
        # Smith: 1,500.00 + 500.00 = 2,000.00 (no charges on a reminder),
        # deadline 2026-02-14 + 7 days = 2026-02-21.
        self.assertEqual(
            self._body(letters[self.english_two], "en_US"),
            "While reviewing our accounts, we noticed that the invoices listed "
            "below have not been paid yet. This is surely an oversight. We would "
            "be grateful if you could transfer the open amount of 2,000.00 € by "
            "02/21/2026. If you have any questions about these invoices, please "
            "do not hesitate to contact us.",
        )
        self.assertEqual(
            self._body(letters[self.english_one], "en_US"),
            "While reviewing our accounts, we noticed that the invoice listed "
            "below has not been paid yet. This is surely an oversight. We would "
            "be grateful if you could transfer the open amount of 300.00 € by "
            "02/21/2026. If you have any questions about this invoice, please do "
            "not hesitate to contact us.",
        )
        self.assertEqual(
            self._body(letters[self.german_one], "de_DE"),
            "bei der Durchsicht unserer Buchhaltung haben wir festgestellt, dass "
            "die unten aufgeführte Rechnung noch nicht beglichen ist. Sicherlich "
            "handelt es sich um ein Versehen. Wir wären Ihnen dankbar, wenn Sie "
            "den offenen Betrag von 800,00 € bis zum 21.02.2026 überweisen "
            "würden. Bei Fragen zu dieser Rechnung stehen wir Ihnen gerne zur "
            "Verfügung.",
        )
        # Schulz: 100.00 + 250.50 = 350.50
        german_two = self._body(letters[self.german_two], "de_DE")
        self.assertEqual(
            german_two,
            "bei der Durchsicht unserer Buchhaltung haben wir festgestellt, dass "
            "die unten aufgeführten Rechnungen noch nicht beglichen sind. "
            "Sicherlich handelt es sich um ein Versehen. Wir wären Ihnen dankbar, "
            "wenn Sie den offenen Betrag von 350,50 € bis zum 21.02.2026 "
            "überweisen würden. Bei Fragen zu diesen Rechnungen stehen wir Ihnen "
            "gerne zur Verfügung.",
        )
        # The printed letter, in the customer's language, holds the same text.
        self.assertIn(german_two, self._report_text(letters[self.german_two]))
        self.assertIn(
            "Sehr geehrte Damen und Herren, " + german_two,
            self._report_text(letters[self.german_two]),
        )

    @freeze_time("2026-02-14")
    def test_condition_on_the_number_of_invoices(self):
        """A Mail Template Editor may write the choice as a QWeb condition."""
        self.reminder.with_user(self.editor).letter_text = (
            '<p>Please pay <t t-if="object.invoice_count == 1">the invoice</t>'
            '<t t-else="">the <t t-out="object.invoice_count"/> invoices</t> '
            '<t t-out="object.invoice_names"/>.</p>'
        )
        letters = self._letters()
        one = letters[self.english_one]
        two = letters[self.english_two]
        self.assertEqual(
            self._body(one, "en_US"),
            "Please pay the invoice %s." % one.line_ids.move_name,
        )
        self.assertEqual(
            self._body(two, "en_US"),
            "Please pay the 2 invoices %s."
            % ", ".join(two.line_ids.mapped("move_name")),
        )

    @freeze_time("2026-02-14")
    def test_sent_letter_keeps_its_text(self):
        self.german_one.email = False  # a letter by post
        letter = self._letters()[self.german_one]
        self.assertEqual(letter.channel, "post")
        letter.action_print_post_letters()
        self.assertEqual(letter.state, "done")
        archived = letter.pdf_attachment_id.raw
        self.assertIn(b"bei der Durchsicht unserer Buchhaltung", archived)
        self.reminder.with_context(lang="de_DE").letter_text = "<p>Ganz neuer Text.</p>"
        self.assertIn("Ganz neuer Text.", self._body(letter, "de_DE"))
        letter.invalidate_recordset()
        self.assertEqual(letter.pdf_attachment_id.raw, archived)
        self.assertNotIn(b"Ganz neuer Text", letter.pdf_attachment_id.raw)
        action = letter.action_download_document()
        self.assertIn("/web/content/%s" % letter.pdf_attachment_id.id, action["url"])
