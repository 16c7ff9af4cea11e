"""Claims arithmetic: statutory default interest, flat compensation, fees.

Every expected amount is computed by hand from the base-rate table of the
module data (§ 247 BGB) in the comment next to it:
    interest = principal × (base rate + points) / 100 × days / 365,
    rounded to the currency per segment; the total is the sum of the segments.
"""

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestClaims(DunningTestCommon):
    @classmethod
    def setup_independent_company(cls, **kwargs):
        # A German creditor: company currency EUR, like the € 40 of § 288 (5).
        euro = cls._enable_currency("EUR")
        return super().setup_independent_company(currency_id=euro.id, **kwargs)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.euro = cls.company.currency_id
        cls.BaseRate = cls.env["account.dunning.base.rate"]
        cls.business = cls._create_customer("Business GmbH")
        cls._set_segment(cls.business, "standard")
        cls.policy = cls.env["account.dunning.policy"].search(
            [
                ("company_id", "=", cls.company.id),
                ("segment_id", "=", cls.segment["standard"].id),
                ("customer_type", "=", "all"),
            ]
        )
        cls.levels = cls.policy._get_sorted_levels()
        # Standard ladder: reminder (7 days, no fee, no interest), first
        # letter (21 days, fee 2.50, interest, compensation), second letter
        # (35 days, fee 2.50), final notice (49 days).
        cls.reminder, cls.first_level = cls.levels[0], cls.levels[1]

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _interest(self, invoice, date_to, **kwargs):
        return invoice._get_dunning_interest(self._date(date_to), **kwargs)[invoice.id]

    def _invoice_in(self, currency, partner, amount, invoice_date, due_date):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "currency_id": currency.id,
                "invoice_date": invoice_date,
                "invoice_date_due": due_date,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Consulting",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        move.action_post()
        return move

    def _dun(self, day, partner):
        """Run the engine on ``day``; return the letter of ``partner``."""
        with freeze_time(day):
            run = self._run(day)
        return run.letter_ids.filtered(lambda letter: letter.partner_id == partner)

    def _send(self, letter, day):
        with freeze_time(day):
            letter.action_mark_done()

    def _charge_moves(self, partner):
        return self.env["account.move"].search(
            [
                ("partner_id", "=", partner.id),
                ("dunning_charge_letter_id", "!=", False),
            ],
            order="id",
        )

    # ------------------------------------------------------------------
    # Interest computation
    # ------------------------------------------------------------------
    def test_interest_one_segment(self):
        invoice = self._invoice(self.business, 1000.0, "2024-01-01", "2024-01-31")
        result = self._interest(invoice, "2024-03-31")
        # 1 Feb – 31 Mar 2024 = 29 + 31 = 60 days, all in H1 2024
        # (base 3.62 + 9 = 12.62 %): 1000 × 12.62 / 100 × 60 / 365 = 20.7452
        # → 20.75
        self.assertEqual(result["amount"], 20.75)
        self.assertEqual(result["points"], 9.0)
        self.assertEqual(result["date_from"], date(2024, 2, 1))
        self.assertEqual(
            result["segments"],
            [
                {
                    "date_from": date(2024, 2, 1),
                    "date_to": date(2024, 3, 31),
                    "days": 60,
                    "base_rate": 3.62,
                    "rate": 12.62,
                    "principal": 1000.0,
                    "amount": 20.75,
                }
            ],
        )
        # Nothing before the first interest day.
        self.assertEqual(self._interest(invoice, "2024-01-31")["amount"], 0.0)

    def test_interest_segments_across_half_years_with_negative_base_rate(self):
        invoice = self._invoice(self.business, 10000.0, "2022-11-01", "2022-11-30")
        result = self._interest(invoice, "2023-07-31")
        self.assertEqual(
            [
                (s["date_from"], s["date_to"], s["days"], s["rate"], s["amount"])
                for s in result["segments"]
            ],
            [
                # 1–31 Dec 2022: 31 days at -0.88 + 9 = 8.12 %:
                # 10000 × 8.12 / 100 × 31 / 365 = 68.9644 → 68.96
                (date(2022, 12, 1), date(2022, 12, 31), 31, 8.12, 68.96),
                # 1 Jan – 30 Jun 2023: 181 days at 1.62 + 9 = 10.62 %:
                # 10000 × 10.62 / 100 × 181 / 365 = 526.6356 → 526.64
                (date(2023, 1, 1), date(2023, 6, 30), 181, 10.62, 526.64),
                # 1–31 Jul 2023: 31 days at 3.12 + 9 = 12.12 %:
                # 10000 × 12.12 / 100 × 31 / 365 = 102.9370 → 102.94
                (date(2023, 7, 1), date(2023, 7, 31), 31, 12.12, 102.94),
            ],
        )
        # 68.96 + 526.64 + 102.94 = 698.54
        self.assertEqual(result["amount"], 698.54)

    def test_interest_business_versus_consumer(self):
        consumer = self._create_customer("Erika Mustermann", is_company=False)
        company_as_consumer = self._create_customer(
            "Verein e.V.", dunning_customer_type="consumer"
        )
        person_as_business = self._create_customer(
            "Max Handwerker", is_company=False, dunning_customer_type="b2b"
        )
        invoices = {
            partner: self._invoice(partner, 10000.0, "2022-11-01", "2022-11-30")
            for partner in (
                self.business,
                consumer,
                company_as_consumer,
                person_as_business,
            )
        }
        moves = self.env["account.move"].union(*invoices.values())
        results = moves._get_dunning_interest(date(2023, 7, 31))
        # Business: 9 points, 698.54 (see the test above).
        # Consumer: 5 points:
        #   Dec 2022, 31 days at -0.88 + 5 = 4.12 %: 10000 × 4.12 % × 31/365
        #       = 34.9918 → 34.99
        #   H1 2023, 181 days at 1.62 + 5 = 6.62 %: 10000 × 6.62 % × 181/365
        #       = 328.2795 → 328.28
        #   Jul 2023, 31 days at 3.12 + 5 = 8.12 %: 10000 × 8.12 % × 31/365
        #       = 68.9644 → 68.96
        #   34.99 + 328.28 + 68.96 = 432.23
        expected = {
            self.business: (9.0, 698.54),
            consumer: (5.0, 432.23),
            company_as_consumer: (5.0, 432.23),
            person_as_business: (9.0, 698.54),
        }
        for partner, (points, amount) in expected.items():
            result = results[invoices[partner].id]
            self.assertEqual(
                (result["points"], result["amount"]), (points, amount), partner.name
            )

    def test_part_payment_reduces_principal_from_its_date(self):
        invoice = self._invoice(self.business, 1000.0, "2024-01-01", "2024-01-31")
        self._pay(invoice, 400.0, "2024-03-01")
        result = self._interest(invoice, "2024-03-31")
        self.assertEqual(
            [
                (s["date_from"], s["date_to"], s["days"], s["principal"], s["amount"])
                for s in result["segments"]
            ],
            [
                # 1–29 Feb 2024 (leap year): 29 days on 1000 at 12.62 %:
                # 1000 × 12.62 % × 29 / 365 = 10.0268 → 10.03
                (date(2024, 2, 1), date(2024, 2, 29), 29, 1000.0, 10.03),
                # 1–31 Mar: 31 days on 1000 - 400 = 600:
                # 600 × 12.62 % × 31 / 365 = 6.4310 → 6.43
                (date(2024, 3, 1), date(2024, 3, 31), 31, 600.0, 6.43),
            ],
        )
        # 10.03 + 6.43 = 16.46
        self.assertEqual(result["amount"], 16.46)

    def test_foreign_currency_invoice(self):
        usd = self.setup_other_currency("USD", rates=[("2024-01-01", 1.25)])
        invoice = self._invoice_in(
            usd, self.business, 1000.0, "2024-01-01", "2024-01-31"
        )
        # Interest runs on the USD principal, in USD: 20.75 USD as in
        # test_interest_one_segment (not 20.75 EUR converted).
        self.assertEqual(self._interest(invoice, "2024-03-31")["amount"], 20.75)

        reminder = self._dun("2024-02-07", self.business)
        self._send(reminder, "2024-02-07")
        letter = self._dun("2024-02-21", self.business)
        self.assertEqual(letter.currency_id, usd)
        self.assertRecordValues(
            letter.line_ids,
            [
                {
                    # 1–21 Feb 2024: 21 days: 1000 × 12.62 % × 21 / 365
                    # = 7.2608 → 7.26 USD
                    "interest_amount": 7.26,
                    # EUR 40 × 1.25 USD/EUR = 50.00 USD
                    "compensation_amount": 50.0,
                }
            ],
        )
        self.assertRecordValues(
            letter,
            [
                {
                    # level fee EUR 2.50 × 1.25 = 3.125 → 3.13 USD
                    "fee_amount": 3.13,
                    # credited against the compensation (§ 288 (5) s. 3 BGB)
                    "fee_offset_amount": 3.13,
                    # 1000 + 7.26 + 50.00 + 3.13 − 3.13 = 1057.26 USD
                    "amount_total_due": 1057.26,
                }
            ],
        )

    def test_rounding_to_the_currency(self):
        invoice = self._invoice(self.business, 3650.0, "2025-07-01", "2025-07-31")
        # 1–5 Aug 2025: 5 days at 1.27 + 9 = 10.27 %:
        # 3650 × 10.27 % × 5 / 365 = 5.135 exactly → half-up 5.14 (a plain
        # float round() gives 5.13)
        self.assertEqual(self._interest(invoice, "2025-08-05")["amount"], 5.14)
        jpy = self.setup_other_currency("JPY", rates=[("2024-01-01", 160.0)])
        yen_invoice = self._invoice_in(
            jpy, self.business, 100000.0, "2024-01-01", "2024-01-31"
        )
        # 60 days at 12.62 %: 100000 × 12.62 % × 60 / 365 = 2074.52 → 2075 JPY
        # (the yen has no decimals)
        self.assertEqual(self._interest(yen_invoice, "2024-03-31")["amount"], 2075.0)

    # ------------------------------------------------------------------
    # Letters: compensation, fees, waivers, invoicing
    # ------------------------------------------------------------------
    def test_compensation_per_invoice_versus_per_letter(self):
        big = self._invoice(self.business, 1000.0, "2024-01-01", "2024-01-31")
        small = self._invoice(self.business, 500.0, "2024-01-01", "2024-01-31")
        reminder = self._dun("2024-02-07", self.business)
        self._send(reminder, "2024-02-07")
        letter = self._dun("2024-02-21", self.business)
        # Default policy setting: EUR 40 per invoice.
        self.assertEqual(self.policy.compensation_mode, "invoice")
        self.assertEqual(letter.line_ids.mapped("compensation_amount"), [40.0, 40.0])
        self.assertRecordValues(
            letter,
            [
                {
                    "letter_compensation_amount": 0.0,
                    # 2 × 40
                    "amount_compensation": 80.0,
                    # interest 1–21 Feb (21 days at 12.62 %):
                    # 1000 × 12.62 % × 21/365 = 7.2608 → 7.26
                    # 500 × 12.62 % × 21/365 = 3.6304 → 3.63
                    "amount_interest": 10.89,
                    # 1500 + 10.89 + 80 + 2.50 − 2.50 (fee credited
                    # against the compensation) = 1590.89
                    "amount_total_due": 1590.89,
                }
            ],
        )
        self.policy.compensation_mode = "letter"
        letter.action_compute_claims()
        self.assertEqual(letter.line_ids.mapped("compensation_amount"), [0.0, 0.0])
        self.assertRecordValues(
            letter,
            [
                {
                    "letter_compensation_amount": 40.0,
                    "amount_compensation": 40.0,
                    # 1500 + 10.89 + 40 + 2.50 − 2.50 = 1550.89
                    "amount_total_due": 1550.89,
                }
            ],
        )
        # Owed once: the sent letter covered both invoices; a later letter
        # claims it again only for an invoice that is new to the claim.
        self._send(letter, "2024-02-21")
        newer = self._invoice(self.business, 200.0, "2024-02-01", "2024-02-15")
        second = self._dun("2024-03-06", self.business)
        self.assertEqual(second.line_ids.move_id, big + small + newer)
        self.assertEqual(second.letter_compensation_amount, 40.0)
        self.policy.compensation_mode = "invoice"
        second.action_compute_claims()
        self.assertEqual(
            second.line_ids.mapped("compensation_amount"), [0.0, 0.0, 40.0]
        )
        self.assertEqual(second.letter_compensation_amount, 0.0)

    def test_no_compensation_for_consumers(self):
        consumer = self._create_customer("Erika Mustermann", is_company=False)
        self._set_segment(consumer, "standard")
        self._invoice(consumer, 1000.0, "2024-01-01", "2024-01-31")
        # Consumer ladder: reminder at 10 days, first letter at 28 days.
        reminder = self._dun("2024-02-10", consumer)
        self._send(reminder, "2024-02-10")
        letter = self._dun("2024-02-28", consumer)
        self.assertEqual(letter.level_id.name, "First Dunning Letter")
        self.assertRecordValues(
            letter.line_ids,
            [
                {
                    # A consumer is in default only once the reminder of
                    # 10 Feb was received (10 Feb + 3 days delivery): from
                    # 14 Feb to 28 Feb = 15 days at 3.62 + 5 = 8.62 %:
                    # 1000 × 8.62 % × 15 / 365 = 3.5425 → 3.54
                    "interest_amount": 3.54,
                    "interest_points": 5.0,
                    "compensation_amount": 0.0,
                }
            ],
        )
        self.assertEqual(letter.letter_compensation_amount, 0.0)

    def test_no_fee_on_first_letter(self):
        # Even a configured fee is never charged on the letter that first
        # puts the customer in default.
        self.reminder.fee_amount = 2.5
        self._invoice(self.business, 1000.0, "2024-01-01", "2024-01-31")
        reminder = self._dun("2024-02-07", self.business)
        self.assertEqual(reminder.level_id, self.reminder)
        self.assertRecordValues(
            reminder,
            [
                {
                    "is_first_letter": True,
                    "fee_amount": 0.0,
                    "amount_interest": 0.0,
                    "amount_compensation": 0.0,
                    "amount_total_due": 1000.0,
                }
            ],
        )
        self._send(reminder, "2024-02-07")
        letter = self._dun("2024-02-21", self.business)
        self.assertEqual(letter.level_id, self.first_level)
        self.assertRecordValues(
            letter,
            [
                {
                    "is_first_letter": False,
                    "fee_amount": 2.5,
                    # 1–21 Feb: 1000 × 12.62 % × 21 / 365 = 7.2608 → 7.26
                    "amount_interest": 7.26,
                    "amount_compensation": 40.0,
                    # the EUR 40 covers the fee (§ 288 (5) sentence 3 BGB)
                    "fee_offset_amount": 2.5,
                    # 1000 + 7.26 + 40 + 2.50 − 2.50 = 1047.26
                    "amount_total_due": 1047.26,
                }
            ],
        )

    def test_charges_invoiced_once_next_letter_charges_new_period(self):
        self.policy.charge_invoice = True
        invoice = self._invoice(self.business, 1000.0, "2024-01-01", "2024-01-31")
        reminder = self._dun("2024-02-07", self.business)
        self._send(reminder, "2024-02-07")
        # The reminder claims nothing: no charges invoice.
        self.assertFalse(reminder.charge_move_id)

        letter = self._dun("2024-02-21", self.business)
        self._send(letter, "2024-02-21")
        charges = letter.charge_move_id
        self.assertRecordValues(
            charges,
            [
                {
                    "state": "posted",
                    "move_type": "out_invoice",
                    "partner_id": self.business.id,
                    "invoice_date": date(2024, 2, 21),
                    "invoice_date_due": date(2024, 3, 2),
                    "dunning_charge_letter_id": letter.id,
                    # 7.26 interest + 40 compensation (the 2.50 fee is
                    # credited against the compensation) = 47.26
                    "amount_total": 47.26,
                    "amount_tax": 0.0,
                }
            ],
        )
        self.assertEqual(charges.invoice_line_ids.mapped("price_unit"), [7.26, 40.0])
        self.assertIn("Default interest on", charges.invoice_line_ids[0].name)
        self.assertRecordValues(
            invoice,
            [
                {
                    "dunning_interest_charged_until": date(2024, 2, 21),
                    "dunning_compensation_charged": True,
                }
            ],
        )
        # Sending again (e-mail, then batch print) charges nothing more.
        with freeze_time("2024-02-22"):
            letter._on_done()
        self.assertEqual(self._charge_moves(self.business), charges)

        second = self._dun("2024-03-06", self.business)
        line = second.line_ids.filtered(lambda ln: ln.move_id == invoice)
        charges_line = second.line_ids.filtered(lambda ln: ln.move_id == charges)
        self.assertRecordValues(
            line,
            [
                {
                    # Only the new days: 22 Feb – 6 Mar 2024 = 8 + 6 = 14 days:
                    # 1000 × 12.62 % × 14 / 365 = 4.8405 → 4.84
                    "interest_date_from": date(2024, 2, 22),
                    "interest_date_to": date(2024, 3, 6),
                    "interest_amount": 4.84,
                    # the compensation was invoiced already
                    "compensation_amount": 0.0,
                }
            ],
        )
        # The charges invoice (due 2 Mar) is listed, without interest on
        # interest (§ 289 BGB) and without compensation.
        self.assertRecordValues(
            charges_line,
            [
                {
                    "amount_residual": 47.26,
                    "interest_amount": 0.0,
                    "compensation_amount": 0.0,
                }
            ],
        )
        # 1000 + 47.26 + 4.84 + 2.50 fee − 2.50 credited (40 − 2.50 of
        # compensation left) = 1052.10
        self.assertEqual(second.amount_total_due, 1052.10)
        self._send(second, "2024-03-06")
        self.assertEqual(
            second.charge_move_id.invoice_line_ids.mapped("price_unit"), [4.84]
        )
        self.assertEqual(len(self._charge_moves(self.business)), 2)
        self.assertEqual(invoice.dunning_interest_charged_until, date(2024, 3, 6))

    def test_overlapping_unsent_letters_never_charge_twice(self):
        self.policy.charge_invoice = True
        invoice = self._invoice(self.business, 1000.0, "2024-01-01", "2024-01-31")
        reminder = self._dun("2024-02-07", self.business)
        self._send(reminder, "2024-02-07")
        first = self._dun("2024-02-21", self.business)  # left unsent
        second = self._dun("2024-03-06", self.business)
        self._send(second, "2024-03-06")
        # 1 Feb – 6 Mar 2024 = 29 + 6 = 35 days: 1000 × 12.62 % × 35 / 365
        # = 12.1014 → 12.10; + 40 compensation (the 2.50 fee is credited
        # against it)
        self.assertEqual(
            second.charge_move_id.invoice_line_ids.mapped("price_unit"),
            [12.1, 40.0],
        )
        # The older letter would claim 1–21 Feb and the compensation again:
        # sent later, it is dated that day and its claims recomputed, so it
        # claims only what was not invoiced yet.
        self._send(first, "2024-03-07")
        self.assertEqual(first.date, date(2024, 3, 7))
        self.assertRecordValues(
            first.line_ids,
            [
                {
                    # 7 Mar only: 1000 × 12.62 % × 1 / 365 = 0.3458 → 0.35
                    "interest_date_from": date(2024, 3, 7),
                    "interest_amount": 0.35,
                    "compensation_amount": 0.0,
                }
            ],
        )
        # fee 2.50 credited against the rest of the EUR 40 (37.50)
        self.assertEqual(first.fee_offset_amount, 2.5)
        self.assertEqual(
            first.charge_move_id.invoice_line_ids.mapped("price_unit"), [0.35]
        )
        self.assertEqual(invoice.dunning_interest_charged_until, date(2024, 3, 7))

    def test_waived_charges_shown_not_claimed(self):
        strategic = self.env["account.dunning.policy"].search(
            [
                ("company_id", "=", self.company.id),
                ("segment_id", "=", self.segment["strategic"].id),
            ]
        )
        self.assertRecordValues(
            strategic,
            [{"waive_interest": True, "waive_compensation": True, "waive_fees": True}],
        )
        self.policy.write({"waive_interest": True, "charge_invoice": True})
        invoice = self._invoice(self.business, 1000.0, "2024-01-01", "2024-01-31")
        reminder = self._dun("2024-02-07", self.business)
        self._send(reminder, "2024-02-07")
        letter = self._dun("2024-02-21", self.business)
        self.assertRecordValues(
            letter,
            [
                {
                    "interest_waived": True,
                    "compensation_waived": False,
                    "fees_waived": False,
                    # shown: 1000 × 12.62 % × 21 / 365 = 7.26
                    "amount_interest": 7.26,
                    "amount_waived": 7.26,
                    # 40 + 2.50 − 2.50 (fee credited against the EUR 40)
                    "amount_charges": 40.0,
                    # 1000 + 40 (interest waived)
                    "amount_total_due": 1040.0,
                }
            ],
        )
        # The letter shows the waived interest and takes it off the total.
        rows = letter._get_claim_rows()
        self.assertEqual(
            [row["amount"] for row in rows], [7.26, 40.0, 2.5, -2.5, -7.26]
        )
        self.assertAlmostEqual(
            letter.amount_residual + sum(row["amount"] for row in rows),
            letter.amount_total_due,
        )
        self._send(letter, "2024-02-21")
        self.assertEqual(letter.charge_move_id.amount_total, 40.0)
        self.assertEqual(
            letter.charge_move_id.invoice_line_ids.mapped("price_unit"), [40.0]
        )
        # Waived interest was not charged: nothing recorded as invoiced.
        self.assertFalse(invoice.dunning_interest_charged_until)

    def test_handover_leaves_out_waived_and_invoiced_charges(self):
        debtor = self._create_customer("Schuldner GmbH")
        self._set_segment(debtor, "standard")
        invoice = self._invoice(debtor, 1000.0, "2026-01-05", "2026-02-04")
        waived = self._send_final_letter(
            debtor, invoice, "2026-03-10", fee=2.5, compensation=40.0
        )
        # sudo: waivers, charges and invoiced interest are engine output.
        waived.sudo().compensation_waived = True
        invoiced = self._send_final_letter(debtor, invoice, "2026-03-20", fee=5.0)
        charges = self._invoice(debtor, 5.0, "2026-03-20", "2026-03-30")
        invoiced.sudo().charge_move_id = charges
        invoice.sudo().dunning_interest_charged_until = date(2026, 3, 20)
        handover = self.env["account.dunning.handover"].create(
            {
                "partner_id": debtor.id,
                "company_id": self.company.id,
                "channel": "court",
                "move_ids": [Command.set(invoice.ids)],
            }
        )
        with freeze_time("2026-04-01"):
            handover.action_hand_over()
        # Only the first letter's fee: its compensation was waived, the second
        # letter's fee is in its charges invoice.
        self.assertEqual(
            [(cost.letter_id, cost.kind, cost.amount) for cost in handover.cost_ids],
            [(waived, "fee", 2.5)],
        )
        # Interest up to 20 Mar was invoiced: the claim runs from 21 Mar.
        self.assertEqual(handover.line_ids.interest_date_from, date(2026, 3, 21))

    def test_interest_from_first_letter_policy(self):
        self.policy.interest_start = "letter"
        invoice = self._invoice(self.business, 1000.0, "2024-01-01", "2024-01-31")
        # No letter sent yet: no default, no interest.
        self.assertEqual(self._interest(invoice, "2024-02-21")["amount"], 0.0)
        reminder = self._dun("2024-02-07", self.business)
        self._send(reminder, "2024-02-07")
        result = self._interest(invoice, "2024-02-21")
        # From the day after the reminder: 8–21 Feb = 14 days:
        # 1000 × 12.62 % × 14 / 365 = 4.8405 → 4.84
        self.assertEqual(result["date_from"], date(2024, 2, 8))
        self.assertEqual(result["amount"], 4.84)
        letter = self._dun("2024-02-21", self.business)
        self.assertRecordValues(
            letter.line_ids,
            [
                {
                    "interest_date_from": date(2024, 2, 8),
                    "interest_amount": 4.84,
                    # in default since the reminder
                    "compensation_amount": 40.0,
                }
            ],
        )

    def test_breakdown_and_frozen_amounts(self):
        invoice = self._invoice(self.business, 1000.0, "2024-05-01", "2024-05-31")
        self._pay(invoice, 250.0, "2024-07-11")
        reminder = self._dun("2024-06-07", self.business)
        self._send(reminder, "2024-06-07")
        # First letter 14 days later would be 21 Jun; run on 15 Jul instead.
        letter = self._dun("2024-07-15", self.business)
        line = letter.line_ids
        # 1–30 Jun: 30 days on 1000 at 3.62 + 9 = 12.62 %:
        #     1000 × 12.62 % × 30 / 365 = 10.3726 → 10.37
        # 1–10 Jul: 10 days on 1000 at 3.37 + 9 = 12.37 %:
        #     1000 × 12.37 % × 10 / 365 = 3.3890 → 3.39
        # 11–15 Jul: 5 days on 750 at 12.37 %: 750 × 12.37 % × 5 / 365
        #     = 1.2709 → 1.27
        # 10.37 + 3.39 + 1.27 = 15.03
        breakdown = letter._get_interest_breakdown()[line.id]
        self.assertEqual(
            [
                (s["date_from"], s["days"], s["principal"], s["amount"])
                for s in breakdown
            ],
            [
                (date(2024, 6, 1), 30, 1000.0, 10.37),
                (date(2024, 7, 1), 10, 1000.0, 3.39),
                (date(2024, 7, 11), 5, 750.0, 1.27),
            ],
        )
        self.assertEqual(line.interest_amount, 15.03)
        self.assertIn("12.37", line.interest_breakdown)
        # The breakdown table (QWeb): a header row and one row per period.
        self.assertEqual(str(line.interest_breakdown).count("<tr>"), 4)
        self.assertIn("Principal Claim", line.interest_breakdown)
        self.assertIn("750.00", line.interest_breakdown)
        self._send(letter, "2024-07-15")
        self.assertTrue(letter.claims_frozen)
        # A later correction of the base rate does not change a sent letter.
        self.env.ref("account_relationship_dunning.base_rate_2024_07_01").rate = 4.0
        with self.assertRaises(UserError):
            letter.action_compute_claims()
        with self.assertRaises(UserError):
            letter.write({"fee_amount": 0.0})
        with self.assertRaises(UserError):
            line.write({"interest_amount": 0.0})
        self.assertEqual(line.interest_amount, 15.03)
        self.assertEqual(letter.fee_amount, 2.5)
        self.assertEqual(letter._get_interest_breakdown()[line.id], breakdown)

    # ------------------------------------------------------------------
    # Base-rate table and bad input
    # ------------------------------------------------------------------
    def test_base_rate_duplicate_date_refused(self):
        count = self.BaseRate.search_count([])
        with self.assertRaises(ValidationError) as caught:
            self.BaseRate.create({"date_from": "2024-01-01", "rate": 9.99})
        self.assertIn("already a base rate", str(caught.exception))
        with self.assertRaises(ValidationError) as caught:
            self.BaseRate.create(
                [
                    {"date_from": "2026-07-01", "rate": 1.0},
                    {"date_from": "2026-07-01", "rate": 1.1},
                ]
            )
        self.assertIn("cannot both be valid", str(caught.exception))
        row = self.env.ref("account_relationship_dunning.base_rate_2025_01_01")
        with self.assertRaises(ValidationError) as caught:
            row.date_from = date(2025, 7, 1)
        self.assertIn("already a base rate", str(caught.exception))
        self.assertEqual(self.BaseRate.search_count([]), count)
        self.assertEqual(row.date_from, date(2025, 1, 1))
        self.assertEqual(
            self.env.ref("account_relationship_dunning.base_rate_2024_01_01").rate,
            3.62,
        )
        # A user reads the table but cannot change it.
        user = new_test_user(
            self.env,
            login="dunning_clerk",
            groups="account_relationship_dunning.group_dunning_user",
            company_id=self.company.id,
        )
        self.assertEqual(row.with_user(user).rate, 2.27)
        with self.assertRaises(AccessError):
            self.BaseRate.with_user(user).create({"date_from": "2026-07-01", "rate": 1})

    def test_interest_period_before_first_base_rate(self):
        early = self._create_customer("Early GmbH")
        late = self._create_customer("Late GmbH")
        self._set_segment(early, "standard")
        self._set_segment(late, "standard")
        # Interest from 21 Jun 2016, before the first row (1 Jul 2016).
        early_invoice = self._invoice(early, 1000.0, "2016-06-01", "2016-06-20")
        self._invoice(late, 1000.0, "2016-06-01", "2016-06-30")
        with self.assertRaises(UserError) as caught:
            self._interest(early_invoice, "2016-07-21")
        self.assertIn("earliest base rate", str(caught.exception))

        with freeze_time("2016-07-07"):
            run = self._run("2016-07-07")
            run.letter_ids.action_mark_done()
        with freeze_time("2016-07-21"):
            run = self._run("2016-07-21")
        early_letter = run.letter_ids.filtered(lambda lt: lt.partner_id == early)
        late_letter = run.letter_ids.filtered(lambda lt: lt.partner_id == late)
        # The other customer's letter is computed normally:
        # 1–21 Jul 2016: 21 days at -0.88 + 9 = 8.12 %:
        # 1000 × 8.12 % × 21 / 365 = 4.6718 → 4.67
        self.assertEqual(late_letter.amount_interest, 4.67)
        self.assertIn("earliest base rate", early_letter.claims_error)
        with self.assertRaises(UserError) as caught:
            self._send(early_letter, "2016-07-21")
        self.assertIn("could not be computed", str(caught.exception))
        self.assertEqual(early_letter.state, "ready")
        # Once the manager enters the missing rate the letter can go out.
        self.BaseRate.create({"date_from": "2016-01-01", "rate": -0.83})
        early_letter.action_compute_claims()
        # 21–30 Jun: 10 days at -0.83 + 9 = 8.17 %: 1000 × 8.17 % × 10 / 365
        #     = 2.2384 → 2.24
        # 1–21 Jul: 21 days at 8.12 %: 4.67 (above)
        # 2.24 + 4.67 = 6.91
        self.assertFalse(early_letter.claims_error)
        self.assertEqual(early_letter.amount_interest, 6.91)
        self._send(early_letter, "2016-07-21")
        self.assertEqual(early_letter.state, "done")

    def test_cron_reminds_managers_once_per_half_year(self):
        activity_type = self.env.ref(
            "account_relationship_dunning.mail_activity_type_base_rate"
        )

        def reminders():
            return self.env["mail.activity"].search(
                [("activity_type_id", "=", activity_type.id)]
            )

        # The row of 1 Jul 2026 is not shipped (not confirmed).
        with freeze_time("2026-08-15"):
            self.BaseRate._cron_check_current_rate()
            self.BaseRate._cron_check_current_rate()
        managers = self.env.ref(
            "account_relationship_dunning.group_dunning_manager"
        ).users.filtered(lambda user: user.active and not user.share)
        self.assertIn(self.env.user, managers)
        self.assertEqual(reminders().user_id, managers)
        self.assertEqual(len(reminders()), len(managers), "one per manager")
        self.assertEqual(set(reminders().mapped("date_deadline")), {date(2026, 7, 1)})
        self.BaseRate.create({"date_from": "2026-07-01", "rate": 1.27})
        with freeze_time("2026-08-16"):
            self.BaseRate._cron_check_current_rate()
        self.assertFalse(reminders())
