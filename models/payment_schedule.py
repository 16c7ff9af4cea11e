"""Installment schedule of a payment plan, pure Python.

Used by the payment plan and by the wizard that offers one: both pass the
plan terms as a dict (``SCHEDULE_PARAMS``), the amount to spread, the
currency's rounding, the date interest runs from and today.

- ``count`` mode splits the amount after the down payment into that many
  equal installments; ``amount`` mode uses installments of that amount and as
  many as needed. The last installment absorbs the rounding, so the principal
  parts add up to the amount exactly.
- The down payment (if any) is due on the first due date; the installments
  follow weekly, monthly or quarterly (the 31st falls back to the month's
  last day).
- Simple interest per year on each installment's principal from the start
  date to its due date (days / 365).

Errors are raised as ``ValidationError`` with texts translated by the
caller's ``translate`` (``env._``).
"""

import math
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo.exceptions import ValidationError
from odoo.tools.float_utils import float_compare, float_round

FREQUENCIES = [
    ("weekly", "Weekly"),
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
]
SCHEDULE_MODES = [
    ("count", "Number of installments"),
    ("amount", "Installment amount"),
]
MAX_INSTALLMENTS = 120
# The terms a schedule is built from: fields of the plan and of the wizard.
SCHEDULE_PARAMS = (
    "schedule_mode",
    "installment_number",
    "installment_amount",
    "frequency",
    "first_due_date",
    "down_payment",
    "interest_rate",
)


def schedule_params(record):
    """The ``SCHEDULE_PARAMS`` of ``record`` (a plan or a wizard) as a dict."""
    return {name: record[name] for name in SCHEDULE_PARAMS}


def add_period(first_date, frequency, index):
    """Due date of the ``index``-th period (0 = ``first_date``)."""
    if frequency == "weekly":
        return first_date + timedelta(weeks=index)
    months = 3 if frequency == "quarterly" else 1
    return first_date + relativedelta(months=months * index)


def check_schedule_params(params, base_amount, rounding, today, translate):
    """Raise a ``ValidationError`` for terms that cannot make a schedule."""
    _ = translate

    def compare(value1, value2):
        return float_compare(value1, value2, precision_rounding=rounding)

    if compare(base_amount, 0.0) <= 0:
        raise ValidationError(_("There is no open amount to spread over a plan."))
    if params["schedule_mode"] == "count" and params["installment_number"] < 1:
        raise ValidationError(_("The number of installments must be at least 1."))
    if (
        params["schedule_mode"] == "amount"
        and compare(params["installment_amount"] or 0.0, 0.0) <= 0
    ):
        raise ValidationError(_("The installment amount must be greater than zero."))
    if not params["first_due_date"]:
        raise ValidationError(_("Please set the due date of the first installment."))
    if params["first_due_date"] < today:
        raise ValidationError(
            _(
                "The first installment cannot be due in the past "
                "(%(date)s is before today).",
                date=params["first_due_date"],
            )
        )
    down_payment = params["down_payment"] or 0.0
    if compare(down_payment, 0.0) < 0:
        raise ValidationError(_("The down payment cannot be negative."))
    if compare(down_payment, base_amount) >= 0:
        raise ValidationError(
            _("The down payment must be smaller than the amount of the plan.")
        )
    if (params["interest_rate"] or 0.0) < 0:
        raise ValidationError(_("The interest rate cannot be negative."))


def prepare_schedule(params, base_amount, rounding, start_date, today, translate):
    """Installment values (``sequence``, ``due_date``, ``principal_amount``,
    ``interest_amount``, ``amount``, ``is_down_payment``) for ``base_amount``
    under ``params``; amounts rounded to ``rounding``."""
    _ = translate
    check_schedule_params(params, base_amount, rounding, today, translate)

    def rnd(value):
        return float_round(value, precision_rounding=rounding)

    base_amount = rnd(base_amount)
    down_payment = rnd(params["down_payment"] or 0.0)
    rest = rnd(base_amount - down_payment)
    if params["schedule_mode"] == "count":
        count = params["installment_number"]
        regular = rnd(rest / count)
    else:
        regular = rnd(params["installment_amount"])
        count = math.ceil(round(rest / regular, 6))
    if count + (1 if down_payment else 0) > MAX_INSTALLMENTS:
        raise ValidationError(
            _(
                "A payment plan can have at most %(max)s installments.",
                max=MAX_INSTALLMENTS,
            )
        )
    principals = [regular] * (count - 1)
    principals.append(rnd(rest - sum(principals)))
    if float_compare(principals[-1], 0.0, precision_rounding=rounding) <= 0:
        raise ValidationError(
            _(
                "The installments do not fit the amount: choose fewer "
                "installments or a smaller installment amount."
            )
        )
    first = params["first_due_date"]
    offset = 1 if down_payment else 0
    rows = []
    if down_payment:
        rows.append((down_payment, first, True))
    rows += [
        (principal, add_period(first, params["frequency"], offset + index), False)
        for index, principal in enumerate(principals)
    ]
    rate = params["interest_rate"] or 0.0
    vals_list = []
    for sequence, (principal, due_date, is_down) in enumerate(rows, start=1):
        days = max((due_date - start_date).days, 0)
        interest = rnd(principal * rate / 100.0 * days / 365.0)
        vals_list.append(
            {
                "sequence": sequence,
                "due_date": due_date,
                "principal_amount": principal,
                "interest_amount": interest,
                "amount": rnd(principal + interest),
                "is_down_payment": is_down,
            }
        )
    return vals_list
