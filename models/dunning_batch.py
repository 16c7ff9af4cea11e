"""One way to process many records so that a broken one never blocks the
others: everything in one savepoint first (fast), and only when that fails,
each item again under its own savepoint (slow, but isolated)."""

import logging

_logger = logging.getLogger(__name__)


def batch_then_one_by_one(env, items, process, on_error):
    """``process(items)`` under one savepoint; when it raises, ``process([item])``
    for each item under its own savepoint, and ``on_error(item, error)`` for
    those that fail again.

    ``items`` is a recordset or a list; ``process`` receives a part of the
    same kind. Returns the list of ``(part, result)`` that succeeded: one pair
    when the batch went through, one per item otherwise.
    """
    if not items:
        return []
    try:
        with env.cr.savepoint():
            return [(items, process(items))]
    except Exception as error:  # noqa: BLE001 - retried one by one just below
        if len(items) == 1:
            on_error(items[0], error)
            return []
        _logger.info(
            "Batch of %s failed (%s): processing the items one by one.",
            len(items),
            error,
        )
    done = []
    for index in range(len(items)):
        part = items[index : index + 1]
        try:
            with env.cr.savepoint():
                done.append((part, process(part)))
        except Exception as error:  # noqa: BLE001 - reported by on_error
            on_error(part[0], error)
    return done
