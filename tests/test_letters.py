import io
import re
import subprocess

from freezegun import freeze_time
from lxml import html as lxml_html

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tools.pdf import PdfReader

from .common import DunningTestCommon

REPORT = "account_relationship_dunning.account_dunning_letter_report"
MM = 72 / 25.4  # PDF points per millimetre


def pdf_text(content):
    """Text of a PDF as extracted by poppler, whitespace normalised."""
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    )
    return " ".join(result.stdout.decode().replace("\xa0", " ").split())


def html_text(content):
    text = lxml_html.fromstring(content).text_content()
    return " ".join(text.replace("\xa0", " ").split())


def page_count(content):
    return len(PdfReader(io.BytesIO(content)).pages)


@tagged("post_install", "-at_install")
class TestDunningLetters(DunningTestCommon):
    """Letters rendered by wkhtmltopdf, PDF text extracted by poppler."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A German company: EUR (the EPC QR code is for EUR transfers only).
        cls._setup_german_company(
            phone="+49 30 1234567", email="accounting@example.com"
        )
        cls.company_bank = cls._setup_company_bank()
        # wkhtmltopdf fetches the report styles from report.url. While tests
        # run, the server in this process cannot answer (the test runner holds
        # the registry lock) and another local server may hang: point it to a
        # closed port, so the PDF is rendered at once without the web styles.
        cls.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")
        cls._setup_german_texts()
        cls.english = cls._create_customer("Smith Trading Ltd", lang="en_US")
        cls.english.user_id = cls.salesperson
        cls.german = cls._create_customer("Müller Maschinenbau GmbH", lang="de_DE")
        cls.inv_en_1 = cls._invoice(cls.english, 1500.0, "2026-01-02", "2026-02-01")
        cls.inv_en_2 = cls._invoice(cls.english, 500.0, "2026-01-05", "2026-02-04")
        cls.inv_de = cls._invoice(cls.german, 800.0, "2026-01-02", "2026-02-01")
        for partner in (cls.english, cls.german):
            cls._set_segment(partner, "new")

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _letters(self, on_date="2026-02-14"):
        letters = self._run(on_date).letter_ids
        self.assertTrue(letters, "the run prepared letters")
        return letters

    def _letter_of(self, letters, partner):
        letter = letters.filtered(lambda lt: lt.partner_id == partner)
        self.assertEqual(len(letter), 1)
        return letter

    def _render_pdf(self, letters):
        content, report_type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(REPORT, letters.ids)
        )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(content.startswith(b"%PDF"), "wkhtmltopdf made a PDF")
        return content

    def _render_html(self, letters):
        return html_text(
            self.env["ir.actions.report"]._render_qweb_html(REPORT, letters.ids)[0]
        )

    @staticmethod
    def _messages(record):
        """All chatter bodies of ``record`` as one string, spaces normalised."""
        text = " ".join(str(body) for body in record.message_ids.mapped("body"))
        return text.replace("&nbsp;", " ").replace("\xa0", " ")

    @staticmethod
    def _amount(letter, value):
        return letter._format_amount(value).replace("\xa0", " ")

    # ------------------------------------------------------------------
    # Content
    # ------------------------------------------------------------------
    def test_pdf_english_letter_content(self):
        with freeze_time("2026-02-14"):
            self._letter_of(self._letters(), self.english).action_mark_done()
        with freeze_time("2026-02-28"):
            letter = self._letter_of(self._letters("2026-02-28"), self.english)
            text = pdf_text(self._render_pdf(letter))
        # First letter of 2026-02-28, computed by hand (B2B: base rate 1.27 %
        # + 9 points = 10.27 %, from the day after the due date, letter day
        # included):
        #   1,500.00 due 02-01: 27 days: 1500 x 10.27 x 27 / 36500 = 11.40
        #     500.00 due 02-04: 24 days:  500 x 10.27 x 24 / 36500 =  3.38
        #   interest 14.78; flat compensation 2 x 40.00 = 80.00 (per
        #   invoice); the fee 2.50 (the reminder was sent) is credited
        #   against the compensation; 2,000 + 14.78 + 80 = 2,094.78;
        #   deadline 02-28 + 10 days = 10/03/2026.
        self.assertRecordValues(
            letter,
            [
                {
                    "amount_interest": 14.78,
                    "fee_amount": 2.5,
                    "fee_offset_amount": 2.5,
                    "amount_total_due": 2094.78,
                }
            ],
        )
        self.assertEqual(letter.line_ids.mapped("interest_amount"), [11.4, 3.38])
        for expected in (
            self.inv_en_1.name,
            self.inv_en_2.name,
            "First Dunning Letter",
            "Dear Sir or Madam,",
            "Customer No.",
            letter.name,
            "1,500.00 €",  # invoice amount
            "2,000.00 €",  # open principal
            "Statutory default interest from 02/02/2026 14.78 €",
            "Flat compensation under § 288 (5) BGB for invoices",
            "80.00 €",
            "Dunning fee credited against the flat compensation",
            # the fee belongs to the invoices that reached the level
            "Dunning fee (costs of this letter, %s, %s) 2.50 €"
            % (self.inv_en_1.name, self.inv_en_2.name),
            "Total due 2,094.78 €",
            # new level: deadline in 10 days; British dates in English letters
            "Payable by 10/03/2026",
            "the total amount of 2,094.78 € by 10/03/2026",  # placeholders
            "DE89 3704 0044 0532 0130 00",
            "COBADEFFXXX",
            "Sally Sales",
            "sally@example.com",
        ):
            self.assertIn(expected, text)
        self.assertNotIn("{total}", text)
        self.assertEqual(letter.state, "ready", "rendering does not send")

    def test_german_and_english_customers(self):
        with freeze_time("2026-02-14"):
            letters = self._letters()
        german = self._letter_of(letters, self.german)
        english = self._letter_of(letters, self.english)
        text = self._render_html(german)
        for expected in (
            "Zahlungserinnerung – Rechnung %s" % self.inv_de.name,
            "Sehr geehrte Damen und Herren,",
            "bei der Durchsicht unserer Buchhaltung haben wir festgestellt, dass "
            "die unten aufgeführte Rechnung noch nicht beglichen ist.",  # one invoice
            "den offenen Betrag von 800,00 € bis zum 21.02.2026 überweisen würden",
            "Zahlbar bis 21.02.2026",
            "Kundennummer",
            "Sollten Sie die Zahlung bereits veranlasst haben, betrachten Sie "
            "dieses Schreiben bitte als gegenstandslos.",
            "Mit freundlichen Grüßen",
        ):
            self.assertIn(expected, text)
        self.assertNotIn("Dear Sir or Madam", text)
        text = self._render_html(english)
        self.assertIn(
            "Payment Reminder – invoices %s, %s"
            % (self.inv_en_1.name, self.inv_en_2.name),
            text,
        )
        self.assertIn("Kind regards", text)
        self.assertIn(
            "we noticed that the invoices listed below have not been paid yet.",
            text,
            "two invoices: plural",
        )
        self.assertNotIn("Zahlungserinnerung", text)

    @freeze_time("2026-02-14")
    def test_final_notice_names_only_the_configured_step(self):
        letter = self._letter_of(self._letters(), self.german)
        final = letter.policy_id._get_sorted_levels()[-1]
        self.assertEqual(final.letter_next_step, "court")
        # the invoice reaches the final level with the letter
        # (sudo: levels are engine output, as the run would choose them)
        letter.sudo().level_id = final
        letter.line_ids.sudo().level_id = final
        text = self._render_html(letter)
        self.assertIn("Letzte Mahnung", text)
        self.assertIn("Mahnbescheid im gerichtlichen Mahnverfahren", text)
        self.assertNotIn("Inkasso", text)
        final.letter_next_step = "none"
        text = self._render_html(letter)
        self.assertNotIn("Mahnbescheid", text)
        self.assertIn("unberechtigt", text, "final text invites to dispute")

    @freeze_time("2026-02-14")
    def test_empty_level_text_uses_tone_default_and_offers(self):
        letter = self._letter_of(self._letters(), self.english)
        level = letter.level_id
        level.write(
            {"letter_text": False, "offer_payment_plan": True, "offer_mediation": False}
        )
        text = self._render_html(letter)
        self.assertIn("This is surely an oversight.", text, "friendly default text")
        self.assertIn("we will gladly agree on a payment plan", text)
        self.assertNotIn("neutral mediator", text)
        level.letter_text = "<p>Hello {customer}, pay {total} for {invoices}.</p>"
        text = self._render_html(letter)
        self.assertIn(
            "Hello Smith Trading Ltd, pay 2,000.00 € for %s, %s."
            % (self.inv_en_1.name, self.inv_en_2.name),
            text,
        )

    def test_claim_rows_and_interest_computation(self):
        with freeze_time("2026-02-14"):
            reminder = self._letter_of(self._letters(), self.english)
            reminder.action_mark_done()
        with freeze_time("2026-02-28"):
            letter = self._letter_of(self._letters("2026-02-28"), self.english)
        self.assertEqual(letter.level_id.name, "First Dunning Letter")
        self.assertTrue(letter.level_id.apply_interest)
        text = self._render_html(letter)
        # The interest rows, computed by hand: 10.27 % (1.27 + 9 points) from
        # the day after the due date to 2026-02-28 included:
        #   1,500.00, 27 days: 1500 x 10.27 x 27 / 36500 = 11.3954 -> 11.40
        #     500.00, 24 days:  500 x 10.27 x 24 / 36500 =  3.3764 ->  3.38
        self.assertEqual(letter.amount_interest, 14.78)
        for invoice, days, amount in (
            (self.inv_en_1, 27, 11.40),
            (self.inv_en_2, 24, 3.38),
        ):
            line = letter.line_ids.filtered(lambda ln, inv=invoice: ln.move_id == inv)
            self.assertRecordValues(
                line, [{"interest_amount": amount, "interest_points": 9.0}]
            )
            segments = letter._get_interest_breakdown()[line.id]
            self.assertEqual(
                [(seg["days"], seg["rate"], seg["amount"]) for seg in segments],
                [(days, 10.27, amount)],
            )
            self.assertIn(invoice.name, text)
            self.assertIn(self._amount(letter, amount), text)
        self.assertIn("Statutory default interest", text)
        # EUR 40 flat compensation per invoice (B2B, in default since the due
        # dates): 80.00 on one row; 2,000 + 14.78 + 80 = 2,094.78 (the fee of
        # 2.50 is credited against the compensation).
        self.assertIn(
            "Flat compensation under § 288 (5) BGB for invoices %s, %s 80.00 €"
            % (self.inv_en_1.name, self.inv_en_2.name),
            text,
        )
        self.assertIn("Total due 2,094.78 €", text)

    @freeze_time("2026-02-14")
    def test_epc_qr_code_with_company_iban(self):
        letter = self._letter_of(self._letters(), self.english)
        values = letter._get_letter_report_values()
        self.assertEqual(values["bank"], self.company_bank)
        self.assertIn(self.inv_en_1.name, values["payment_reference"])
        self.assertTrue(values["qr_code"].startswith("data:image/png;base64,"))
        # The EPC payload behind the image: IBAN, total, invoice numbers.
        payload = self.company_bank._get_qr_vals(
            "sct_qr", **letter._get_payment_qr_params(values["payment_reference"])
        )
        self.assertEqual(payload[:4], ["BCD", "002", "1", "SCT"])
        self.assertEqual(payload[5], self.company.name)
        self.assertEqual(payload[6], "DE89370400440532013000")
        self.assertEqual(payload[7], "EUR2000.0")
        self.assertEqual(
            payload[10], "%s %s" % (self.inv_en_1.name, self.inv_en_2.name)
        )
        self.assertIn("DE89 3704 0044 0532 0130 00", self._render_html(letter))
        not_iban = self.env["res.partner.bank"].create(
            {"acc_number": "123456789", "partner_id": self.company.partner_id.id}
        )
        self.assertIsNone(letter._get_payment_qr_code(not_iban, "ref"))
        self.assertIsNone(letter._get_payment_qr_code(not_iban.browse(), "ref"))

    # ------------------------------------------------------------------
    # E-mail
    # ------------------------------------------------------------------
    @freeze_time("2026-02-14")
    def test_send_email_queues_mail_with_pdf_and_logs(self):
        letter = self._letter_of(self._letters(), self.english)
        self.assertEqual(letter.channel, "email")
        letter.with_context(force_report_rendering=True).action_send_email()
        self.assertEqual(letter.state, "done")
        attachment = letter.pdf_attachment_id
        self.assertEqual(attachment.mimetype, "application/pdf")
        self.assertEqual(
            (attachment.res_model, attachment.res_id), (letter._name, letter.id)
        )
        self.assertIn(self.inv_en_1.name, pdf_text(attachment.raw))
        message = letter.message_ids.filtered(
            lambda msg: msg.message_type == "comment" and msg.partner_ids
        )
        self.assertEqual(message.partner_ids, self.english)
        self.assertEqual(message.attachment_ids, attachment)
        self.assertIn("Payment Reminder", message.subject)
        self.assertIn("This is surely an oversight.", message.body)
        mail = self.env["mail.mail"].search([("mail_message_id", "=", message.id)])
        self.assertEqual(mail.state, "outgoing", "queued, sent by the mail cron")
        self.assertEqual(mail.recipient_ids, self.english)
        self.assertEqual(mail.attachment_ids, attachment)
        for record in (self.english, self.inv_en_1, self.inv_en_2):
            self.assertIn(
                f"{letter.name}</a> (Payment Reminder) sent by e-mail",
                self._messages(record),
                f"sending is noted on {record.display_name}",
            )

    @freeze_time("2026-02-14")
    def test_email_german_customer_gets_german_mail(self):
        letter = self._letter_of(self._letters(), self.german)
        letter.with_context(force_report_rendering=True).action_send_email()
        message = letter.message_ids.filtered(lambda msg: msg.partner_ids)
        self.assertIn("Zahlungserinnerung", message.subject)
        self.assertIn("bei der Durchsicht unserer Buchhaltung", message.body)
        self.assertIn("Zahlungserinnerung", pdf_text(letter.pdf_attachment_id.raw))

    @freeze_time("2026-02-14")
    def test_customer_without_email_falls_back_to_post(self):
        letter = self._letter_of(self._letters(), self.english)
        self.english.email = False
        result = letter.with_context(force_report_rendering=True).action_send_email()
        self.assertEqual(letter.state, "ready", "nothing was sent")
        self.assertEqual(letter.channel, "post")
        self.assertIn("No valid e-mail address", letter.channel_note)
        self.assertFalse(letter.pdf_attachment_id)
        self.assertFalse(
            self.env["mail.mail"].search(
                [("model", "=", letter._name), ("res_id", "=", letter.id)]
            )
        )
        self.assertIn("switched to post", self._messages(letter))
        self.assertIn("switched to post", result["params"]["message"])
        self.assertTrue(result["params"]["sticky"])
        with self.assertRaises(UserError):
            letter.action_send_email()  # now a post letter

    # ------------------------------------------------------------------
    # Post: batch print, archive, reprint
    # ------------------------------------------------------------------
    def _post_letters(self):
        customers = self.english | self.german
        third = self._create_customer("Dupont SARL", lang="en_US")
        self._invoice(third, 300.0, "2026-01-02", "2026-02-01")
        self._set_segment(third, "new")
        customers |= third
        customers.email = False
        letters = self._letters()
        self.assertEqual(set(letters.mapped("channel")), {"post"})
        self.assertEqual(len(letters), 3)
        return letters

    @freeze_time("2026-02-14")
    def test_batch_print_one_pdf_with_all_letters(self):
        letters = self._post_letters()
        action = letters.with_context(
            force_report_rendering=True
        ).action_print_post_letters()
        self.assertEqual(set(letters.mapped("state")), {"done"})
        batch = self.env["ir.attachment"].browse(
            int(re.search(r"/web/content/(\d+)", action["url"]).group(1))
        )
        self.assertEqual(
            (batch.res_model, batch.res_id), ("account.dunning.run", letters.run_id.id)
        )
        archived = [letter.pdf_attachment_id.raw for letter in letters]
        self.assertTrue(all(doc.startswith(b"%PDF") for doc in archived))
        self.assertEqual(
            page_count(batch.raw), sum(page_count(doc) for doc in archived)
        )
        text = pdf_text(batch.raw)
        positions = [text.index(letter.name) for letter in letters]
        self.assertEqual(len(positions), 3, "every letter is in the batch")
        self.assertIn("Zahlungserinnerung", text, "German customer in German")
        self.assertIn("Dear Sir or Madam", text, "English customers in English")
        own = pdf_text(self._letter_of(letters, self.german).pdf_attachment_id.raw)
        self.assertIn(self.inv_de.name, own)
        self.assertNotIn(self.inv_en_1.name, own, "each archive holds one letter")
        self.assertIn("printed for dispatch by post", self._messages(self.inv_de))

    @freeze_time("2026-02-14")
    def test_reprint_returns_archived_bytes(self):
        letters = self._post_letters()
        letter = self._letter_of(letters, self.german)
        letter.with_context(force_report_rendering=True).action_print_post_letters()
        archived = letter.pdf_attachment_id.raw
        self.german.name = "Renamed GmbH"  # later changes do not alter the archive
        reprint = self._render_pdf(letter)
        self.assertEqual(reprint, archived)
        self.assertNotIn("Renamed", pdf_text(reprint))
        action = letter.action_download_document()
        self.assertIn("/web/content/%s" % letter.pdf_attachment_id.id, action["url"])
        # Reprint of a sent and an unsent letter together: both documents.
        other = self._letter_of(letters, self.english)
        both = self._render_pdf(letter | other)
        self.assertEqual(
            page_count(both), page_count(archived) + page_count(self._render_pdf(other))
        )

    @freeze_time("2026-02-14")
    def test_dunning_user_sends_and_prints(self):
        letters = self._letters()
        # sudo: the channel the run would choose (engine output).
        german = letters.filtered(lambda lt: lt.partner_id == self.german)
        german.sudo().channel = "post"
        user = new_test_user(
            self.env,
            login="dunning_clerk",
            email="clerk@example.com",
            groups="base.group_user,account_relationship_dunning.group_dunning_user",
            company_id=self.company.id,
        )
        self.assertFalse(
            user.has_group("account_relationship_dunning.group_dunning_manager")
        )
        as_user = letters.with_user(user).with_context(force_report_rendering=True)
        as_user.action_send_email()
        action = as_user.action_print_post_letters()
        self.assertEqual(set(letters.mapped("state")), {"done"})
        self.assertTrue(all(letters.mapped("pdf_attachment_id")))
        batch = self.env["ir.attachment"].browse(
            int(re.search(r"/web/content/(\d+)", action["url"]).group(1))
        )
        self.assertIn(self.inv_de.name, pdf_text(batch.with_user(user).raw))

    @freeze_time("2026-02-14")
    def test_mark_done_archives_document(self):
        letter = self._letter_of(self._letters(), self.english)
        letter.with_context(force_report_rendering=True).action_mark_done()
        self.assertEqual(letter.state, "done")
        self.assertEqual(letter.pdf_attachment_id.mimetype, "application/pdf")

    @freeze_time("2026-02-14")
    def test_preview_does_not_send(self):
        letter = self._letter_of(self._letters(), self.english)
        action = letter.action_preview()
        self.assertEqual(action["type"], "ir.actions.report")
        self.assertEqual(action["report_type"], "qweb-html")
        self.assertEqual(action["context"]["active_ids"], letter.ids)
        self.assertEqual(letter.state, "ready")
        self.assertFalse(letter.pdf_attachment_id)
        with self.assertRaises(UserError):
            letter.action_download_document()

    # ------------------------------------------------------------------
    # Refusals
    # ------------------------------------------------------------------
    @freeze_time("2026-02-14")
    def test_paid_in_meantime_is_not_sent(self):
        letter = self._letter_of(self._letters(), self.german)
        self._pay(self.inv_de, 800.0, "2026-02-15")
        letter.with_context(force_report_rendering=True).action_send_email()
        self.assertEqual(letter.state, "cancel")
        self.assertIn("paid in the meantime", self._messages(letter))
        self.assertIn(self.inv_de.name, self._messages(letter))
        self.assertFalse(letter.pdf_attachment_id)
        self.assertFalse(
            self.env["mail.mail"].search(
                [("res_id", "=", letter.id), ("model", "=", letter._name)]
            )
        )
        self.assertFalse(self.inv_de.dunning_level_id, "the invoice level is reverted")

    @freeze_time("2026-02-14")
    def test_partly_paid_letter_is_refused(self):
        letters = self._letters()
        letter = self._letter_of(letters, self.english)
        self._pay(self.inv_en_1, 400.0, "2026-02-15")
        result = letters.with_context(force_report_rendering=True).action_send_email()
        self.assertEqual(letter.state, "cancel")
        body = self._messages(letter)
        self.assertIn("open amounts changed", body)
        self.assertIn("1,500.00 € → 1,100.00 €", body)
        self.assertIn(letter.name, result["params"]["message"])
        other = self._letter_of(letters, self.german)
        self.assertEqual(other.state, "done", "the other letter was sent")
        # The next run prepares an up-to-date letter.
        new = self._letter_of(self._run("2026-02-14").letter_ids, self.english)
        self.assertEqual(new.amount_residual, 1600.0)

    @freeze_time("2026-02-14")
    def test_missing_address_blocks_printing(self):
        letters = self._post_letters()
        self.german.zip = False
        with self.assertRaises(UserError) as error:
            letters.with_context(
                force_report_rendering=True
            ).action_print_post_letters()
        message = str(error.exception)
        self.assertIn("Müller Maschinenbau GmbH", message)
        self.assertIn("Zip", message)
        self.assertIn("nothing was printed", message)
        self.assertEqual(set(letters.mapped("state")), {"ready"}, "nothing marked done")
        self.assertFalse(letters.pdf_attachment_id)

    # ------------------------------------------------------------------
    # DIN 5008
    # ------------------------------------------------------------------
    @freeze_time("2026-02-14")
    def test_din5008_layout_address_window(self):
        # The suite installs l10n_din5008 with the addon (tools/pytest.sh):
        # without it this test must fail, not pass unseen.
        self.assertEqual(
            self.env["ir.module.module"]._get("l10n_din5008").state, "installed"
        )
        self.company.write(
            {
                "external_report_layout_id": self.env.ref(
                    "l10n_din5008.external_layout_din5008"
                ).id,
                "paperformat_id": self.env.ref("l10n_din5008.paperformat_euro_din").id,
            }
        )
        letter = self._letter_of(self._letters(), self.german)
        content = self._render_pdf(letter)
        text = pdf_text(content)
        self.assertIn("Zahlungserinnerung", text)
        self.assertIn(self.inv_de.name, text)
        # Position of the recipient's street in the address window
        # (DIN 5008 form B: 85 x 45 mm, 20 mm from the left, 45 mm from the top).
        result = subprocess.run(
            ["pdftotext", "-bbox", "-f", "1", "-l", "1", "-", "-"],
            input=content,
            capture_output=True,
            check=True,
        )
        words = re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
            r"Hauptstraße</word>",
            result.stdout.decode(),
        )
        self.assertEqual(len(words), 1, "the recipient's street is printed once")
        x_min, y_min, x_max, y_max = (float(v) / MM for v in words[0])
        self.assertGreaterEqual(x_min, 20)
        self.assertLessEqual(x_max, 105)
        self.assertGreaterEqual(y_min, 45)
        self.assertLessEqual(y_max, 90)
