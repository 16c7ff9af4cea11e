"""Leftovers of the cockpit: removing the highest invoice from a letter in
review lowers the letter's level; dashboard amounts in one currency."""

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestCockpitLeftovers(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.dunning_review_before_sending = True
        cls.customer = cls._create_customer("Review Level GmbH")
        cls._set_segment(cls.customer, "new")
        cls.reminder = cls._level("new", "Payment Reminder")
        cls.first = cls._level("new", "First Dunning Letter")
        # A: 1,000 due 2026-01-31; B: 500 due 2026-02-14.
        cls.inv_a = cls._invoice(cls.customer, 1000.0, "2026-01-01", "2026-01-31")
        cls.inv_b = cls._invoice(cls.customer, 500.0, "2026-01-15", "2026-02-14")
        # Dashboard: 1 unit of company currency = 2 CHF.
        cls.chf = cls.setup_other_currency("CHF", rates=[("2017-01-01", 2.0)])
        cls.abroad = cls._create_customer("Zweiwährung AG")

    def test_removing_the_highest_invoice_lowers_the_level(self):
        with freeze_time("2026-02-05"):
            # Day 5 of A: the reminder, reviewed and sent.
            reminder = self._run("2026-02-05").letter_ids
            reminder.action_review_done()
            reminder.action_mark_done()
        with freeze_time("2026-02-19"):
            # A: day 19, 14 days after the reminder -> First Dunning Letter;
            # B: day 5 -> Payment Reminder. The letter is headed by the
            # highest level, and waits for review.
            letter = self._run("2026-02-19").letter_ids
            self.assertRecordValues(
                letter,
                [
                    {
                        "state": "draft",
                        "level_id": self.first.id,
                        "payment_deadline": self._date("2026-03-01"),
                    }
                ],
            )
            self.assertGreater(letter.amount_interest, 0.0)
            action = letter.action_open_remove_invoice()
            form = Form(self.env[action["res_model"]].with_context(**action["context"]))
            form.line_ids.add(
                letter.line_ids.filtered(lambda line: line.move_id == self.inv_a)
            )
            form.reason = "Customer paid A by cheque"
            form.save().action_remove()
        # Only B is left: the letter is a payment reminder again, with the
        # reminder's deadline (2026-02-19 + 7 days) and its claims (the
        # reminder claims no interest, compensation or fee): 500.00 in all.
        self.assertRecordValues(
            letter,
            [
                {
                    "state": "draft",
                    "level_id": self.reminder.id,
                    "payment_deadline": self._date("2026-02-26"),
                    "amount_interest": 0.0,
                    "fee_amount": 0.0,
                    "amount_total_due": 500.0,
                }
            ],
        )
        self.assertEqual(letter.line_ids.move_id, self.inv_b)
        # A keeps the level of the reminder it was sent.
        self.assertEqual(self.inv_a.dunning_level_id, self.reminder)
        self.assertIn(
            "Level lowered to Payment Reminder",
            " ".join(letter.message_ids.mapped("body")),
        )

    def test_removing_a_lower_invoice_keeps_the_level(self):
        with freeze_time("2026-02-05"):
            reminder = self._run("2026-02-05").letter_ids
            reminder.action_review_done()
            reminder.action_mark_done()
        with freeze_time("2026-02-19"):
            letter = self._run("2026-02-19").letter_ids
            letter._remove_lines(
                letter.line_ids.filtered(lambda line: line.move_id == self.inv_b),
                "Not due in our books",
            )
        self.assertRecordValues(
            letter,
            [
                {
                    "level_id": self.first.id,
                    "payment_deadline": self._date("2026-03-01"),
                }
            ],
        )

    # ------------------------------------------------------------------
    # Dashboard (same company: one class set-up for both concerns)
    # ------------------------------------------------------------------

    def test_dispute_amounts_in_company_currency(self):
        local = self._invoice(self.abroad, 300.0, "2026-01-01", "2026-01-31")
        foreign = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.abroad.id,
                "currency_id": self.chf.id,
                "invoice_date": "2026-01-01",
                "invoice_date_due": "2026-01-31",
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Export",
                            "quantity": 1,
                            "price_unit": 1000.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        foreign.action_post()
        self._dispute(self.abroad, local)
        self._dispute(self.abroad, foreign)
        amounts = {
            item["key"]: item
            for item in self.env["account.dunning.dashboard"]._get_amounts(
                self.company, fields.Date.to_date("2026-03-01")
            )
        }
        # 300.00 + 1,000 CHF / 2 = 300 + 500 = 800.00 in company currency
        # (never 1,300 of mixed currencies); two disputes.
        self.assertEqual(amounts["dispute"]["amount"], 800.0)
        self.assertEqual(amounts["dispute"]["count"], 2)


@tagged("post_install", "-at_install")
class TestPromiseFromCall(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._create_customer("Anruf Partner AG")
        cls.customer.user_id = cls.salesperson
        cls._set_segment(cls.customer, "strategic")
        cls.invoice = cls._invoice(cls.customer, 1000.0, "2026-01-01", "2026-01-31")

    def test_promise_recorded_from_the_call_activity(self):
        user = self._dunning_user("caller")
        with freeze_time("2026-02-14"):
            # 14 days overdue: the strategic ladder's Personal Call.
            letter = self._run("2026-02-14").letter_ids
            activity = letter.activity_ids
            self.assertRecordValues(
                activity, [{"is_dunning_call": True, "res_id": letter.id}]
            )
            arch = self.env["mail.activity"].get_view(
                self.env.ref("mail.mail_activity_view_form_popup").id
            )["arch"]
            self.assertIn('name="action_record_dunning_promise"', arch)
            action = activity.with_user(user).action_record_dunning_promise()
            form = Form(
                self.env[action["res_model"]]
                .with_user(user)
                .with_context(**action["context"])
            )
            form.date_promised = "2026-02-28"
            promise = form.save()
        self.assertRecordValues(
            promise,
            [
                {
                    "partner_id": self.customer.id,
                    "letter_id": letter.id,
                    "amount": 1000.0,
                    "state": "open",
                }
            ],
        )
        self.assertEqual(promise.move_ids, self.invoice)
        # Any other activity has no promise button and refuses the action.
        other = letter.activity_schedule(
            "mail.mail_activity_data_todo", user_id=self.env.uid
        )
        self.assertFalse(other.is_dunning_call)
        with self.assertRaises(UserError):
            other.action_record_dunning_promise()
