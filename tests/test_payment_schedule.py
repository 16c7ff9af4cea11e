from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import BaseCase, tagged

from ..models.payment_schedule import (
    add_period,
    check_schedule_params,
    prepare_schedule,
)

TODAY = date(2025, 1, 10)


def translate(source, **kwargs):
    return source % kwargs if kwargs else source


def params(**values):
    return {
        "schedule_mode": "count",
        "installment_number": 3,
        "installment_amount": 0.0,
        "frequency": "monthly",
        "first_due_date": date(2025, 1, 31),
        "down_payment": 0.0,
        "interest_rate": 0.0,
        **values,
    }


@tagged("post_install", "-at_install")
class TestPaymentSchedule(BaseCase):
    """The pure schedule arithmetic shared by the plan and its wizard, against
    values computed by hand (rounding 0.01)."""

    def schedule(self, base_amount, start=TODAY, **values):
        rows = prepare_schedule(
            params(**values), base_amount, 0.01, start, TODAY, translate
        )
        return [
            (
                row["sequence"],
                row["due_date"],
                row["principal_amount"],
                row["interest_amount"],
                row["amount"],
                row["is_down_payment"],
            )
            for row in rows
        ]

    def test_count_last_installment_absorbs_rounding(self):
        # 1,000.00 / 3 = 333.33; the last one 1,000.00 - 666.66 = 333.34.
        # Monthly from 31 January: 28 February (no 31st), 31 March.
        self.assertEqual(
            self.schedule(1000.0),
            [
                (1, date(2025, 1, 31), 333.33, 0.0, 333.33, False),
                (2, date(2025, 2, 28), 333.33, 0.0, 333.33, False),
                (3, date(2025, 3, 31), 333.34, 0.0, 333.34, False),
            ],
        )

    def test_amount_mode_with_down_payment_and_interest(self):
        # 1,000.00 - 100.00 down = 900.00 in installments of 400.00: 400, 400,
        # 100 (three). The down payment is due on the first date, the
        # installments weekly after it. Interest 10 % p.a. from 10 January:
        # 100.00 * 0.10 * 21/365 = 0.575... -> 0.58 (31 Jan);
        # 400.00 * 0.10 * 28/365 = 3.068... -> 3.07 (7 Feb);
        # 400.00 * 0.10 * 35/365 = 3.835... -> 3.84 (14 Feb);
        # 100.00 * 0.10 * 42/365 = 1.150... -> 1.15 (21 Feb).
        self.assertEqual(
            self.schedule(
                1000.0,
                schedule_mode="amount",
                installment_amount=400.0,
                frequency="weekly",
                down_payment=100.0,
                interest_rate=10.0,
            ),
            [
                (1, date(2025, 1, 31), 100.0, 0.58, 100.58, True),
                (2, date(2025, 2, 7), 400.0, 3.07, 403.07, False),
                (3, date(2025, 2, 14), 400.0, 3.84, 403.84, False),
                (4, date(2025, 2, 21), 100.0, 1.15, 101.15, False),
            ],
        )

    def test_quarterly_periods(self):
        self.assertEqual(
            add_period(date(2025, 11, 30), "quarterly", 1), date(2026, 2, 28)
        )
        self.assertEqual(
            add_period(date(2025, 11, 30), "monthly", 3), date(2026, 2, 28)
        )
        self.assertEqual(
            add_period(date(2025, 11, 30), "weekly", 2), date(2025, 12, 14)
        )

    def test_invalid_terms(self):
        cases = {
            "no open amount": (0.0, {}),
            "at least 1": (100.0, {"installment_number": 0}),
            "greater than zero": (100.0, {"schedule_mode": "amount"}),
            "due date of the first": (100.0, {"first_due_date": False}),
            "in the past": (100.0, {"first_due_date": date(2025, 1, 9)}),
            "cannot be negative": (100.0, {"down_payment": -1.0}),
            "smaller than the amount": (100.0, {"down_payment": 100.0}),
            "interest rate cannot": (100.0, {"interest_rate": -0.5}),
        }
        for message, (amount, values) in cases.items():
            with (
                self.subTest(message),
                self.assertRaisesRegex(ValidationError, message),
            ):
                check_schedule_params(params(**values), amount, 0.01, TODAY, translate)
        # The first due date may be today.
        check_schedule_params(
            params(first_due_date=TODAY), 100.0, 0.01, TODAY, translate
        )

    def test_too_many_installments(self):
        # 121 installments of 1.00 exceed the maximum of 120.
        with self.assertRaisesRegex(ValidationError, "at most 120"):
            self.schedule(121.0, schedule_mode="amount", installment_amount=1.0)
        self.assertEqual(
            len(self.schedule(120.0, schedule_mode="amount", installment_amount=1.0)),
            120,
        )
