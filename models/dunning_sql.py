"""Writing with SQL where the ORM is too slow, in one place.

A dunning run writes tens of thousands of rows (letter lines and their
claims, the invoices' dunning state, the customers' last dunning date). Going
through ``write()`` record by record costs most of a large run, so these
writes are single SQL statements. Skipping the ORM must not leave it wrong:

1. pending ORM writes are flushed first, so the statement sees them and a
   later flush cannot overwrite what it wrote;
2. afterwards the written fields of the records are invalidated in the cache,
   so the next read gets the new values from the database;
3. the records are marked as modified on those fields, so stored computed
   fields depending on them (e.g. the letters' totals, from their lines) are
   recomputed and non-stored ones are invalidated, as after ``write()``.

``sql_insert_rows`` creates rows the same way: defaults filled in as by
``create()``, the new records marked as created (their stored computed fields
not given are computed, fields depending on them recomputed).

Only stored, non-translated columns of the model's own table may be written
this way (stored computed ones only with the values their compute method
gives, the records removed from their recomputation); constraints written in
Python are not checked (the callers write values the engine computed),
``write_uid``/``write_date`` are set (on models that have them). Rules
(groups, states) are checked by the caller before.
"""

import json

from odoo import models
from odoo.tools import SQL

CHUNK = 10000


def _log_update(model):
    """The assignments of ``write_uid``/``write_date``, if ``model`` has them."""
    if not model._log_access:
        return SQL()
    return SQL(", write_uid = %s, write_date = NOW() AT TIME ZONE 'UTC'", model.env.uid)


def _check_names(model, names):
    for name in names:
        field = model._fields[name]
        if not field.store or not field.column_type or field.translate:
            raise ValueError(f"{model._name}.{name} cannot be written with SQL")


def sql_update(records, vals):
    """``records.write(vals)`` with one ``UPDATE`` (the same values for all)."""
    if not records or not vals:
        return
    names = sorted(vals)
    _check_names(records, names)
    records.env.flush_all()
    for start in range(0, len(records), CHUNK):
        ids = records._ids[start : start + CHUNK]
        records.env.cr.execute(
            SQL(
                "UPDATE %(table)s SET %(assignments)s%(log)s WHERE id = ANY(%(ids)s)",
                table=SQL.identifier(records._table),
                assignments=SQL(", ").join(
                    SQL(
                        "%s = %s",
                        SQL.identifier(name),
                        records._fields[name].convert_to_column(
                            vals[name], records, validate=False
                        ),
                    )
                    for name in names
                ),
                log=_log_update(records),
                ids=list(ids),
            )
        )
    after_sql_write(records, names)


def sql_update_rows(model, vals_by_id):
    """``record.write(vals)`` for every ``{id: vals}`` (values differing per
    record) with one ``UPDATE`` per 10,000 rows, the rows passed as one JSON
    document typed by ``jsonb_to_recordset``. Records whose ``vals`` name
    other fields are written by an UPDATE of their own (a field missing
    from ``vals`` is left as it is, not emptied)."""
    groups = {}
    for record_id, vals in vals_by_id.items():
        groups.setdefault(tuple(sorted(vals)), {})[record_id] = vals
    for names, group in groups.items():
        if names:
            _sql_update_rows(model, list(names), group)


def _sql_update_rows(model, names, vals_by_id):
    _check_names(model, names)
    model.env.flush_all()
    rows = [dict(vals, id=record_id) for record_id, vals in vals_by_id.items()]
    for start in range(0, len(rows), CHUNK):
        model.env.cr.execute(
            SQL(
                """
                UPDATE %(table)s target
                   SET %(assignments)s%(log)s
                  FROM jsonb_to_recordset(%(rows)s::jsonb) AS v(id int4, %(columns)s)
                 WHERE target.id = v.id
                """,
                table=SQL.identifier(model._table),
                assignments=SQL(", ").join(
                    SQL("%s = v.%s", SQL.identifier(name), SQL.identifier(name))
                    for name in names
                ),
                log=_log_update(model),
                rows=json_rows(model, rows[start : start + CHUNK], ["id", *names]),
                columns=json_columns(model, names),
            )
        )
    after_sql_write(model.browse(list(vals_by_id)), names)


def sql_insert_rows(model, rows):
    """``model.create(rows)`` for rows of stored columns, with one ``INSERT``
    per 10,000 rows (the rows passed as one JSON document typed by
    ``jsonb_to_recordset``); columns not given get their default as with
    ``create()``. Returns the new records in the order of ``rows``. Overrides
    of ``create()`` are not called: the caller does what they would do."""
    if not rows:
        return model.browse()
    given = {name for row in rows for name in row}
    defaults = model.default_get(
        [
            name
            for name, field in model._fields.items()
            if field.store
            and field.column_type
            and not field.compute
            and name not in given
            and name not in models.MAGIC_COLUMNS
        ]
    )
    names = sorted(given | set(defaults))
    _check_names(model, names)
    model.env.flush_all()
    rows = [{**defaults, **row} for row in rows]
    log_names, log_values = SQL(), SQL()
    if model._log_access:
        log_names = SQL(", create_uid, create_date, write_uid, write_date")
        log_values = SQL(
            ", %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'",
            uid=model.env.uid,
        )
    ids = []
    for start in range(0, len(rows), CHUNK):
        # RETURNING gives the ids in the order the rows were inserted, which
        # is the order of the document (a plain scan of the function).
        ids += [
            record_id
            for (record_id,) in model.env.execute_query(
                SQL(
                    """
                    INSERT INTO %(table)s (%(names)s%(log_names)s)
                    SELECT %(names)s%(log_values)s
                      FROM jsonb_to_recordset(%(rows)s::jsonb) AS v(%(columns)s)
                 RETURNING id
                    """,
                    table=SQL.identifier(model._table),
                    names=SQL(", ").join(map(SQL.identifier, names)),
                    log_names=log_names,
                    log_values=log_values,
                    rows=json_rows(model, rows[start : start + CHUNK], names),
                    columns=json_columns(model, names),
                )
            )
        ]
    records = model.browse(ids)
    # As create(): the one2many fields listing the records are read again
    # (e.g. the run's letters), stored computed fields not given are
    # computed, and the fields depending on the new records too. The
    # many2one values are known: marking the dependents reads them from the
    # cache instead of fetching the new rows again.
    for name in names:
        field = model._fields[name]
        for inverse in model.pool.field_inverses[field]:
            model.env[inverse.model_name].invalidate_model([inverse.name])
        if field.type == "many2one":
            model.env.cache.update(
                records, field, [row.get(name) or None for row in rows]
            )
    for field in model._fields.values():
        if field.store and field.compute and field.name not in names:
            model.env.add_to_compute(field, records)
    records.modified(names, create=True)
    # Stored computed fields given (e.g. a stored related field) hold the
    # value their compute method gives (see above): not computed again
    # because the fields they depend on were just marked as modified.
    for name in names:
        field = model._fields[name]
        if field.compute:
            model.env.remove_to_compute(field, records)
    return records


def new_in_cache(model, vals_list):
    """New records (not in the database) holding ``vals_list``, as
    ``new()`` makes them but with one cache update per field for the whole
    batch: the dunning run computes the claims of its letters in memory and
    inserts each row once. Fields not given read as empty."""
    records = model.browse([models.NewId() for _vals in vals_list])
    cache_values(records, vals_list)
    return records


def cache_values(records, vals_list):
    """Put the values ``vals_list`` (one dict per record) in the cache, one
    update per field (fields missing from a dict: empty): for new records, or
    for records whose non-stored fields are being computed."""
    for name in {name for vals in vals_list for name in vals}:
        field = records._fields[name]
        records.env.cache.update(
            records,
            field,
            [
                field.convert_to_cache(vals.get(name, False), records, validate=False)
                for vals in vals_list
            ],
        )


def after_sql_write(records, names):
    """Steps 2 and 3 above, for a write with SQL of ``names`` on ``records``."""
    records.invalidate_recordset(names)
    records.modified(names)


def json_columns(model, names):
    """``SQL`` column definitions ``name type`` for jsonb_to_recordset."""
    return SQL(", ").join(
        SQL("%s %s", SQL.identifier(name), SQL(model._fields[name].column_type[1]))
        for name in names
    )


def json_rows(model, rows, names):
    """The rows as a JSON array (dates as ISO strings, False as null for
    anything but booleans)."""
    types = {name: model._fields[name].type for name in names}
    return json.dumps(
        [
            {
                name: (
                    None
                    if (row.get(name) is False and types[name] != "boolean")
                    or (types[name] == "json" and not row.get(name))
                    else row.get(name)
                )
                for name in names
            }
            for row in rows
        ],
        default=str,
    )
