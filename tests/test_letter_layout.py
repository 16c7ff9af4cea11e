import io
import re
import subprocess
from datetime import timedelta

from lxml import etree
from lxml import html as lxml_html

from odoo import fields
from odoo.tests import Form, HttpCase, tagged
from odoo.tools.pdf import PdfFileReader

from .common import DunningTestCommon

REPORT = "account_relationship_dunning.account_dunning_letter_report"
MM = 72 / 25.4  # PDF points per millimetre


def html_text(content):
    text = lxml_html.fromstring(content).text_content()
    return " ".join(text.replace("\xa0", " ").split())


class LetterLayoutCommon(DunningTestCommon):
    """A complete German company (letterhead, § 35a GmbHG footer data, bank)
    and German customers; invoices due 13 days before today."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_german_company(
            name="Muster Handel GmbH",
            phone="+49 30 1234567",
            email="buchhaltung@muster-handel.example",
            vat="DE123456788",
            company_registry="HRB 123456 B",
            dunning_legal_form="GmbH",
            dunning_register_court="Amtsgericht Berlin-Charlottenburg",
            dunning_managing_directors="Erika Mustermann, Max Mustermann",
        )
        cls._setup_company_bank()
        cls._setup_german_texts()
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.german = cls._create_customer(
            "Müller Maschinenbau GmbH", lang="de_DE", street="Industriestraße 7"
        )
        cls._set_segment(cls.german, "new")

    @classmethod
    def _overdue_invoice(cls, partner, amount, days=13):
        due = cls.today - timedelta(days=days)
        return cls._invoice(partner, amount, due - timedelta(days=30), due)

    def _letter(self, partner):
        letters = self._run(self.today).letter_ids
        letter = letters.filtered(lambda lt: lt.partner_id == partner)
        self.assertEqual(len(letter), 1)
        return letter

    def _render_html(self, letter):
        return html_text(
            self.env["ir.actions.report"]._render_qweb_html(REPORT, letter.ids)[0]
        )


@tagged("post_install", "-at_install")
class TestLetterWording(LetterLayoutCommon):
    """Salutation, singular and plural, the reviewed texts, the legal footer,
    the company warning and the level form with its preview."""

    def test_salutation_by_title(self):
        Letter = self.env["account.dunning.letter"]
        mister = self.env.ref("base.res_partner_title_mister")
        madam = self.env.ref("base.res_partner_title_madam")
        doctor = self.env.ref("base.res_partner_title_doctor")
        cases = [
            ({"name": "Max Mustermann", "title": mister.id}, "Mr Mustermann"),
            ({"name": "Erika Mustermann", "title": madam.id}, "Ms Mustermann"),
            ({"name": "Hans von Weizsäcker", "title": mister.id}, "Mr von Weizsäcker"),
            ({"name": "Eva Schulz", "title": False}, None),
            ({"name": "Alex Berger", "title": doctor.id}, None),
        ]
        german = Letter.with_context(lang="de_DE")
        english = Letter.with_context(lang="en_US")
        for vals, expected in cases:
            partner = self.env["res.partner"].create(vals)
            de = german._get_salutation_for(partner)
            en = english._get_salutation_for(partner)
            if expected is None:
                self.assertEqual(de, "Sehr geehrte Damen und Herren,", vals)
                self.assertEqual(en, "Dear Sir or Madam,", vals)
                continue
            self.assertEqual(en, f"Dear {expected},")
            name = expected.split(" ", 1)[1]
            self.assertEqual(
                de,
                f"Sehr geehrter Herr {name},"
                if expected.startswith("Mr ")
                else f"Sehr geehrte Frau {name},",
            )
        company = self._create_customer("Beispiel AG", title=mister.id)
        self.assertEqual(
            german._get_salutation_for(company), "Sehr geehrte Damen und Herren,"
        )

    def test_german_letter_singular_plural_and_person(self):
        person = self._create_customer(
            "Max Mustermann",
            is_company=False,
            lang="de_DE",
            title=self.env.ref("base.res_partner_title_mister").id,
        )
        self._set_segment(person, "new")
        one = self._overdue_invoice(person, 100.0)
        first = self._overdue_invoice(self.german, 300.0)
        second = self._overdue_invoice(self.german, 200.0, days=12)
        letters = self._run(self.today).letter_ids
        text = self._render_html(letters.filtered(lambda lt: lt.partner_id == person))
        self.assertIn(
            "Sehr geehrter Herr Mustermann, bei der Durchsicht unserer Buchhaltung "
            "haben wir festgestellt, dass die unten aufgeführte Rechnung noch nicht "
            "beglichen ist.",
            text,
        )
        self.assertIn("Bei Fragen zu dieser Rechnung", text)
        self.assertIn("Zahlungserinnerung – Rechnung %s" % one.name, text)
        letter = letters.filtered(lambda lt: lt.partner_id == self.german)
        text = self._render_html(letter)
        self.assertIn(
            "Sehr geehrte Damen und Herren, bei der Durchsicht unserer Buchhaltung "
            "haben wir festgestellt, dass die unten aufgeführten Rechnungen noch "
            "nicht beglichen sind.",
            text,
        )
        self.assertIn("Bei Fragen zu diesen Rechnungen", text)
        self.assertIn(
            "Zahlungserinnerung – Rechnungen %s, %s" % (first.name, second.name), text
        )
        # 300 + 200 = 500.00 EUR, deadline 7 days after the letter date (new level)
        deadline = (self.today + timedelta(days=7)).strftime("%d.%m.%Y")
        self.assertIn(
            "Wir wären Ihnen dankbar, wenn Sie den offenen Betrag von 500,00 € bis "
            "zum %s überweisen würden." % deadline,
            text,
        )
        self.assertIn("Zahlbar bis %s" % deadline, text)

    def test_shipped_texts_reviewed(self):
        """Every shipped level text in German and English: the reviewed
        wording, no "letzte" and "letztmalig" in one sentence, placeholders
        and number choices resolved for one and for several invoices."""
        levels = self.env["account.dunning.level"].search(
            [("company_id", "=", self.company.id)]
        )
        self.assertTrue(levels)
        for level in levels:
            for lang in ("de_DE", "en_US"):
                lvl = level.with_context(lang=lang)
                for count in (1, 2):
                    sample = lvl._get_sample_letter(count=count)
                    source = lvl._prepare_letter_text_source(
                        lvl._get_letter_text(), count
                    )
                    body = html_text(
                        "<div>%s</div>"
                        % lvl._render_letter_source(source, sample)[sample.id]
                    )
                    self.assertTrue(body, level.display_name)
                    self.assertNotRegex(body, r"[{}|]", "all placeholders resolved")
                    for sentence in re.split(r"(?<=[.!?])\s", body):
                        self.assertFalse(
                            "letzte" in sentence.lower() and "letztmalig" in sentence,
                            sentence,
                        )
                    if lang == "de_DE":
                        self.assertNotIn("Konten", body)
                        self.assertNotIn("Neue Zahlungsfrist", body)
                        self.assertEqual(
                            "Rechnungen" in body, count == 2, (level.name, body)
                        )
                    else:
                        self.assertEqual(
                            "invoices" in body, count == 2, (level.name, body)
                        )

    def test_next_step_names_the_final_reminder(self):
        self._overdue_invoice(self.german, 300.0)
        letter = self._letter(self.german).with_context(lang="de_DE")
        levels = letter.policy_id._get_sorted_levels()
        second, final = levels[-2], levels[-1]
        second.letter_next_step = "next_level"
        # sudo: the test fakes the engine's output (the letter's level and
        # its lines' levels are written by the dunning run only).
        letter.sudo().level_id = second
        letter.line_ids.sudo().level_id = second
        deadline = letter.payment_deadline.strftime("%d.%m.%Y")
        self.assertEqual(
            letter._get_next_step_sentence(),
            "Sollte Ihre Zahlung bis zum %s nicht bei uns eingegangen sein, erhalten "
            "Sie von uns eine letzte Mahnung." % deadline,
        )
        self.assertTrue(final.is_final)
        if len(levels) > 2:
            levels[-3].letter_next_step = "next_level"
            # sudo: faked engine output, as above.
            letter.sudo().level_id = levels[-3]
            letter.line_ids.sudo().level_id = levels[-3]
            self.assertIn(
                "erhalten Sie von uns eine weitere Mahnung",
                letter._get_next_step_sentence(),
            )

    def test_legal_footer_german_labels(self):
        self._overdue_invoice(self.german, 300.0)
        letter = self._letter(self.german)
        text = self._render_html(letter)
        for expected in (
            "Sitz der Gesellschaft: Berlin",
            "Registergericht: Amtsgericht Berlin-Charlottenburg",
            "Registernummer: HRB 123456 B",
            "Geschäftsführung: Erika Mustermann, Max Mustermann",
            "USt-IdNr.: DE123456788",
            "IBAN: DE89 3704 0044 0532 0130 00",
            "BIC: COBADEFFXXX",
            "Telefon: +49 30 1234567",
            "Muster Handel GmbH · Friedrichstraße 10 · 10117 Berlin",  # sender line
        ):
            self.assertIn(expected, text)
        self.assertNotIn("Rechtsform", text, "the name already ends with GmbH")
        self.assertNotIn("VAT", text)
        self.assertNotIn("HRB Nr", text)
        self.assertFalse(letter.company_letter_warning)

    def test_letter_warns_when_company_lacks_legal_values(self):
        self._overdue_invoice(self.german, 300.0)
        letter = self._letter(self.german)
        self.assertFalse(letter.company_letter_warning)
        self.company.write({"dunning_register_court": False, "company_registry": ""})
        letter.invalidate_recordset(["company_letter_warning"])
        warning = letter.with_context(lang="en_US").company_letter_warning
        self.assertIn("Missing: Register Court, Company ID.", warning)
        self.assertIn("§ 35a GmbHG", warning)
        arch = letter.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="company_letter_warning"', arch)

    def test_level_form_from_policy_with_preview(self):
        policy = self._level("new", "Payment Reminder").policy_id
        arch = etree.fromstring(
            policy.get_views([(False, "form")])["views"]["form"]["arch"]
        )
        level_list = arch.xpath("//field[@name='level_ids']/list")[0]
        self.assertFalse(
            level_list.get("editable"), "a click on a level opens the level form"
        )
        invoice = self._overdue_invoice(self.german, 300.0)
        level = policy._get_sorted_levels()[0]
        user = self._dunning_user(manager=True)
        with Form(level.with_user(user)) as form:
            form.letter_text = (
                "<p>Hello {customer}, please pay {total} for {the invoice|the "
                "invoices} {invoices} by {deadline}.</p>"
            )
            form.preview_partner_id = self.german
            preview = html_text(form.letter_preview)
        deadline = (self.today + timedelta(days=level.payment_deadline_days)).strftime(
            "%d.%m.%Y"
        )
        # German customer: German salutation and amount format; the customer's
        # open overdue invoice fills the placeholders (300.00 EUR).
        self.assertTrue(preview.startswith("Sehr geehrte Damen und Herren,"))
        self.assertTrue(
            preview.endswith(
                "Hello Müller Maschinenbau GmbH, please pay 300,00 € for the invoice "
                "%s by %s." % (invoice.name, deadline)
            ),
            preview,
        )
        self.assertIn("{the invoice|the invoices}", level.letter_text)


@tagged("post_install", "-at_install")
class TestLetterPdf(LetterLayoutCommon, HttpCase):
    """Letters rendered by the patched-Qt wkhtmltopdf with the report styles
    served by the test server; PDF text and word positions read by poppler."""

    def _render_pdf(self, letters):
        content, report_type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(REPORT, letters.ids)
        )
        self.assertEqual(report_type, "pdf")
        return content

    @staticmethod
    def _pages_words(content):
        """Per page, the words with their boxes in millimetres."""
        result = subprocess.run(
            ["pdftotext", "-bbox", "-", "-"],
            input=content,
            capture_output=True,
            check=True,
        )
        pages = []
        for page in re.findall(r"<page .*?</page>", result.stdout.decode(), re.S):
            pages.append(
                [
                    (
                        lxml_html.fromstring(word).text_content(),
                        *(float(value) / MM for value in box),
                    )
                    for *box, word in re.findall(
                        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                        r'yMax="([\d.]+)">(.*?)</word>',
                        page,
                    )
                ]
            )
        return pages

    def test_pdf_text_layer_footer_page_numbers_and_din5008(self):
        invoices = [
            self._overdue_invoice(self.german, 100.0 + index, days=13 + index)
            for index in range(14)
        ]
        letter = self._letter(self.german)
        content = self._render_pdf(letter)
        pages = self._pages_words(content)
        self.assertGreaterEqual(len(pages), 2, "14 invoices need a second page")
        # words of all pages; a word broken at its hyphen joined again
        text = " ".join(word for page in pages for word, *_box in page)
        text = text.replace("- ", "-")
        # A text layer with the letter, the legal footer and page numbers.
        for expected in (
            "Zahlungserinnerung",
            invoices[0].name,
            invoices[-1].name,
            "Registergericht: Amtsgericht Berlin-Charlottenburg",
            "Geschäftsführung: Erika Mustermann, Max Mustermann",
            "USt-IdNr.: DE123456788",
            "Seite 1 von %s" % len(pages),
            "Seite %s von %s" % (len(pages), len(pages)),
        ):
            self.assertIn(expected, text)
        self.assertLess(
            len(content) / len(pages), 150_000, "text, not page images: small pages"
        )
        first = pages[0]

        def box(page, word):
            found = [w for w in page if w[0] == word]
            self.assertEqual(len(found), 1, word)
            return found[0][1:]

        # DIN 5008 form B: recipient in the address zone 20-105 mm from the
        # left, 62.7-90 mm from the top; the sender line above it (45-62.7 mm).
        for word in ("Müller", "Industriestraße", "10115"):
            x_min, y_min, x_max, y_max = box(first, word)
            self.assertGreaterEqual(x_min, 20, word)
            self.assertLessEqual(x_max, 105, word)
            self.assertGreaterEqual(y_min, 62.7, word)
            self.assertLessEqual(y_max, 90, word)
        sender = [w for w in first if w[0] == "Friedrichstraße"]
        self.assertTrue(any(45 <= w[2] and w[4] <= 62.7 for w in sender))
        # Subject below the address field: the topmost "Zahlungserinnerung"
        # (the level column of the invoice table repeats the level's name for
        # every invoice that reached it).
        subjects = sorted((w[2], w[1]) for w in first if w[0] == "Zahlungserinnerung")
        self.assertTrue(subjects)
        y_min, x_min = subjects[0]
        self.assertGreaterEqual(y_min, 90)
        self.assertGreaterEqual(x_min, 24)
        # The closing lines never stand alone: the page holding them also
        # holds the payment details.
        closing = [
            page for page in pages if any(word == "Grüßen" for word, *_b in page)
        ]
        self.assertEqual(len(closing), 1)
        self.assertIn("Zahlbar", [word for word, *_b in closing[0]])

    def test_batch_rendered_and_split_per_letter(self):
        others = [
            self._create_customer(f"Kunde {index} GmbH", lang="de_DE")
            for index in range(3)
        ]
        invoices = {}
        for partner in others:
            self._set_segment(partner, "new")
            invoices[partner] = self._overdue_invoice(partner, 250.0)
        letters = self._run(self.today).letter_ids.filtered(
            lambda lt: lt.partner_id in others
        )
        self.assertEqual(len(letters), 3)
        documents = letters.with_context(
            force_report_rendering=True
        )._render_letter_documents()
        self.assertEqual(set(documents), set(letters.ids))
        for letter in letters:
            content = documents[letter.id]
            self.assertTrue(content.startswith(b"%PDF"))
            reader = PdfFileReader(io.BytesIO(content))
            text = " ".join(
                subprocess.run(
                    ["pdftotext", "-", "-"],
                    input=content,
                    capture_output=True,
                    check=True,
                )
                .stdout.decode()
                .split()
            )
            self.assertIn(invoices[letter.partner_id].name, text)
            self.assertIn(letter.partner_id.name, text)
            for other in letters - letter:
                self.assertNotIn(other.partner_id.name, text, "one letter per file")
            self.assertIn("Seite 1 von %s" % reader.getNumPages(), text)


@tagged("post_install", "-at_install")
class TestLetterRenderPipeline(LetterLayoutCommon):
    """Many letters: HTML of one batch rendered while wkhtmltopdf converts the
    previous ones, every batch split per letter. The report styles are left
    out (report.url at a closed port): this test runs without HTTP server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")

    def test_print_in_batches_archives_one_pdf_per_letter(self):
        partners = self.env["res.partner"]
        invoices = {}
        for index in range(5):
            partner = self._create_customer(
                f"Pipeline Kunde {index} GmbH", lang="de_DE", email=False
            )
            self._set_segment(partner, "new")
            invoices[partner] = self._overdue_invoice(partner, 100.0 + index)
            partners |= partner
        letters = self._run(self.today).letter_ids.filtered(
            lambda lt: lt.partner_id in partners
        )
        self.assertEqual(len(letters), 5)
        self.assertEqual(set(letters.mapped("channel")), {"post"})
        # 5 letters in batches of 2: three wkhtmltopdf calls
        letters = letters.with_context(
            force_report_rendering=True, dunning_letter_batch_size=2
        )
        self.assertTrue(letters._use_render_pipeline())
        action = letters.action_print_post_letters()
        self.assertEqual(set(letters.mapped("state")), {"done"})
        batch = self.env["ir.attachment"].browse(
            int(re.search(r"/web/content/(\d+)", action["url"]).group(1))
        )
        batch_pages = 0
        for letter in letters:
            content = letter.pdf_attachment_id.raw
            self.assertTrue(content.startswith(b"%PDF"))
            text = " ".join(
                subprocess.run(
                    ["pdftotext", "-", "-"],
                    input=content,
                    capture_output=True,
                    check=True,
                )
                .stdout.decode()
                .split()
            )
            self.assertIn(invoices[letter.partner_id].name, text)
            for other in letters - letter:
                self.assertNotIn(other.partner_id.name, text, "one letter per file")
            pages = PdfFileReader(io.BytesIO(content)).getNumPages()
            self.assertIn("Seite 1 von %s" % pages, text)
            batch_pages += pages
        self.assertEqual(
            PdfFileReader(io.BytesIO(batch.raw)).getNumPages(), batch_pages
        )
