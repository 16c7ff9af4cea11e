from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestReviewBeforeSending(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.dunning_review_before_sending = True
        cls.customer = cls._create_customer("Review GmbH")
        cls.invoice_contact = cls.env["res.partner"].create(
            {
                "name": "Accounts Payable",
                "type": "invoice",
                "parent_id": cls.customer.id,
                "email": "ap@review.example.com",
            }
        )
        cls._set_segment(cls.customer, "new")
        cls.inv_a = cls._invoice(cls.customer, 1000.0, "2026-01-01", "2026-01-31")
        cls.inv_b = cls._invoice(cls.customer, 500.0, "2026-01-05", "2026-02-04")

    def test_review_remove_invoice_and_next_run_skips_it(self):
        with freeze_time("2026-02-14"):
            letter = self._run("2026-02-14").letter_ids
            # Review before sending: the new letter waits in draft.
            self.assertEqual(letter.state, "draft")
            self.assertEqual(letter.amount_residual, 1500.0)
            reminder = letter.level_id
            self.assertEqual(self.inv_b.dunning_level_id, reminder)
            action = letter.action_open_remove_invoice()
            form = Form(self.env[action["res_model"]].with_context(**action["context"]))
            form.line_ids.add(
                letter.line_ids.filtered(lambda line: line.move_id == self.inv_b)
            )
            form.reason = "Paid yesterday, per phone"
            form.save().action_remove()
            # Only invoice A (1000) remains; B got its previous level back.
            self.assertEqual(letter.line_ids.move_id, self.inv_a)
            self.assertEqual(letter.amount_residual, 1000.0)
            self.assertFalse(self.inv_b.dunning_level_id)
            self.assertTrue(
                letter.message_ids.filtered(
                    lambda m: "Paid yesterday, per phone" in (m.body or "")
                )
            )
            letter.action_review_done()
            self.assertEqual(letter.state, "ready")
        with freeze_time("2026-03-20"):
            run = self._run("2026-03-20")
            decision = run.line_ids.filtered(lambda line: line.move_id == self.inv_b)
            self.assertRecordValues(
                decision, [{"reason": "review", "outcome": "review"}]
            )
            self.assertIn("Paid yesterday, per phone", decision.note)
        # Once it changes (a part payment), it is dunned again.
        self._pay(self.inv_b, 100.0, "2026-03-21")
        with freeze_time("2026-03-23"):
            run = self._run("2026-03-23")
            decision = run.line_ids.filtered(lambda line: line.move_id == self.inv_b)
            self.assertNotEqual(decision.reason, "review")

    def test_remove_needs_reason_and_draft(self):
        with freeze_time("2026-02-14"):
            letter = self._run("2026-02-14").letter_ids
            with self.assertRaises(UserError):
                letter._remove_lines(letter.line_ids[:1], " ")
            letter.action_review_done()
            with self.assertRaises(UserError):
                letter._remove_lines(letter.line_ids[:1], "Too late")

    def test_composer_edits_mail_copies_invoice_contact_and_marks_sent(self):
        self.company.dunning_attach_statement = True
        with freeze_time("2026-02-14"):
            letter = self._run("2026-02-14").letter_ids
            letter.action_review_done()
            action = letter.action_send_composer()
            composer_form = Form(
                self.env[action["res_model"]].with_context(**action["context"])
            )
            self.assertIn(self.invoice_contact, composer_form.partner_ids)
            composer_form.body = "<p>Dear customer, a kind word before the facts.</p>"
            composer = composer_form.save()
            self.assertEqual(len(composer.attachment_ids), 1, "the statement")
            composer.action_send_mail()
            self.assertEqual(letter.state, "done")
            self.assertTrue(letter.pdf_attachment_id)
            message = letter.message_ids.filtered(
                lambda m: "a kind word before the facts" in (m.body or "")
            )
            self.assertEqual(len(message), 1)
            self.assertIn(letter.pdf_attachment_id, message.attachment_ids)
            self.assertEqual(len(message.attachment_ids), 2)
            self.assertIn(self.invoice_contact, message.partner_ids)
            self.assertIn(self.customer, message.partner_ids)

    def test_automatic_email_copies_invoice_contact(self):
        self.company.dunning_review_before_sending = False
        with freeze_time("2026-02-14"):
            letter = self._run("2026-02-14").letter_ids
            letter.action_send_email()
            message = letter.message_ids.filtered(lambda m: m.attachment_ids)
            self.assertEqual(message.partner_ids, self.customer | self.invoice_contact)


@tagged("post_install", "-at_install")
class TestManualLevel(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._create_customer("Level GmbH")
        cls._set_segment(cls.customer, "new")
        cls.invoice = cls._invoice(cls.customer, 1000.0, "2026-01-01", "2026-01-31")

    def _change(self, user=None, **vals):
        move = self.invoice.with_user(user) if user else self.invoice
        action = move.action_dunning_change_level()
        form = Form(
            self.env[action["res_model"]]
            .with_user(user or self.env.user)
            .with_context(**action["context"])
        )
        for key, value in vals.items():
            setattr(form, key, value)
        return form.save().action_apply()

    @freeze_time("2026-02-14")
    def test_raise_lower_hold_logged(self):
        reminder = self._level("new", "Payment Reminder")
        levels = reminder.policy_id._get_sorted_levels()
        second = levels[1]
        self._change(mode="raise", level_id=second, reason="Customer ignores reminders")
        self.assertEqual(self.invoice.dunning_level_id, second)
        self._change(mode="lower", level_id=reminder, reason="Goodwill")
        self.assertEqual(self.invoice.dunning_level_id, reminder)
        with self.assertRaises(UserError):
            self._change(mode="raise", level_id=reminder, reason="Same level")
        self._change(mode="hold", hold_until="2026-02-28", reason="Waiting for PO")
        self.assertEqual(str(self.invoice.dunning_blocked_until), "2026-02-28")
        bodies = " ".join(self.invoice.message_ids.mapped("body"))
        for text in ("Customer ignores reminders", "Goodwill", "Waiting for PO"):
            self.assertIn(text, bodies)
        run = self._run("2026-02-14")
        self.assertEqual(run.line_ids.reason, "blocked")

    @freeze_time("2026-02-14")
    def test_raise_needs_manager_hold_needs_user(self):
        user = self._dunning_user()
        second = self._level("new", "Payment Reminder").policy_id._get_sorted_levels()[
            1
        ]
        with self.assertRaises(UserError):
            self._change(user=user, mode="raise", level_id=second, reason="x")
        self.assertFalse(self.invoice.dunning_level_id)
        self._change(user=user, mode="hold", hold_until="2026-02-20", reason="Call")
        self.assertEqual(str(self.invoice.dunning_blocked_until), "2026-02-20")


@tagged("post_install", "-at_install")
class TestStatement(DunningTestCommon):
    @freeze_time("2026-03-15")
    def test_statement_open_items_per_currency(self):
        customer = self._create_customer("Statement GmbH", lang="en_US")
        overdue = self._invoice(customer, 1000.0, "2026-01-01", "2026-01-31")
        self._invoice(customer, 300.0, "2026-03-10", "2026-04-09")
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": customer.id,
                "invoice_date": "2026-03-01",
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Credit",
                            "price_unit": 50.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        refund.action_post()
        self._pay(overdue, 400.0, "2026-03-05")
        other_currency = self.setup_other_currency("CHF")
        foreign = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "currency_id": other_currency.id,
                "invoice_date": "2026-03-01",
                "invoice_date_due": "2026-03-31",
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "CHF work",
                            "price_unit": 200.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        foreign.action_post()
        values = customer._get_dunning_statement_values(self.company)
        sections = {s["currency"]: s for s in values["sections"]}
        company_section = sections[self.company.currency_id]
        # 600 overdue (1000 - 400 paid), 300 not due, credit note -50:
        # balance 850.
        self.assertEqual(company_section["overdue"], 600.0)
        self.assertEqual(company_section["not_due"], 300.0)
        self.assertEqual(company_section["credits"], -50.0)
        self.assertEqual(company_section["total"], 850.0)
        kinds = sorted(row["kind"] for row in company_section["rows"])
        self.assertEqual(kinds, ["credit_note", "invoice", "invoice"])
        self.assertEqual(sections[other_currency]["total"], 200.0)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "account_relationship_dunning.res_partner_dunning_statement_report",
                customer.ids,
            )[0]
            .decode()
        )
        self.assertIn("Statement of Account", html)
        self.assertIn(overdue.name, html)
        self.assertIn(refund.name, html)
        self.assertIn(foreign.name, html)
        self._load_german()
        customer.lang = "de_DE"
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "account_relationship_dunning.res_partner_dunning_statement_report",
                customer.ids,
            )[0]
            .decode()
        )
        self.assertIn("Kontoauszug", html)
        # e-mailable: the composer uses the statement template with the report
        action = customer.action_send_dunning_statement()
        composer = Form(
            self.env[action["res_model"]].with_context(**action["context"])
        ).save()
        self.assertEqual(len(composer.attachment_ids), 1)
