"""Letter references: the batch helper of the dunning run gives exactly the
references ``ir.sequence.next_by_code`` gives, never one twice."""

from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import DunningTestCommon

CODE = "account.dunning.letter"


@tagged("post_install", "-at_install")
class TestLetterReferences(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Letter = cls.env["account.dunning.letter"]
        cls.Sequence = cls.env["ir.sequence"]
        cls.shared = cls.env.ref(
            "account_relationship_dunning.seq_account_dunning_letter"
        )

    def _year_ranges(self, sequence, year):
        sequence.invalidate_recordset(["date_range_ids"])
        return sequence.date_range_ids.filtered(
            lambda date_range: date_range.date_from.year == year
        )

    def test_new_year_batch_then_next_by_code(self):
        """A year without a date range: the batch creates it as Odoo does and
        numbers from 1; next_by_code and later batches go on from there."""
        with freeze_time("2031-06-15"):
            self.assertFalse(self._year_ranges(self.shared, 2031))
            names = self.Letter._next_names(self.company, 3)
            # prefix DUN/%(range_year)s/, padding 5, a new range starts at 1
            self.assertEqual(
                names, ["DUN/2031/00001", "DUN/2031/00002", "DUN/2031/00003"]
            )
            self.assertRecordValues(
                self._year_ranges(self.shared, 2031),
                [{"date_from": date(2031, 1, 1), "date_to": date(2031, 12, 31)}],
            )
            self.assertEqual(self.Sequence.next_by_code(CODE), "DUN/2031/00004")
            self.assertEqual(
                self.Letter._next_names(self.company, 2),
                ["DUN/2031/00005", "DUN/2031/00006"],
            )
            self.assertEqual(
                self.Letter._next_names(self.company, 1), ["DUN/2031/00007"]
            )
            self.assertEqual(self.Letter._next_names(self.company, 0), [])
            self.assertEqual(len(self._year_ranges(self.shared, 2031)), 1)

    def test_batch_equals_next_by_code_from_same_state(self):
        """From the same state of the sequence, one batch of five gives the
        five references five next_by_code calls give."""
        with freeze_time("2032-02-29"):
            self.assertEqual(self.Sequence.next_by_code(CODE), "DUN/2032/00001")
            date_range = self._year_ranges(self.shared, 2032)
            # sudo: restarting a sequence is the administrator's setting
            date_range.sudo().number_next_actual = 41
            expected = [self.Sequence.next_by_code(CODE) for _index in range(5)]
            self.assertEqual(
                expected,
                [f"DUN/2032/000{number}" for number in range(41, 46)],
            )
            date_range.sudo().number_next_actual = 41
            self.assertEqual(self.Letter._next_names(self.company, 5), expected)
            self.assertEqual(self.Sequence.next_by_code(CODE), "DUN/2032/00046")

    def test_company_sequences(self):
        """A company with a sequence of its own draws from it, standard
        without date range or without gaps; the others from the shared one."""
        # sudo: companies and sequences are the administrator's settings
        company_b, company_c = (
            self.env["res.company"]
            .sudo()
            .create([{"name": "Letters B"}, {"name": "Letters C"}])
        )
        self.Sequence.sudo().create(
            [
                {
                    "name": "Letters B",
                    "code": CODE,
                    "company_id": company_b.id,
                    "prefix": "B/%(year)s/",
                    "padding": 3,
                },
                {
                    "name": "Letters C",
                    "code": CODE,
                    "company_id": company_c.id,
                    "prefix": "C/%(range_year)s/",
                    "padding": 2,
                    "implementation": "no_gap",
                    "use_date_range": True,
                },
            ]
        )
        with freeze_time("2031-06-15"):
            self.assertEqual(
                self.Letter._next_names(company_b, 3),
                ["B/2031/001", "B/2031/002", "B/2031/003"],
            )
            self.assertEqual(
                self.Sequence.with_company(company_b).next_by_code(CODE),
                "B/2031/004",
            )
            self.assertEqual(
                self.Letter._next_names(company_b, 2), ["B/2031/005", "B/2031/006"]
            )
            self.assertEqual(
                self.Letter._next_names(company_c, 3),
                ["C/2031/01", "C/2031/02", "C/2031/03"],
            )
            self.assertEqual(
                self.Sequence.with_company(company_c).next_by_code(CODE), "C/2031/04"
            )
            self.assertEqual(
                self.Letter._next_names(self.company, 1), ["DUN/2031/00001"]
            )

    def test_batch_query_count_does_not_grow(self):
        """Ten or thirty references cost the same queries (next_by_code
        costs three per reference)."""
        with freeze_time("2031-06-15"):
            self.Letter._next_names(self.company, 1)  # creates the 2031 range

            def queries(count):
                self.env.invalidate_all()
                before = self.cr.sql_log_count
                names = self.Letter._next_names(self.company, count)
                self.assertEqual(len(set(names)), count)
                return self.cr.sql_log_count - before

            self.assertEqual(queries(10), queries(30))

    def test_create_names_one_batch_on_commercial_partners(self):
        """Letters created together get consecutive references of their
        company's sequence, on the customer itself (the commercial partner),
        like every dunning case."""
        customer = self._create_customer("Reference Customer")
        other = self._create_customer("Other Customer")
        contact = self.env["res.partner"].create(
            {"name": "Clara Contact", "parent_id": other.id}
        )
        level = self._level("standard", "Payment Reminder")
        with freeze_time("2031-06-15"):
            letters = self.Letter.sudo().create(
                [
                    {
                        "company_id": self.company.id,
                        "partner_id": partner.id,
                        "policy_id": level.policy_id.id,
                        "level_id": level.id,
                        "channel": "post",
                        "currency_id": self.company.currency_id.id,
                    }
                    for partner in (customer, contact)
                ]
            )
            self.assertRecordValues(
                letters,
                [
                    {"name": "DUN/2031/00001", "partner_id": customer.id},
                    {"name": "DUN/2031/00002", "partner_id": other.id},
                ],
            )
            self.assertEqual(self.Sequence.next_by_code(CODE), "DUN/2031/00003")
