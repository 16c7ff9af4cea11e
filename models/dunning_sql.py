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

Only stored, non-translated columns of the model's own table may be written
this way (stored computed ones only with the values their compute method
gives, the records removed from their recomputation); constraints written in
Python are not checked (the callers write values the engine computed),
``write_uid``/``write_date`` are set. Rules (groups, states) are checked by
the caller before.
"""

import json

from odoo.tools import SQL

CHUNK = 10000


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
                "UPDATE %(table)s SET %(assignments)s, write_uid = %(uid)s, "
                "write_date = NOW() AT TIME ZONE 'UTC' WHERE id = ANY(%(ids)s)",
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
                uid=records.env.uid,
                ids=list(ids),
            )
        )
    after_sql_write(records, names)


def sql_update_rows(model, vals_by_id):
    """``record.write(vals)`` for every ``{id: vals}`` (values differing per
    record) with one ``UPDATE`` per 10,000 rows, the rows passed as one JSON
    document typed by ``jsonb_to_recordset``."""
    if not vals_by_id:
        return
    names = sorted({name for vals in vals_by_id.values() for name in vals})
    _check_names(model, names)
    model.env.flush_all()
    rows = [dict(vals, id=record_id) for record_id, vals in vals_by_id.items()]
    for start in range(0, len(rows), CHUNK):
        model.env.cr.execute(
            SQL(
                """
                UPDATE %(table)s target
                   SET %(assignments)s, write_uid = %(uid)s,
                       write_date = NOW() AT TIME ZONE 'UTC'
                  FROM jsonb_to_recordset(%(rows)s::jsonb) AS v(id int4, %(columns)s)
                 WHERE target.id = v.id
                """,
                table=SQL.identifier(model._table),
                assignments=SQL(", ").join(
                    SQL("%s = v.%s", SQL.identifier(name), SQL.identifier(name))
                    for name in names
                ),
                uid=model.env.uid,
                rows=json_rows(model, rows[start : start + CHUNK], ["id", *names]),
                columns=json_columns(model, names),
            )
        )
    after_sql_write(model.browse(list(vals_by_id)), names)


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
