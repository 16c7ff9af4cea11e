"""Large runs: letter lines created and their claims written in bulk, and the
sent letters read without a SQL join (see _get_dunning_letter_rows)."""

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningRunBulk(DunningTestCommon):
    @classmethod
    def setup_independent_company(cls, **kwargs):
        # A German creditor: company currency EUR, like the € 40 of § 288 (5).
        euro = cls._enable_currency("EUR")
        return super().setup_independent_company(currency_id=euro.id, **kwargs)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.business = cls._create_customer("Bulk Business GmbH")
        cls._set_segment(cls.business, "standard")
        cls.big = cls._invoice(cls.business, 1000.0, "2024-01-01", "2024-01-25")
        cls.small = cls._invoice(cls.business, 500.0, "2024-01-01", "2024-01-20")

    def _dun(self, day):
        with freeze_time(day):
            run = self._run(day)
        return run.letter_ids.filtered(lambda lt: lt.partner_id == self.business)

    def _send(self, letter, day):
        with freeze_time(day):
            letter.action_mark_done()

    def test_lines_and_totals_of_a_run(self):
        letter = self._dun("2024-02-07")
        # Read back from the database, not from the cache the run filled.
        self.env.invalidate_all()
        # Ordered by due date: small (due 20 Jan, 18 days overdue on 7 Feb),
        # big (due 25 Jan, 13 days overdue).
        self.assertRecordValues(
            letter.line_ids,
            [
                {
                    "move_id": self.small.id,
                    "move_name": self.small.name,
                    "company_id": self.company.id,
                    "currency_id": letter.currency_id.id,
                    "amount_total": 500.0,
                    "amount_paid": 0.0,
                    "amount_residual": 500.0,
                    "days_overdue": 18,
                    "escalated": True,
                    "level_id": letter.level_id.id,
                    "previous_level_id": False,
                    "interest_segments": False,
                },
                {
                    "move_id": self.big.id,
                    "move_name": self.big.name,
                    "company_id": self.company.id,
                    "currency_id": letter.currency_id.id,
                    "amount_total": 1000.0,
                    "amount_paid": 0.0,
                    "amount_residual": 1000.0,
                    "days_overdue": 13,
                    "escalated": True,
                    "level_id": letter.level_id.id,
                    "previous_level_id": False,
                    "interest_segments": False,
                },
            ],
        )
        # Who created the lines and when is the letter's (the lines have no
        # user and date columns of their own): set by the bulk insert as by
        # create().
        self.assertEqual(letter.create_uid, self.env.user)
        self.assertTrue(letter.create_date)
        self.assertFalse(letter.line_ids._log_access)
        # The stored totals were recomputed after the bulk insert:
        # 500 + 1000 = 1500, no interest, fee or compensation on a reminder.
        self.assertRecordValues(
            letter,
            [
                {
                    "invoice_count": 2,
                    "amount_residual": 1500.0,
                    "amount_total_due": 1500.0,
                }
            ],
        )
        self.assertEqual(self.big.dunning_level_id, letter.level_id)

    def test_claims_written_in_bulk(self):
        reminder = self._dun("2024-02-07")
        self._send(reminder, "2024-02-07")
        letter = self._dun("2024-02-21")
        self.env.invalidate_all()
        self.assertRecordValues(
            letter.line_ids,
            [
                {
                    "move_id": self.small.id,
                    # 21 Jan – 21 Feb 2024 = 11 + 21 = 32 days at 3.62 + 9 =
                    # 12.62 %: 500 × 12.62 % × 32 / 365 = 5.5321 → 5.53
                    "interest_amount": 5.53,
                    "interest_points": 9.0,
                    "compensation_amount": 40.0,
                },
                {
                    "move_id": self.big.id,
                    # 26 Jan – 21 Feb 2024 = 6 + 21 = 27 days at 12.62 %:
                    # 1000 × 12.62 % × 27 / 365 = 9.3353 → 9.34
                    "interest_amount": 9.34,
                    "interest_points": 9.0,
                    "compensation_amount": 40.0,
                },
            ],
        )
        self.assertEqual(
            letter.line_ids[1].interest_segments,
            [
                {
                    "date_from": "2024-01-26",
                    "date_to": "2024-02-21",
                    "days": 27,
                    "base_rate": 3.62,
                    "rate": 12.62,
                    "principal": 1000.0,
                    "amount": 9.34,
                }
            ],
        )
        self.assertRecordValues(
            letter,
            [
                {
                    # 5.53 + 9.34 = 14.87
                    "amount_interest": 14.87,
                    # 2 × 40
                    "amount_compensation": 80.0,
                    # Not the first letter (the reminder of 7 Feb was): the
                    # level's fee 2.50 is owed, but it is a collection cost
                    # the 80.00 compensation claimed now for the same two
                    # invoices already covers (§ 288 (5) sentence 3 BGB):
                    # credited min(2.50, 80.00) = 2.50, net fee 0.00.
                    "fee_amount": 2.5,
                    "fee_offset_amount": 2.5,
                    # 1500 + 14.87 + 80 + 2.50 - 2.50 = 1594.87
                    "amount_total_due": 1594.87,
                }
            ],
        )

    def test_letters_inserted_with_claims_and_totals(self):
        """The run computes claims and totals in memory and inserts each
        letter once: what is stored is what the form's computation gives."""
        reminder = self._dun("2024-02-07")
        self._send(reminder, "2024-02-07")
        letter = self._dun("2024-02-21")
        self.env.invalidate_all()
        stored = {name: letter[name] for name in letter._get_amount_values()[letter]}
        # Same as test_claims_written_in_bulk: 1500 open + 14.87 interest
        # + 80 compensation + 2.50 fee - 2.50 credited = 1594.87.
        self.assertEqual(stored["amount_total_due"], 1594.87)
        self.assertEqual(stored, letter._get_amount_values()[letter])
        self.assertEqual(letter.tone, letter.level_id.tone)
        self.assertTrue(letter.name.startswith("DUN/"), letter.name)
        self.assertFalse(letter.is_first_letter)
        # Nobody follows the run's letters (not the user who ran it).
        self.assertFalse(letter.message_follower_ids)
        # The run lists its letters and the letter its lines at once.
        self.assertIn(letter, letter.run_id.letter_ids)
        self.assertEqual(letter.line_ids.move_id, self.small | self.big)

    def test_bulk_write_keeps_fields_not_named(self):
        """Lines written with different fields each: a field a line's values
        do not name keeps its value (it is not emptied)."""
        letter = self._dun("2024-02-07")
        small_line, big_line = letter.line_ids
        letter.line_ids._bulk_write(
            {
                small_line: {"interest_amount": 5.0, "compensation_amount": 40.0},
                big_line: {"interest_amount": 7.0},
            }
        )
        letter.line_ids._bulk_write({big_line: {"compensation_amount": 40.0}})
        letter.line_ids._bulk_write(
            {small_line: {"compensation_amount": 0.0}, big_line: {"days_overdue": 14}}
        )
        self.env.invalidate_all()
        self.assertRecordValues(
            small_line | big_line,
            [
                {
                    "interest_amount": 5.0,
                    "compensation_amount": 0.0,
                    "days_overdue": 18,
                },
                {
                    "interest_amount": 7.0,
                    "compensation_amount": 40.0,
                    "days_overdue": 14,
                },
            ],
        )

    def test_bulk_write_refuses_sent_letters(self):
        reminder = self._dun("2024-02-07")
        self._send(reminder, "2024-02-07")
        with self.assertRaises(UserError):
            reminder.line_ids._bulk_write(
                {line: {"interest_amount": 1.0} for line in reminder.line_ids}
            )

    def test_sent_letters_read_per_invoice(self):
        moves = self.big + self.small
        reminder = self._dun("2024-02-07")
        # Not sent yet: nobody is in default, nothing was claimed.
        self.assertEqual(moves._get_dunning_first_letter_dates(), {})
        self._send(reminder, "2024-02-07")
        self.assertEqual(
            moves._get_dunning_first_letter_dates(),
            {
                self.big.id: self._date("2024-02-07"),
                self.small.id: self._date("2024-02-07"),
            },
        )
        # The reminder claims no compensation.
        self.assertEqual(moves._get_dunning_compensation_claimed(), set())
        letter = self._dun("2024-02-21")
        self._send(letter, "2024-02-21")
        self.assertEqual(
            moves._get_dunning_compensation_claimed(), {self.big.id, self.small.id}
        )
        # The letter's own lines can be left out (letters being sent).
        self.assertEqual(
            moves._get_dunning_compensation_claimed(exclude_letters=letter), set()
        )
        # The first letter stays the reminder of 7 February.
        self.assertEqual(
            moves._get_dunning_first_letter_dates()[self.big.id],
            self._date("2024-02-07"),
        )
