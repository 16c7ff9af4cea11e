"""Limitation arithmetic (§§ 195, 199, 203, 204, 209, 212 BGB), pure Python.

- A claim becomes time-barred at the end of 31 December of the third year after
  the year it arose (§§ 195, 199): the regular period runs from 1 January of
  the following year.
- A suspension (§ 209) is not counted: every suspended day inside the running
  period moves the end by one day (the first and the last day of a suspension
  both count). Negotiations and mediation (§ 203) end it at the earliest 3
  months after they end; a court dunning application (§ 204 (2)) suspends it
  until 6 months after the proceedings end.
- An acknowledgment (§ 212: payment-plan agreement, part payment) before the
  claim is time-barred restarts a full 3-year period from the next day, so the
  new end is the same calendar day 3 years later (§ 188 (2); 29 February falls
  back to 28 February). Acknowledgments before the regular period began do not
  restart it.

``limitation_end`` returns the last day on which the claim can still be
enforced, or ``None`` while an open-ended suspension lasts.
"""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

# § 203 sentence 2 BGB: limitation ends at the earliest 3 months after the end.
MONTHS_AFTER_END = {"negotiation": 3, "mediation": 3}
# § 204 (2) BGB: the suspension itself lasts until 6 months after the end.
MONTHS_SUSPENSION_EXTENDED = {"court": 6}
ONE_DAY = timedelta(days=1)


def merge_suspensions(suspensions):
    """Merge ``(start, end or None, kind)`` periods into sorted, disjoint
    ``(start, end or None, earliest_end or None)`` periods."""
    periods = []
    for start, end, kind in suspensions:
        earliest_end = None
        if end is not None:
            end += relativedelta(months=MONTHS_SUSPENSION_EXTENDED.get(kind, 0))
            if kind in MONTHS_AFTER_END:
                earliest_end = end + relativedelta(months=MONTHS_AFTER_END[kind])
        periods.append((start, end, earliest_end))
    periods.sort(key=lambda period: period[0])
    merged = []
    for start, end, earliest_end in periods:
        if merged:
            last_start, last_end, last_earliest = merged[-1]
            if last_end is None or start <= last_end + ONE_DAY:
                merged[-1] = (
                    last_start,
                    None if last_end is None or end is None else max(last_end, end),
                    max(filter(None, (last_earliest, earliest_end)), default=None),
                )
                continue
        merged.append((start, end, earliest_end))
    return merged


def _extend(start, end, periods, until=None):
    """End of the period ``start``..``end`` moved by the suspended days from
    ``start`` on (only those up to ``until`` when given)."""
    for period_start, period_end, earliest_end in periods:
        if until is not None and period_start > until:
            break
        first = max(period_start, start)
        if first > end:
            break  # time-barred before this suspension began
        last = period_end
        if until is not None and (last is None or last > until):
            last, earliest_end = until, None
        if last is None:
            return None
        if last >= first:
            end += timedelta(days=(last - first).days + 1)
        if earliest_end:
            end = max(end, earliest_end)
    return end


def limitation_end(arose, acknowledgments=(), suspensions=()):
    """Last day before a claim that arose on ``arose`` is time-barred.

    :param date arose: the day the claim arose (became due)
    :param acknowledgments: dates of acknowledgments (part payments, plans)
    :param suspensions: ``(start, end or None, kind)`` with ``kind`` one of
        ``negotiation``, ``mediation``, ``court``
    :return: a date, or ``None`` while a suspension without end lasts
    """
    periods = merge_suspensions(suspensions)
    start = date(arose.year + 1, 1, 1)
    end = date(arose.year + 3, 12, 31)
    for acknowledged in sorted(set(acknowledgments)):
        if acknowledged < start:
            continue
        end_so_far = _extend(start, end, periods, until=acknowledged)
        if end_so_far is not None and acknowledged > end_so_far:
            break  # already time-barred: an acknowledgment does not revive it
        start = acknowledged + ONE_DAY
        end = acknowledged + relativedelta(years=3)
    return _extend(start, end, periods)
