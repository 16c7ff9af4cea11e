import csv
import io

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools.pdf import PdfReader, PdfWriter

from odoo.addons.account_relationship_dunning.models.account_dunning_handover import (
    CSV_COLUMNS,
)

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestLegalHandover(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_german_company(
            name="Creditor Werke GmbH",
            street="Gläubigerweg 1",
            zip="20095",
            city="Hamburg",
        )
        cls.debtor = cls._create_customer(
            "Schuldner Handel", dunning_legal_form="GmbH & Co. KG"
        )
        cls._set_segment(cls.debtor, "new")
        cls.service_type = cls.env.ref(
            "account_relationship_dunning.claim_type_service"
        )
        category = cls.env["product.category"].create(
            {"name": "Maintenance", "dunning_claim_type_id": cls.service_type.id}
        )
        cls.service = cls.env["product.product"].create(
            {
                "name": "Maintenance visit",
                "categ_id": category.id,
                "type": "service",
                "taxes_id": [Command.clear()],
            }
        )
        cls.inv_goods = cls._invoice(cls.debtor, 1000.0, "2026-01-05", "2026-02-04")
        cls.inv_service = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.debtor.id,
                "invoice_date": "2026-01-10",
                "invoice_date_due": "2026-02-09",
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": cls.service.id,
                            "price_unit": 500.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        cls.inv_service.action_post()
        cls._pay(cls.inv_goods, 200.0, "2026-02-20")
        cls.invoices = cls.inv_goods + cls.inv_service
        cls.letter_1 = cls._send_final_letter(
            cls.debtor, cls.invoices, "2026-03-10", fee=2.5, compensation=40.0
        )
        cls.letter_2 = cls._send_final_letter(
            cls.debtor, cls.inv_service, "2026-03-20", fee=5.0
        )
        cls.Handover = cls.env["account.dunning.handover"]

    def _handover(self, invoices=None, **vals):
        return self.Handover.create(
            {
                "partner_id": self.debtor.id,
                "company_id": self.company.id,
                "channel": "court",
                "move_ids": [Command.set((invoices or self.invoices).ids)],
                **vals,
            }
        )

    def test_handover_csv_columns_and_values(self):
        handover = self._handover()
        with freeze_time("2026-04-01"):
            handover.action_hand_over()
        self.assertRecordValues(
            handover,
            [
                {
                    "state": "handed_over",
                    "user_id": self.env.uid,
                    "interest_points": 9.0,
                    "amount_principal": 1300.0,
                    "amount_fees": 7.5,
                    "amount_compensation": 80.0,
                    "amount_total": 1387.5,
                }
            ],
        )
        self.assertEqual(str(handover.date_filed), "2026-04-01")
        self.assertEqual(handover.letter_ids, self.letter_1 + self.letter_2)
        self.assertEqual(
            sorted(
                (c.letter_id.name, c.move_id.name, c.kind, c.amount)
                for c in handover.cost_ids
            ),
            sorted(
                [
                    (self.letter_1.name, self.inv_goods.name, "fee", 2.5),
                    (self.letter_1.name, self.inv_goods.name, "compensation", 40.0),
                    (self.letter_1.name, self.inv_service.name, "compensation", 40.0),
                    (self.letter_2.name, self.inv_service.name, "fee", 5.0),
                ]
            ),
        )

        content = handover._get_csv_content()
        reader = csv.reader(io.StringIO(content), delimiter=";")
        header, *rows = list(reader)
        self.assertEqual(
            header,
            [
                "creditor_name",
                "creditor_address",
                "debtor_name",
                "debtor_address",
                "debtor_legal_form",
                "claim_type_code",
                "claim_type",
                "invoice_number",
                "invoice_date",
                "due_date",
                "open_principal",
                "interest_points",
                "interest_from",
                "fees",
                "compensation",
                "currency",
            ],
        )
        self.assertEqual(header, CSV_COLUMNS)
        parties = [
            "Creditor Werke GmbH",
            "Gläubigerweg 1, 20095 Hamburg, Germany",
            "Schuldner Handel",
            "Hauptstraße 1, 10115 Berlin, Germany",
            "GmbH & Co. KG",
        ]
        self.assertEqual(
            rows,
            [
                parties
                + [
                    "11",
                    "Purchase contract",
                    self.inv_goods.name,
                    "2026-01-05",
                    "2026-02-04",
                    "800.00",
                    "9.00",
                    "2026-02-05",
                    "2.50",
                    "40.00",
                    "EUR",
                ],
                parties
                + [
                    "5",
                    "Service contract",
                    self.inv_service.name,
                    "2026-01-10",
                    "2026-02-09",
                    "500.00",
                    "9.00",
                    "2026-02-10",
                    "5.00",
                    "40.00",
                    "EUR",
                ],
            ],
        )
        action = handover.action_export_csv()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[3].split("?")[0])
        )
        self.assertEqual(attachment.raw.decode(), content)
        self.assertEqual(attachment.res_id, handover.id)

    def test_consumer_interest_and_policy_claim_type(self):
        consumer = self._create_customer("Erika Muster", is_company=False)
        self._set_segment(consumer, "new")
        invoice = self._invoice(consumer, 300.0, "2026-01-01", "2026-01-31")
        self._send_final_letter(consumer, invoice, "2026-03-01")
        self._final_level(consumer).policy_id.claim_type_id = self.env.ref(
            "account_relationship_dunning.claim_type_work"
        )
        handover = self.Handover.create(
            {
                "partner_id": consumer.id,
                "channel": "court",
                "move_ids": [Command.set(invoice.ids)],
            }
        )
        handover.action_hand_over()
        row = handover._get_csv_rows()[0]
        self.assertEqual(row["debtor_legal_form"], "natural person")
        self.assertEqual(row["interest_points"], "5.00")
        # A consumer is in default once the first letter was received (the
        # shipped consumer policies): letter of 1 Mar + 3 days delivery =
        # 4 Mar, interest from 5 Mar (not from the day after the due date).
        self.assertEqual(row["interest_from"], "2026-03-05")
        self.assertEqual(
            (row["claim_type_code"], row["claim_type"]), ("8", "Contract for work")
        )
        self.assertEqual((row["fees"], row["compensation"]), ("0.00", "0.00"))

    def test_non_manager_cannot_hand_over(self):
        clerk = new_test_user(
            self.env,
            login="dunning_clerk",
            groups="account_relationship_dunning.group_dunning_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.assertFalse(
            clerk.has_group("account_relationship_dunning.group_dunning_manager")
        )
        handover = self._handover().with_user(clerk)
        with self.assertRaisesRolledBack(AccessError, "Only a dunning manager"):
            handover.action_hand_over()
        handover.invalidate_recordset()
        self.assertEqual(handover.state, "draft")
        self.assertFalse(handover.sudo().line_ids)

    def test_disputed_claim_cannot_be_handed_over(self):
        dispute = self._dispute(self.debtor, self.inv_service, amounts=[100.0])
        handover = self._handover()
        with self.assertRaisesRolledBack(
            UserError, f"{self.inv_service.name} is disputed \\({dispute.name}\\)"
        ):
            handover.action_hand_over()
        self.assertEqual(handover.state, "draft")
        self.assertFalse(handover.line_ids)
        dispute.action_clarify()
        dispute.action_fail()  # a failed dispute opens the legal way
        handover.action_hand_over()
        self.assertEqual(handover.state, "handed_over")

    def test_bad_handover_input(self):
        fresh = self._invoice(self.debtor, 100.0, "2026-03-01", "2026-03-31")
        handover = self._handover(invoices=fresh)
        with self.assertRaisesRolledBack(
            UserError, "not reached the final dunning level"
        ):
            handover.action_hand_over()
        handover = self._handover(channel="agency")
        with self.assertRaisesRolledBack(UserError, "Choose the collection agency"):
            handover.action_hand_over()
        self.assertEqual(handover.state, "draft")
        handover.agency_id = self.env["res.partner"].create({"name": "Inkasso AG"})
        handover.action_hand_over()
        self.assertFalse(handover.date_filed, "no court application for an agency")
        self.assertFalse(handover.suspension_ids)
        with self.assertRaisesRolledBack(UserError, "already handed over in"):
            self._handover().action_hand_over()

    def test_engine_skips_handed_over_invoices_until_outcome(self):
        handover = self._handover()
        with freeze_time("2026-04-01"):
            handover.action_hand_over()
        run = self._run("2026-04-02")
        for invoice in self.invoices:
            decision = self._decision(run, invoice)
            self.assertEqual((decision.decision, decision.reason), ("skip", "legal"))
            self.assertIn(handover.name, decision.note)

        with self.assertRaisesRolledBack(UserError, "choose the outcome"):
            handover.action_close()
        self.assertEqual(handover.state, "handed_over")
        handover.outcome = "title_obtained"
        with freeze_time("2026-06-30"):
            handover.action_close()
        self.assertRecordValues(
            handover, [{"state": "closed", "outcome": "title_obtained"}]
        )
        self.assertEqual(str(handover.suspension_ids.date_end), "2026-06-30")
        for record in (self.debtor, self.inv_goods):
            bodies = record.message_ids.mapped("body")
            self.assertTrue(any("handed over to Court dunning" in b for b in bodies))
            self.assertTrue(
                any("closed: Enforceable title obtained" in b for b in bodies)
            )
        run = self._run("2026-07-01")
        decision = self._decision(run, self.inv_goods)
        self.assertEqual(
            (decision.decision, decision.reason), ("skip", "no_escalation")
        )

    def test_pdf_dossier_lists_letters_and_appends_their_pdfs(self):
        handover = self._handover()
        handover.action_hand_over()
        html = str(
            self.env["ir.actions.report"]._render_qweb_html(
                "account_relationship_dunning.account_dunning_handover_report",
                handover.ids,
            )[0]
        )
        for text in (
            self.inv_goods.name,
            self.letter_1.name,
            self.letter_2.name,
            "Schuldner Handel",
            "GmbH &amp; Co. KG",
            "points over the base rate from",
        ):
            self.assertIn(text, html)

        def blank_pdf(pages):
            writer = PdfWriter()
            for _page in range(pages):
                writer.add_blank_page(595, 842)
            buffer = io.BytesIO()
            writer.write(buffer)
            return buffer.getvalue()

        self.assertEqual(handover._get_letter_pdfs(), [], "nothing archived yet")
        letter_pdf = blank_pdf(1)
        self.env["ir.attachment"].create(
            {
                "name": "letter.pdf",
                "raw": letter_pdf,
                "mimetype": "application/pdf",
                "res_model": "account.dunning.letter",
                "res_id": self.letter_1.id,
            }
        )
        self.assertEqual(handover._get_letter_pdfs(), [letter_pdf])
        # (wkhtmltopdf does not run in tests: a 2-page PDF stands for the
        # rendered dossier)
        merged = handover._append_letter_pdfs(blank_pdf(2))
        self.assertEqual(len(PdfReader(io.BytesIO(merged)).pages), 3)
