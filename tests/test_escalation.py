"""What the customer receives: escalation that never goes backwards, charges
per invoice, legally right claims and send-time checks.

Scenario tests on real posted invoices and payments. Base rate (§ 247 BGB,
module data): 1.27 % from 1 July 2025 and from 1 January 2026, so in these
scenarios (all in early 2026) the rate is 1.27 + 9 = 10.27 % between
businesses and 1.27 + 5 = 6.27 % for consumers;
    interest = principal × rate / 100 × days / 365, rounded per period.

Standard policy for businesses (shipped): reminder at 7 days (deadline 10
days), first letter at 21 days (fee 2.50, interest, EUR 40, deadline 10),
second letter at 35 days (fee 2.50, deadline 7), final notice at 49 days
(fee 5.00, approval, deadline 7, names the court dunning procedure); at least
14 days between the letters after the reminder.
"""

from datetime import date

from freezegun import freeze_time
from lxml import html as lxml_html

from odoo import Command
from odoo.tests import tagged

from .common import DunningTestCommon

REPORT = "account_relationship_dunning.account_dunning_letter_report"


def html_text(content):
    text = lxml_html.fromstring(content).text_content()
    return " ".join(text.replace("\xa0", " ").replace("\ufeff", "").split())


@tagged("post_install", "-at_install")
class TestEscalation(DunningTestCommon):
    @classmethod
    def setup_independent_company(cls, **kwargs):
        # A German creditor: company currency EUR, like the € 40 of § 288 (5).
        euro = cls._enable_currency("EUR")
        return super().setup_independent_company(currency_id=euro.id, **kwargs)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "country_id": cls.env.ref("base.de").id,
                "street": "Friedrichstraße 10",
                "zip": "10117",
                "city": "Berlin",
            }
        )
        cls.env["res.lang"]._activate_lang("en_GB")
        # Outside the interest computation: no report styles to fetch.
        cls.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")
        cls.business = cls._create_customer("Business GmbH")
        cls._set_segment(cls.business, "standard")
        cls.policy = cls.env["account.dunning.policy"].search(
            [
                ("company_id", "=", cls.company.id),
                ("segment_id", "=", cls.segment["standard"].id),
                ("customer_type", "=", "all"),
            ]
        )
        cls.reminder, cls.first, cls.second, cls.final = cls.policy._get_sorted_levels()
        cls.manager = cls.env["res.users"].create(
            {
                "name": "Maria Manager",
                "login": "maria_dunning_manager",
                "email": "maria@example.com",
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
                "groups_id": [
                    Command.set(
                        [
                            cls.env.ref("base.group_user").id,
                            cls.env.ref(
                                "account_relationship_dunning.group_dunning_manager"
                            ).id,
                        ]
                    )
                ],
            }
        )
        cls.company.dunning_manager_user_id = cls.manager

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _dun(self, day, partner):
        """Run the engine on ``day``; return the run and the letter of
        ``partner`` (empty when none)."""
        with freeze_time(day):
            run = self._run(day)
        return run, run.letter_ids.filtered(lambda lt: lt.partner_id == partner)

    def _send(self, letter, day):
        """Approve (final notice) and send ``letter`` on ``day``."""
        with freeze_time(day):
            if letter.state == "to_approve":
                letter.action_approve()
            letter.action_mark_done()
        self.assertEqual(letter.state, "done")

    def _html(self, letter):
        return html_text(
            self.env["ir.actions.report"]._render_qweb_html(REPORT, letter.ids)[0]
        )

    def _ladder(self, partner, invoices, charge=False):
        """Reminder, first, second letter and final notice for ``invoices``
        (due 1 Jan 2026), each sent on the day of its run."""
        self.policy.charge_invoice = charge
        letters = []
        for day, level in (
            ("2026-01-08", self.reminder),
            ("2026-01-22", self.first),
            ("2026-02-05", self.second),
            ("2026-02-19", self.final),
        ):
            _run, letter = self._dun(day, partner)
            self.assertEqual(letter.level_id, level, day)
            self._send(letter, day)
            letters.append(letter)
        return letters

    # ------------------------------------------------------------------
    # 1. The ladder never goes backwards
    # ------------------------------------------------------------------
    def test_final_notice_then_reminder_is_not_milder(self):
        """Observed: final notice on one day, then a friendly reminder for
        the same open invoice, because a fresh invoice reached the reminder
        level and the old one was listed under its heading."""
        old = self._invoice(self.business, 1713.60, "2025-12-01", "2026-01-01")
        letters = self._ladder(self.business, old)
        final = letters[-1]
        fresh = self._invoice(self.business, 200.0, "2026-02-10", "2026-02-20")
        # 27 Feb: the fresh invoice is 7 days overdue (reminder); the old one
        # sits at the final notice, whose deadline (19 Feb + 7 = 26 Feb) passed.
        run, letter = self._dun("2026-02-27", self.business)
        self.assertEqual(letter.level_id, self.reminder)
        self.assertRecordValues(
            letter.line_ids.sorted("date_due"),
            [
                {
                    "move_id": old.id,
                    "level_id": self.final.id,
                    "escalated": False,
                    "notified_letter_id": final.id,
                    "interest_amount": 0.0,
                },
                {
                    "move_id": fresh.id,
                    "level_id": self.reminder.id,
                    "escalated": True,
                    "notified_letter_id": False,
                    "interest_amount": 0.0,
                },
            ],
        )
        # The reminder claims only the fresh invoice: 200.00, no charges.
        self.assertRecordValues(
            letter,
            [{"amount_residual": 200.0, "amount_total_due": 200.0, "fee_amount": 0.0}],
        )
        # The old invoice keeps its level and the date of the final notice.
        self.assertEqual(old.dunning_level_id, self.final)
        self.assertEqual(old.dunning_last_date, date(2026, 2, 19))
        self.assertEqual(self._decision(run, old).decision, "next_step")
        text = self._html(letter)
        self.assertIn(f"Payment Reminder – invoice {fresh.name}", text)
        self.assertIn("Already notified", text)
        self.assertIn(final.name, text)
        # letter date and deadline of the final notice, British format
        self.assertIn("19/02/2026", text)
        self.assertIn("26/02/2026", text)
        self.assertNotIn(old.name, text.split("Already notified")[0])

    def test_fresh_invoice_joining_final_notice(self):
        """A 3-day-overdue invoice joins a final notice: no fee for it, not
        covered by the court dunning announcement, EUR 40 only because a
        business is in default from the (agreed) due date."""
        old = self._invoice(self.business, 1000.0, "2025-12-01", "2026-01-01")
        for day in ("2026-01-08", "2026-01-22", "2026-02-05"):
            _run, letter = self._dun(day, self.business)
            self._send(letter, day)
        fresh = self._invoice(self.business, 200.0, "2026-02-06", "2026-02-16")
        _run, letter = self._dun("2026-02-19", self.business)
        self.assertEqual(letter.level_id, self.final)
        old_line = letter.line_ids.filtered(lambda ln: ln.move_id == old)
        fresh_line = letter.line_ids.filtered(lambda ln: ln.move_id == fresh)
        self.assertRecordValues(
            old_line | fresh_line,
            [
                {
                    "level_id": self.final.id,
                    "escalated": True,
                    # 2 Jan – 19 Feb = 30 + 19 = 49 days:
                    # 1000 × 10.27 % × 49 / 365 = 13.787 → 13.79
                    "interest_amount": 13.79,
                    # claimed by the first letter already
                    "compensation_amount": 0.0,
                },
                {
                    "level_id": False,
                    "escalated": False,
                    # 17 – 19 Feb = 3 days: 200 × 10.27 % × 3 / 365 = 0.169 → 0.17
                    "interest_amount": 0.17,
                    # in default since its due date (business, due date)
                    "compensation_amount": 40.0,
                },
            ],
        )
        self.assertRecordValues(
            letter,
            [
                {
                    # the final notice's fee belongs to the old invoice only
                    "fee_amount": 5.0,
                    # credit: 40 (first letter) − 2.50 − 2.50 (fees credited
                    # by the first and second letter) = 35 ≥ 5 → 5 credited
                    "fee_offset_amount": 5.0,
                    # the first letter's EUR 40 (its fee was credited)
                    "previous_costs_amount": 40.0,
                    # 1200 + 13.79 + 0.17 + 40 + 5 − 5 + 40 = 1293.96
                    "amount_total_due": 1293.96,
                }
            ],
        )
        text = self._html(letter)
        # The payment order is announced for the old invoice only.
        self.assertIn(
            f"Should we not have received your payment of invoice {old.name} by",
            text,
        )
        self.assertIn("court dunning procedure", text)
        self.assertNotIn(f"invoices {old.name}, {fresh.name} by", text)
        self.assertIn(f"Dunning fee (costs of this letter, {old.name})", text)

    def test_next_step_due_activity_for_the_manager(self):
        first = self._invoice(self.business, 1000.0, "2025-12-01", "2026-01-01")
        second = self._invoice(self.business, 500.0, "2025-12-01", "2026-01-01")
        self._ladder(self.business, first | second)
        # Deadline of the final notice: 19 Feb + 7 days = 26 Feb.
        run, letter = self._dun("2026-02-26", self.business)
        self.assertFalse(letter)
        self.assertEqual(
            set(run.line_ids.mapped("reason")), {"no_escalation"}, "not yet due"
        )
        run, letter = self._dun("2026-02-27", self.business)
        self.assertFalse(letter, "no further letter after the final notice")
        self.assertEqual(
            run.line_ids.filtered(lambda ln: ln.partner_id == self.business).mapped(
                "decision"
            ),
            ["next_step", "next_step"],
        )
        self.assertEqual(run.next_step_count, 1)
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.business.id),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref(
                        "account_relationship_dunning.mail_activity_type_dunning_handover"
                    ).id,
                ),
            ]
        )
        # One activity for the customer (not one per invoice), for the manager.
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.manager)
        self.assertIn(first.name, str(activities.note))
        self.assertIn(second.name, str(activities.note))
        # The next day: no second activity while this one is open.
        self._dun("2026-02-28", self.business)
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", self.business.id),
                    ("activity_type_id", "=", activities.activity_type_id.id),
                ]
            ),
            1,
        )

    # ------------------------------------------------------------------
    # 2. Claims that are legally right
    # ------------------------------------------------------------------
    def test_fee_credited_against_compensation_one_invoice(self):
        self._invoice(self.business, 1000.0, "2025-12-01", "2026-01-01")
        _run, reminder = self._dun("2026-01-08", self.business)
        self._send(reminder, "2026-01-08")
        _run, letter = self._dun("2026-01-22", self.business)
        self.assertRecordValues(
            letter,
            [
                {
                    # 2–22 Jan = 21 days: 1000 × 10.27 % × 21 / 365 = 5.909 → 5.91
                    "amount_interest": 5.91,
                    "amount_compensation": 40.0,
                    "fee_amount": 2.5,
                    # the EUR 40 covers the collection costs: fee fully credited
                    "fee_offset_amount": 2.5,
                    # 1000 + 5.91 + 40 + 2.50 − 2.50 = 1045.91
                    "amount_total_due": 1045.91,
                }
            ],
        )
        text = self._html(letter)
        self.assertIn(
            "Dunning fee credited against the flat compensation "
            "(§ 288 (5) sentence 3 BGB) -2.50",
            text.replace("€", "").replace("  ", " "),
        )
        self.assertIn("Statutory default interest from 02/01/2026", text)

    def test_fee_credited_against_compensation_several_invoices(self):
        """Observed: 80.00 compensation plus 2.50 fee on a first letter."""
        self._invoice(self.business, 1000.0, "2025-12-01", "2026-01-01")
        self._invoice(self.business, 500.0, "2025-12-01", "2026-01-01")
        _run, reminder = self._dun("2026-01-08", self.business)
        self._send(reminder, "2026-01-08")
        _run, letter = self._dun("2026-01-22", self.business)
        self.assertRecordValues(
            letter,
            [
                {
                    # 5.91 + 500 × 10.27 % × 21 / 365 (2.954 → 2.95) = 8.86
                    "amount_interest": 8.86,
                    "amount_compensation": 80.0,
                    "fee_amount": 2.5,
                    "fee_offset_amount": 2.5,
                    # 1500 + 8.86 + 80 = 1588.86 (not 1591.36)
                    "amount_total_due": 1588.86,
                }
            ],
        )
        # Once per letter (policy setting): EUR 40 for the letter, still
        # covering the fee: 1500 + 8.86 + 40 = 1548.86.
        self.policy.compensation_mode = "letter"
        letter.action_compute_claims()
        self.assertRecordValues(
            letter,
            [
                {
                    "letter_compensation_amount": 40.0,
                    "fee_offset_amount": 2.5,
                    "amount_total_due": 1548.86,
                }
            ],
        )
        # Without compensation (waived) the fee is claimed in full.
        self.policy.waive_compensation = True
        letter.action_compute_claims()
        self.assertEqual(letter.fee_offset_amount, 0.0)

    def test_consumer_interest_from_default_business_from_due_date(self):
        consumer = self._create_customer("Erika Mustermann", is_company=False)
        self._set_segment(consumer, "standard")
        consumer_invoice = self._invoice(consumer, 1000.0, "2025-12-01", "2026-01-01")
        business_invoice = self._invoice(
            self.business, 1000.0, "2025-12-01", "2026-01-01"
        )
        consumer_policy = self.env["account.dunning.policy"].search(
            [
                ("company_id", "=", self.company.id),
                ("segment_id", "=", self.segment["standard"].id),
                ("customer_type", "=", "consumer"),
            ]
        )
        self.assertRecordValues(
            consumer_policy,
            [{"interest_start": "default", "interest_delivery_days": 3}],
        )
        self.assertEqual(self.policy.interest_start, "due")
        # No letter yet: a consumer is not in default, no interest.
        self.assertEqual(
            consumer_invoice._get_dunning_interest(date(2026, 1, 29))[
                consumer_invoice.id
            ]["amount"],
            0.0,
        )
        with freeze_time("2026-01-08"):
            self._run("2026-01-08").letter_ids.action_mark_done()
        # consumer reminder at 10 days: 11 Jan
        with freeze_time("2026-01-11"):
            self._run("2026-01-11").letter_ids.action_mark_done()
        with freeze_time("2026-01-22"):
            run = self._run("2026-01-22")
        business_letter = run.letter_ids.filtered(
            lambda lt: lt.partner_id == self.business
        )
        with freeze_time("2026-01-29"):
            run = self._run("2026-01-29")
        consumer_letter = run.letter_ids.filtered(lambda lt: lt.partner_id == consumer)
        self.assertEqual(consumer_letter.level_id.name, "First Dunning Letter")
        self.assertRecordValues(
            consumer_letter.line_ids,
            [
                {
                    # reminder dated 11 Jan, received 14 Jan (3 days): in
                    # default from 15 Jan; 15–29 Jan = 15 days:
                    # 1000 × 6.27 % × 15 / 365 = 2.577 → 2.58
                    # (from the due date it would be 28 days: 4.81)
                    "interest_date_from": date(2026, 1, 15),
                    "interest_amount": 2.58,
                    "interest_points": 5.0,
                    "compensation_amount": 0.0,
                }
            ],
        )
        # 1000 + 2.58 + 2.50 fee (no compensation to credit it against)
        self.assertEqual(consumer_letter.amount_total_due, 1005.08)
        self.assertRecordValues(
            business_letter.line_ids,
            [
                {
                    # agreed due date 1 Jan: from 2 Jan, 21 days → 5.91
                    "interest_date_from": date(2026, 1, 2),
                    "interest_amount": 5.91,
                    "interest_points": 9.0,
                }
            ],
        )
        self.assertEqual(business_invoice, business_letter.line_ids.move_id)
        self.assertIn(
            "Statutory default interest from 15/01/2026", self._html(consumer_letter)
        )

    def _totals_of_ladder(self, charge):
        invoice = self._invoice(self.business, 1000.0, "2025-12-01", "2026-01-01")
        letters = self._ladder(self.business, invoice, charge=charge)
        return invoice, letters

    def test_totals_across_three_letters_without_charges_invoice(self):
        """Observed: 1,880.06 → 1,807.08 → 1,816.62, the final notice
        forgetting earlier compensation and fees."""
        invoice, letters = self._totals_of_ladder(charge=False)
        _reminder, first, second, final = letters
        self.assertEqual(
            [first.amount_total_due, second.amount_total_due, final.amount_total_due],
            [
                # 1000 + 5.91 interest (21 days) + 40 + 2.50 − 2.50
                1045.91,
                # 1000 + 9.85 interest (2 Jan – 5 Feb, 35 days: 9.848) + fee
                # 2.50 credited + 40 previously claimed (first letter)
                1049.85,
                # 1000 + 13.79 interest (49 days) + fee 5 credited + 40
                1053.79,
            ],
        )
        self.assertEqual(second.previous_costs_amount, 40.0)
        self.assertEqual(final.previous_costs_amount, 40.0)
        text = self._html(final)
        self.assertIn(
            f"Previously claimed: flat compensation, letter {first.name}", text
        )
        # The legal handover claims the same: principal and pre-court costs
        # (1000 + 40) plus the interest the final notice computed.
        handover = self.env["account.dunning.handover"].create(
            {
                "partner_id": self.business.id,
                "company_id": self.company.id,
                "channel": "court",
                "move_ids": [Command.set(invoice.ids)],
            }
        )
        with freeze_time("2026-02-19"):
            handover.action_hand_over()
        self.assertEqual(handover.amount_total, 1040.0)
        self.assertEqual(
            handover.amount_total + final.amount_interest, final.amount_total_due
        )

    def test_totals_across_three_letters_with_charges_invoice(self):
        invoice, letters = self._totals_of_ladder(charge=True)
        _reminder, first, second, final = letters
        charges_1 = first.charge_move_id
        # 5.91 interest + 40 compensation (+ 2.50 fee − 2.50 credited)
        self.assertEqual(charges_1.amount_total, 45.91)
        self.assertIn(charges_1, second.line_ids.move_id)
        self.assertRecordValues(
            second,
            [
                {
                    # only the new days: 23 Jan – 5 Feb = 14 days:
                    # 1000 × 10.27 % × 14 / 365 = 3.939 → 3.94
                    "amount_interest": 3.94,
                    "previous_costs_amount": 0.0,
                    # 1000 + 45.91 (charges invoice) + 3.94
                    "amount_total_due": 1049.85,
                }
            ],
        )
        self.assertEqual(second.charge_move_id.amount_total, 3.94)
        self.assertEqual(
            final.line_ids.move_id, invoice | charges_1 | second.charge_move_id
        )
        # 1000 + 45.91 + 3.94 + 3.94 (6–19 Feb, 14 days): as without invoicing
        self.assertEqual(final.amount_total_due, 1053.79)

    # ------------------------------------------------------------------
    # 3. What is sent is what is true on the day it is sent
    # ------------------------------------------------------------------
    def test_several_letters_dated_today_at_once(self):
        """ "Date Today" on a selection of letters dates each of them and logs
        one note per letter."""
        other = self._create_customer("Other Business GmbH")
        self._set_segment(other, "standard")
        self._invoice(self.business, 1000.0, "2025-12-01", "2026-01-01")
        self._invoice(other, 500.0, "2025-12-01", "2026-01-01")
        run, _letter = self._dun("2026-01-08", self.business)
        letters = run.letter_ids
        self.assertEqual(letters.partner_id, self.business | other)
        self.assertEqual(set(letters.mapped("date")), {date(2026, 1, 8)})
        with freeze_time("2026-01-12"):
            letters.action_date_today()
        # 12 Jan + 10 days of the standard reminder level
        self.assertEqual(set(letters.mapped("date")), {date(2026, 1, 12)})
        self.assertEqual(set(letters.mapped("payment_deadline")), {date(2026, 1, 22)})
        for letter in letters:
            notes = letter.message_ids.filtered(
                lambda msg: (
                    "new payment deadline and claims as of today" in (msg.body or "")
                )
            )
            self.assertEqual(len(notes), 1, letter.partner_id.name)

    def test_late_approval_updates_date_deadline_interest(self):
        invoice = self._invoice(self.business, 1000.0, "2025-12-01", "2026-01-01")
        for day in ("2026-01-08", "2026-01-22", "2026-02-05"):
            _run, letter = self._dun(day, self.business)
            self._send(letter, day)
        _run, letter = self._dun("2026-02-19", self.business)
        self.assertRecordValues(
            letter,
            [
                {
                    "state": "to_approve",
                    "date": date(2026, 2, 19),
                    "payment_deadline": date(2026, 2, 26),
                    "amount_interest": 13.79,
                }
            ],
        )
        # The approval screen shows the letter as of today (button "Date
        # Today"): 22 Feb, deadline 1 Mar, 2 Jan – 22 Feb = 52 days:
        # 1000 × 10.27 % × 52 / 365 = 14.631 → 14.63
        with freeze_time("2026-02-22"):
            letter.action_date_today()
        self.assertRecordValues(
            letter,
            [
                {
                    "state": "to_approve",
                    "date": date(2026, 2, 22),
                    "payment_deadline": date(2026, 3, 1),
                    "amount_interest": 14.63,
                }
            ],
        )
        # Approved a week after the run: the letter is dated on that day.
        with freeze_time("2026-02-26"):
            letter.action_approve()
        self.assertRecordValues(
            letter,
            [
                {
                    "state": "ready",
                    "date": date(2026, 2, 26),
                    # 26 Feb + 7 days
                    "payment_deadline": date(2026, 3, 5),
                    # 2 Jan – 26 Feb = 56 days: 1000 × 10.27 % × 56 / 365
                    # = 15.757 → 15.76
                    "amount_interest": 15.76,
                }
            ],
        )
        self.assertEqual(invoice.dunning_last_date, date(2026, 2, 26))
        # Sent another two days later: dated again.
        with freeze_time("2026-02-28"):
            letter.action_mark_done()
        self.assertRecordValues(
            letter,
            [
                {
                    "state": "done",
                    "date": date(2026, 2, 28),
                    "payment_deadline": date(2026, 3, 7),
                    # 58 days: 16.319 → 16.32
                    "amount_interest": 16.32,
                }
            ],
        )

    def _ready_reminder(self):
        invoice = self._invoice(self.business, 1000.0, "2025-12-01", "2026-01-01")
        _run, letter = self._dun("2026-01-08", self.business)
        self.assertEqual(letter.state, "ready")
        self.assertEqual(invoice.dunning_level_id, self.reminder)
        return invoice, letter

    def _assert_cancelled_at_sending(self, invoice, letter, reason):
        with freeze_time("2026-01-09"):
            letter.with_context(force_report_rendering=True).action_send_email()
        self.assertEqual(letter.state, "cancel")
        self.assertFalse(letter.pdf_attachment_id, "nothing was sent")
        self.assertFalse(invoice.dunning_level_id, "previous level restored")
        self.assertFalse(invoice.dunning_last_date)
        bodies = " ".join(letter.message_ids.mapped("body"))
        self.assertIn("Not sent", bodies)
        self.assertIn(reason, bodies)

    def test_block_after_run_cancels_letter_at_sending(self):
        """Observed: an invoice blocked after the run appeared on the PDF."""
        invoice, letter = self._ready_reminder()
        with freeze_time("2026-01-09"):
            invoice.write(
                {"dunning_blocked_until": "2026-01-31", "dunning_block_reason": "Call"}
            )
        self._assert_cancelled_at_sending(invoice, letter, "blocked until")

    def test_dispute_after_run_cancels_letter_at_sending(self):
        invoice, letter = self._ready_reminder()
        self._dispute(self.business, invoice)
        self._assert_cancelled_at_sending(invoice, letter, "Disputed in")

    def test_exclusion_after_run_cancels_letter_at_sending(self):
        invoice, letter = self._ready_reminder()
        invoice.dunning_excluded = True
        self._assert_cancelled_at_sending(invoice, letter, "excluded from dunning")

    def test_payment_plan_after_run_cancels_letter_at_sending(self):
        # A plan on one of the letter's two invoices: the plan leaves the
        # letter alone (it cancels only letters about its invoices alone).
        other = self._invoice(self.business, 300.0, "2025-12-01", "2026-01-01")
        invoice, letter = self._ready_reminder()
        self.assertEqual(letter.line_ids.move_id, invoice | other)
        with freeze_time("2026-01-09"):
            plan = self._offer_plan(invoice, "2026-02-01")
            plan.action_propose()
            plan.action_accept()
        self.assertEqual(plan.state, "active")
        self.assertEqual(letter.state, "ready")
        self._assert_cancelled_at_sending(invoice, letter, invoice.name)
        self.assertFalse(other.dunning_level_id)

    def test_call_responsible_fallback(self):
        strategic_policy = self.env["account.dunning.policy"].search(
            [
                ("company_id", "=", self.company.id),
                ("segment_id", "=", self.segment["strategic"].id),
            ]
        )
        responsible = self.env["res.users"].create(
            {
                "name": "Rita Responsible",
                "login": "rita_dunning",
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
            }
        )
        archived = self.env["res.users"].create(
            {
                "name": "Archie Archived",
                "login": "archie_dunning",
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
            }
        )
        archived.active = False
        customers = {}
        for name, salesperson in (
            ("Sales Partner AG", self.salesperson),
            ("Archived Partner AG", archived),
            ("Bot Partner AG", False),
        ):
            customers[name] = self._create_customer(
                name, user_id=salesperson and salesperson.id
            )
            self._set_segment(customers[name], "strategic")
            self._invoice(customers[name], 1000.0, "2025-12-01", "2026-01-01")
        # OdooBot as policy responsible is never chosen.
        strategic_policy.responsible_user_id = self.env.ref("base.user_root")
        self.company.dunning_responsible_user_id = False
        # Strategic partners: a personal call at 10 days overdue.
        # (grace 10 days: the call is due at 11 days overdue)
        run, _letter = self._dun("2026-01-12", self.business)
        letters = run.letter_ids
        self.assertEqual(set(letters.mapped("channel")), {"phone"})
        by_customer = {lt.partner_id.name: lt for lt in letters}
        self.assertEqual(by_customer["Sales Partner AG"].user_id, self.salesperson)
        self.assertFalse(by_customer["Archived Partner AG"].user_id)
        self.assertFalse(by_customer["Bot Partner AG"].user_id)
        activities = letters.activity_ids
        self.assertEqual(activities.user_id, self.salesperson)
        self.assertNotIn(self.env.ref("base.user_root"), activities.user_id)
        self.assertIn("Archived Partner AG", run.warning_message)
        self.assertIn("Bot Partner AG", run.warning_message)
        self.assertIn(
            "No responsible for the phone call",
            " ".join(
                run.line_ids.filtered(
                    lambda ln: ln.partner_id == customers["Bot Partner AG"]
                ).mapped("note")
            ),
        )
        # With a company-level dunning responsible the calls go to her.
        self.company.dunning_responsible_user_id = responsible
        self.assertEqual(
            self.Run.with_company(self.company)
            .new({"company_id": self.company.id})
            ._get_responsible(customers["Archived Partner AG"], strategic_policy),
            responsible,
        )
        strategic_policy.responsible_user_id = self.salesperson
        self.assertEqual(
            self.Run.new({"company_id": self.company.id})._get_responsible(
                customers["Bot Partner AG"], strategic_policy
            ),
            self.salesperson,
        )

    def test_uk_debtor_gets_no_court_dunning_announcement(self):
        london = self._create_customer(
            "London Trading Ltd",
            lang="en_US",
            street="1 King Street",
            zip="EC2V 8AU",
            city="London",
            country_id=self.env.ref("base.uk").id,
        )
        self._set_segment(london, "standard")
        invoice = self._invoice(london, 1000.0, "2025-12-01", "2026-01-01")
        self._invoice(self.business, 1000.0, "2025-12-01", "2026-01-01")
        letters = self._ladder(london, invoice)
        final = letters[-1]
        self.assertEqual(self.final.letter_next_step, "court")
        text = self._html(final)
        self.assertNotIn("court dunning", text)
        self.assertNotIn("payment order", text)
        self.assertIn(
            f"Should we not have received your payment of invoice {invoice.name} "
            "by 26/02/2026, we will hand the claim over to a collection agency.",
            text,
        )
        # Letter abroad: with the country line.
        self.assertEqual(
            final._get_letter_address_lines(),
            [
                "London Trading Ltd",
                "1 King Street",
                "London",
                "EC2V 8AU",
                "United Kingdom",
            ],
        )
        # A German debtor at the same level (its letters prepared by the same
        # runs): court dunning, and no country line on a domestic letter.
        german = self.env["account.dunning.letter"].search(
            [("partner_id", "=", self.business.id), ("level_id", "=", self.final.id)]
        )
        self.assertIn("court dunning procedure", self._html(german))
        self.assertEqual(
            german._get_letter_address_lines(),
            ["Business GmbH", "Hauptstraße 1", "10115 Berlin"],
        )
