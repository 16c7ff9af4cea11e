"""Letter workflow from every wrong state: each action is refused, as a
dunning user and as a dunning manager (``with_user``, as an RPC client
calls it), and nothing changes — the letter's state, its approval, the
invoices' levels and dates, the e-mail queue."""

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import DunningTestCommon

RUN_DATE = "2026-02-14"
STATES = ("draft", "to_approve", "ready", "done", "cancel")


@tagged("post_install", "-at_install")
@freeze_time(RUN_DATE)
class TestLetterWorkflowNegative(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        customers = {}
        for state in STATES:
            # With an e-mail address: e-mail letters; without: post letters.
            customers["email", state] = cls._create_customer(f"Mail {state} GmbH")
            customers["post", state] = cls._create_customer(
                f"Post {state} GmbH", email=False
            )
        cls.invoices = {}
        for key, customer in customers.items():
            cls._set_segment(customer, "standard")
            # Due 2026-01-31, 14 days overdue on 2026-02-14: the standard
            # ladder's Payment Reminder (from 7 days) is due.
            cls.invoices[key] = cls._invoice(
                customer, 100.0, "2026-01-01", "2026-01-31"
            )
        with freeze_time(RUN_DATE):
            run = cls.Run._run_dunning(cls.company, cls._date(RUN_DATE))
            cls.letters = {
                key: run.letter_ids.filtered(lambda lt, c=customer: lt.partner_id == c)
                for key, customer in customers.items()
            }
            for channel in ("email", "post"):
                # sudo: stands for the run with review before sending (draft)
                # and for a level that needs approval (to_approve).
                cls.letters[channel, "draft"].sudo().state = "draft"
                cls.letters[channel, "to_approve"].sudo().state = "to_approve"
                cls.letters[channel, "done"].action_mark_done()
                cls.letters[channel, "cancel"].action_cancel()
        cls.user = cls._new_user("wf_user")
        cls.manager = cls._new_user("wf_manager", manager=True)

    @classmethod
    def _new_user(cls, login, manager=False):
        return cls._dunning_user(cls, login=login, manager=manager)

    def _snapshot(self, letter):
        invoice = letter.line_ids.move_id
        return {
            "state": letter.state,
            "date": letter.date,
            "approved_by_id": letter.approved_by_id.id,
            "level": invoice.dunning_level_id.id,
            "last_date": invoice.dunning_last_date,
            "mails": self.env["mail.mail"].search_count([]),
            "messages": len(letter.message_ids),
        }

    def _assert_refused(self, letter, action, users, *args):
        for user in users:
            with self.subTest(state=letter.state, action=action, user=user.login):
                before = self._snapshot(letter)
                with self.assertRaises(UserError):
                    getattr(letter.with_user(user), action)(*args)
                letter.invalidate_recordset()
                letter.line_ids.move_id.invalidate_recordset()
                self.assertEqual(self._snapshot(letter), before)

    def test_fixture_has_every_state(self):
        for (channel, state), letter in self.letters.items():
            self.assertEqual((letter.channel, letter.state), (channel, state))

    def test_send_email_refused_outside_ready(self):
        for state in ("draft", "to_approve", "done", "cancel"):
            self._assert_refused(
                self.letters["email", state],
                "action_send_email",
                self.user | self.manager,
            )
        # A ready letter of the other channel is not e-mailed either.
        self._assert_refused(
            self.letters["post", "ready"], "action_send_email", self.manager
        )

    def test_print_refused_outside_ready(self):
        for state in ("draft", "to_approve", "done", "cancel"):
            self._assert_refused(
                self.letters["post", state],
                "action_print_post_letters",
                self.user | self.manager,
            )
        self._assert_refused(
            self.letters["email", "ready"], "action_print_post_letters", self.manager
        )

    def test_mark_done_refused_outside_ready(self):
        for channel in ("email", "post"):
            for state in ("draft", "to_approve", "done", "cancel"):
                self._assert_refused(
                    self.letters[channel, state],
                    "action_mark_done",
                    self.user | self.manager,
                )
        # The fixture can pass: a ready letter is marked done by a user.
        letter = self.letters["email", "ready"]
        letter.with_user(self.user).action_mark_done()
        self.assertEqual(letter.state, "done")

    def test_approve_refused_outside_to_approve_and_for_users(self):
        for channel in ("email", "post"):
            for state in ("draft", "ready", "done", "cancel"):
                self._assert_refused(
                    self.letters[channel, state],
                    "action_approve",
                    self.user | self.manager,
                )
            # Waiting for approval, but a plain dunning user may not approve.
            self._assert_refused(
                self.letters[channel, "to_approve"], "action_approve", self.user
            )
        letter = self.letters["email", "to_approve"]
        letter.with_user(self.manager).action_approve()
        self.assertRecordValues(
            letter, [{"state": "ready", "approved_by_id": self.manager.id}]
        )

    def test_cancel_refused_when_sent_or_without_dunning_group(self):
        for channel in ("email", "post"):
            self._assert_refused(
                self.letters[channel, "done"],
                "action_cancel",
                self.user | self.manager,
            )
            # Salespeople (invoicing, no dunning group) cancel nothing.
            for state in ("draft", "to_approve", "ready"):
                self._assert_refused(
                    self.letters[channel, state], "action_cancel", self.salesperson
                )
        letter = self.letters["post", "ready"]
        invoice = letter.line_ids.move_id
        self.assertTrue(invoice.dunning_level_id)
        letter.with_user(self.user).action_cancel()
        # Cancelled: the invoice gets its previous level (none) back.
        self.assertEqual(letter.state, "cancel")
        self.assertFalse(invoice.dunning_level_id)

    def test_review_done_refused_outside_draft(self):
        for state in ("to_approve", "ready", "done", "cancel"):
            self._assert_refused(
                self.letters["email", state],
                "action_review_done",
                self.user | self.manager,
            )

    def test_remove_invoice_refused_outside_review(self):
        for state in ("ready", "done", "cancel"):
            letter = self.letters["email", state]
            self._assert_refused(
                letter,
                "_remove_lines",
                self.user | self.manager,
                letter.line_ids,
                "Paid by phone",
            )

    def test_cancel_sent_refused_for_users_and_unsent_letters(self):
        self._assert_refused(
            self.letters["email", "done"], "action_cancel_sent", self.user, "Typo"
        )
        for state in ("draft", "to_approve", "ready", "cancel"):
            self._assert_refused(
                self.letters["email", state],
                "action_cancel_sent",
                self.manager,
                "Typo",
            )
