"""Per-invoice dunning state, kept apart from the invoices.

A dunning run decides on thousands of invoices in one long transaction. When
it wrote the level and the dunning date onto ``account_move``, those rows
stayed locked until the run committed, and accountants registering a payment
on one of them (which updates the same rows) waited and then failed with a
serialization failure, or made the run fail. The state lives here instead,
one row per invoice, written only through ``_write_states`` in set-based
statements; the invoice fields ``dunning_level_id``, ``dunning_last_date``,
``dunning_interest_charged_until`` and ``dunning_compensation_charged`` are
computed from it (see ``account_move_dunning_state.py``).
"""

from odoo import api, fields, models
from odoo.tools import SQL

from . import dunning_sql

# Invoice field -> column of the state table.
MOVE_STATE_FIELDS = {
    "dunning_level_id": "level_id",
    "dunning_last_date": "last_date",
    "dunning_interest_charged_until": "interest_charged_until",
    "dunning_compensation_charged": "compensation_charged",
}


class AccountDunningMoveState(models.Model):
    _name = "account.dunning.move.state"
    _inherit = ["account.dunning.engine.record"]
    _description = "Dunning State of an Invoice"
    _rec_name = "move_id"
    _order = "id"

    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    level_id = fields.Many2one(
        "account.dunning.level",
        string="Dunning Level",
        index="btree_not_null",
        ondelete="set null",
    )
    last_date = fields.Date(string="Last Dunning Date")
    interest_charged_until = fields.Date(string="Interest Invoiced Until")
    compensation_charged = fields.Boolean(string="Flat Compensation Invoiced")

    _sql_constraints = [
        (
            "move_unique",
            "UNIQUE(move_id)",
            "An invoice has one dunning state.",
        ),
    ]

    def _get_engine_only_message(self):
        return self.env._(
            "The dunning state of invoices is written by the dunning process only."
        )

    @api.model
    def _write_states(self, move_ids, vals, only_if_last_date=None):
        """The one place where the dunning state of invoices is written (an
        upsert, the state-table variant of ``dunning_sql.sql_update``).

        Sets ``vals`` (``{column: value}``, columns of this table) on the
        states of the invoices ``move_ids`` with one set-based statement,
        creating the missing states; with ``only_if_last_date``, only states
        whose ``last_date`` is that date are changed (none are created).

        It writes with SQL, skipping the ORM's per-record work, and never
        writes ``account_move``: the rows that accounting updates when a
        payment is registered stay unlocked. Callers check the rules (group,
        state of the letter) before. The ORM is kept right: pending writes
        are flushed first, then the cached states and the invoice fields
        computed from them are invalidated and their dependents (e.g. the
        next dunning date) marked as modified.
        """
        move_ids = sorted({move_id for move_id in move_ids if move_id})
        if not move_ids or not vals:
            return
        names = sorted(vals)
        self.env.flush_all()
        if only_if_last_date is not None:
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE account_dunning_move_state
                       SET %(assignments)s, write_uid = %(uid)s,
                           write_date = NOW() AT TIME ZONE 'UTC'
                     WHERE move_id = ANY(%(moves)s) AND last_date = %(date)s
                    """,
                    assignments=SQL(", ").join(
                        SQL("%s = %s", SQL.identifier(name), vals[name] or None)
                        for name in names
                    ),
                    uid=self.env.uid,
                    moves=move_ids,
                    date=only_if_last_date,
                )
            )
        else:
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO account_dunning_move_state
                        (move_id, company_id, %(columns)s, create_uid,
                         create_date, write_uid, write_date)
                    SELECT m.id, m.company_id, %(values)s, %(uid)s,
                           NOW() AT TIME ZONE 'UTC', %(uid)s,
                           NOW() AT TIME ZONE 'UTC'
                      FROM account_move m
                     WHERE m.id = ANY(%(moves)s)
                    ON CONFLICT (move_id) DO UPDATE
                       SET %(assignments)s, write_uid = EXCLUDED.write_uid,
                           write_date = EXCLUDED.write_date
                    """,
                    columns=SQL(", ").join(map(SQL.identifier, names)),
                    values=SQL(", ").join(
                        SQL(
                            "%s::%s",
                            self._state_value(name, vals[name]),
                            SQL(self._fields[name].column_type[1]),
                        )
                        for name in names
                    ),
                    assignments=SQL(", ").join(
                        SQL(
                            "%s = EXCLUDED.%s",
                            SQL.identifier(name),
                            SQL.identifier(name),
                        )
                        for name in names
                    ),
                    uid=self.env.uid,
                    moves=move_ids,
                )
            )
        self._invalidate_states(move_ids, names)

    def _state_value(self, name, value):
        if self._fields[name].type == "boolean":
            return bool(value)
        if self._fields[name].type == "many2one":
            return value.id if isinstance(value, models.BaseModel) else value or None
        return value or None

    @api.model
    def _invalidate_states(self, move_ids, names):
        """After a write with SQL: drop cached states and invoice fields of
        ``move_ids`` and mark what depends on them as modified."""
        move_fields = [
            fname for fname, column in MOVE_STATE_FIELDS.items() if column in names
        ]
        self.invalidate_model()
        moves = self.env["account.move"].browse(move_ids)
        moves.invalidate_recordset(["dunning_state_ids"])
        dunning_sql.after_sql_write(moves, move_fields)
