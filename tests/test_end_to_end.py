"""One claim from a real run through approval and sending to the legal
handover; every amount computed by hand from the rules of § 288 BGB.

Company in EUR; customer a GmbH (B2B): default interest = base rate + 9
points; base rate 1.27 % from 2026-01-01 (shipped table), so 10.27 % a year;
simple interest principal x rate / 100 x days / 365, from the day after the
due date (policy "Interest From: day after the due date") to the letter date
included. "New customers" ladder: reminder from 5 days overdue, first letter
from 19 (14 days after the previous step), second from 33 (14 days), final
notice from 45 (10 days, approval needed, deadline 7 days)."""

from freezegun import freeze_time

from odoo.tests import Form, tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestRunToHandover(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_german_company(street="Gläubigerweg 1", zip="20095", city="Hamburg")
        cls.customer = cls._create_customer("Endlos Säumig GmbH")
        cls._set_segment(cls.customer, "new")
        # 1,000.00 EUR due 2026-01-31.
        cls.invoice = cls._invoice(cls.customer, 1000.0, "2026-01-01", "2026-01-31")
        cls.user = cls._dunning_user(cls, login="e2e_user")
        cls.manager = cls._dunning_user(cls, login="e2e_manager", manager=True)

    def _run_and_send(self, on_date, level_name, approve=False):
        with freeze_time(on_date):
            run = self._run(on_date).with_user(self.user)
            letter = run.letter_ids
            self.assertEqual(letter.level_id.name, level_name)
            if approve:
                self.assertEqual(letter.state, "to_approve")
                letter.with_user(self.manager).action_approve()
            self.assertEqual(letter.state, "ready")
            letter.with_user(self.user).action_send_email()
            self.assertEqual(letter.state, "done")
            self.assertTrue(letter.claims_frozen)
        return letter.with_user(self.env.user)

    def test_run_approve_send_hand_over(self):
        # 2026-02-05, day 5: the reminder, no costs.
        reminder = self._run_and_send("2026-02-05", "Payment Reminder")
        self.assertRecordValues(
            reminder,
            [
                {
                    "amount_interest": 0.0,
                    "fee_amount": 0.0,
                    "amount_total_due": 1000.0,
                }
            ],
        )
        # 2026-02-19, day 19: first letter. Interest 2026-02-01..02-19 = 19
        # days: 1000 x 10.27 x 19 / 36500 = 5.3460 -> 5.35. The debtor is in
        # default since the due date (B2B): 40.00 flat compensation. The fee
        # of 2.50 (the reminder was sent before) is credited against the
        # 40.00 (§ 288 (5) sentence 3): 1000 + 5.35 + 40 = 1045.35.
        first = self._run_and_send("2026-02-19", "First Dunning Letter")
        self.assertRecordValues(
            first,
            [
                {
                    "amount_interest": 5.35,
                    "fee_amount": 2.5,
                    "fee_offset_amount": 2.5,
                    "amount_total_due": 1045.35,
                }
            ],
        )
        self.assertEqual(first.line_ids.compensation_amount, 40.0)
        # 2026-03-05, day 33: second letter. Interest 2026-02-01..03-05 = 33
        # days: 1000 x 10.27 x 33 / 36500 = 9.2852 -> 9.29. The compensation
        # was claimed already; the fee 2.50 is credited against what is left
        # of it (40.00 - 2.50 = 37.50).
        second = self._run_and_send("2026-03-05", "Second Dunning Letter")
        self.assertRecordValues(
            second,
            [{"amount_interest": 9.29, "fee_amount": 2.5, "fee_offset_amount": 2.5}],
        )
        self.assertEqual(second.line_ids.compensation_amount, 0.0)
        # 2026-03-17, day 45, 12 days after the second letter: the final
        # notice waits for a manager. Interest 2026-02-01..03-17 = 45 days:
        # 1000 x 10.27 x 45 / 36500 = 12.6616 -> 12.66; fee 5.00 credited
        # against the remaining 35.00 of the compensation.
        final = self._run_and_send("2026-03-17", "Final Notice", approve=True)
        self.assertRecordValues(
            final,
            [
                {
                    "approved_by_id": self.manager.id,
                    "payment_deadline": self._date("2026-03-24"),
                    "amount_interest": 12.66,
                    "fee_amount": 5.0,
                    "fee_offset_amount": 5.0,
                }
            ],
        )
        # The deadline (2026-03-24) is still running on its last day ...
        with freeze_time("2026-03-24"):
            run = self._run("2026-03-24")
        self.assertEqual(self._decision(run, self.invoice).reason, "no_escalation")
        # ... and passed the day after: the legal step is due, the manager
        # gets one activity on the customer.
        with freeze_time("2026-03-25"):
            run = self._run("2026-03-25")
        self.assertRecordValues(
            self._decision(run, self.invoice),
            [{"decision": "next_step", "outcome": "next_step"}],
        )
        activity_type = self.env.ref(
            "account_relationship_dunning.mail_activity_type_dunning_handover"
        )
        self.assertEqual(
            len(
                self.customer.activity_ids.filtered(
                    lambda a: a.activity_type_id == activity_type
                )
            ),
            1,
        )
        # The handover from the invoice, through the form as a user opens it.
        with freeze_time("2026-03-26"):
            action = self.invoice.action_dunning_handover()
            Handover = self.env[action["res_model"]].with_user(self.manager)
            with Form(Handover.with_context(**action["context"])) as form:
                form.channel = "court"
            handover = form.record
            handover.action_hand_over()
        # Principal 1,000.00; the costs of the sent letters: the 40.00
        # compensation and the fees 2.50 + 2.50 + 5.00 = 10.00 (credited
        # against the compensation, so only the 40.00 is claimed twice never).
        self.assertRecordValues(
            handover,
            [
                {
                    "state": "handed_over",
                    "partner_id": self.customer.id,
                    "amount_principal": 1000.0,
                    "amount_compensation": 40.0,
                }
            ],
        )
        self.assertEqual(handover.move_ids, self.invoice)
        # Every letter sent about the claim goes with the dossier.
        self.assertEqual(handover.letter_ids, reminder | first | second | final)
        # Handed over: the next run leaves the invoice to the legal step.
        with freeze_time("2026-04-10"):
            run = self._run("2026-04-10")
        self.assertEqual(self._decision(run, self.invoice).reason, "legal")
