"""The dunning fields of invoices that the dunning process writes, read from
their own table (``account.dunning.move.state``) so that a dunning run never
updates, and so never locks, the invoice rows accountants work on."""

from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from . import dunning_sql
from .account_dunning_move_state import MOVE_STATE_FIELDS


class AccountMove(models.Model):
    _inherit = "account.move"

    dunning_state_ids = fields.One2many(
        "account.dunning.move.state", "move_id", readonly=True
    )

    @api.depends(
        "dunning_state_ids.level_id",
        "dunning_state_ids.last_date",
        "dunning_state_ids.interest_charged_until",
        "dunning_state_ids.compensation_charged",
    )
    def _compute_dunning_state(self):
        # Read with one query and assigned one field at a time for all
        # invoices: a dunning run computes these fields for thousands of
        # invoices, and reading the state records and assigning four fields
        # invoice by invoice cost a tenth of a run over 5,000 invoices. The
        # state is engine data: the invoice fields computed from it carry
        # their own groups (account_move_dunning_guard.py), so the query
        # applies no access rules of the state table.
        State = self.env["account.dunning.move.state"]
        State.flush_model(["move_id", *MOVE_STATE_FIELDS.values()])
        move_ids = [move_id for move_id in self._origin.ids if move_id]
        rows = {}
        if move_ids:
            rows = {
                row[0]: row[1:]
                for row in self.env.execute_query(
                    SQL(
                        "SELECT move_id, %s FROM account_dunning_move_state"
                        " WHERE move_id = ANY(%s)",
                        SQL(", ").join(map(SQL.identifier, MOVE_STATE_FIELDS.values())),
                        move_ids,
                    )
                )
            }
        empty = (False,) * len(MOVE_STATE_FIELDS)
        # the records are being computed (protected): what assigning the
        # values would do, one cache update per field for all of them
        dunning_sql.cache_values(
            self,
            [
                {
                    name: value or False
                    for name, value in zip(
                        MOVE_STATE_FIELDS, rows.get(move._origin.id, empty), strict=True
                    )
                }
                for move in self
            ],
        )

    def _inverse_dunning_state(self):
        """Writes of these fields (level changes, reverting a cancelled
        letter, recording invoiced charges) go to the state table, grouped
        by value: one statement per distinct set of values. Only the values
        in the cache are written: the ones just assigned (reading the others
        would recompute them all and overwrite the assigned ones)."""
        cache = self.env.cache
        groups = defaultdict(list)
        for move in self.filtered("id"):
            vals = tuple(
                (column, cache.get(move, self._fields[fname]))
                for fname, column in MOVE_STATE_FIELDS.items()
                if cache.contains(move, self._fields[fname])
            )
            if vals:
                groups[vals].append(move.id)
        State = self.env["account.dunning.move.state"]
        for vals, move_ids in groups.items():
            State._write_states(move_ids, dict(vals))

    # ------------------------------------------------------------------
    # Search, group by and order on the state columns
    # ------------------------------------------------------------------
    def _search_dunning_level_id(self, operator, value):
        return self._search_dunning_state("level_id", operator, value)

    def _search_dunning_last_date(self, operator, value):
        return self._search_dunning_state("last_date", operator, value)

    def _search_dunning_interest_charged_until(self, operator, value):
        return self._search_dunning_state("interest_charged_until", operator, value)

    def _search_dunning_compensation_charged(self, operator, value):
        return self._search_dunning_state("compensation_charged", operator, value)

    def _search_dunning_state(self, column, operator, value):
        """Domain on invoices for ``(column, operator, value)`` on their
        state; invoices without a state have no level, no date, nothing
        charged (they match ``= False``)."""
        negations = {
            "!=": "=",
            "not in": "in",
            "not like": "like",
            "not ilike": "ilike",
            "not =like": "=like",
            "not =ilike": "=ilike",
        }
        if operator in negations:
            return [
                "!",
                *self._search_dunning_state(column, negations[operator], value),
            ]
        # sudo: the state is engine data; reading it is governed by the
        # groups of the invoice fields searched on.
        State = self.env["account.dunning.move.state"].sudo()

        def moves_where(domain):
            query = State._search(domain)
            return query.subselect(SQL.identifier(query.table, "move_id"))

        if operator == "=" and not value:
            return [("id", "not in", moves_where([(column, "!=", False)]))]
        if operator == "in" and isinstance(value, list | tuple | set):
            values = list(value)
            present = [v for v in values if v is not False and v is not None]
            terms = []
            if present:
                terms.append([("id", "in", moves_where([(column, "in", present)]))])
            if len(present) < len(values):
                terms.append([("id", "not in", moves_where([(column, "!=", False)]))])
            if not terms:
                return [("id", "in", [])]
            if len(terms) == 1:
                return terms[0]
            return ["|", *terms[0], *terms[1]]
        return [("id", "in", moves_where([(column, operator, value)]))]

    def _field_to_sql(self, alias, fname, query=None, flush=True):
        """Group by and order by the state columns (the analysis views and
        the invoice list group by level) with a subquery on the state."""
        column = MOVE_STATE_FIELDS.get(fname)
        if column:
            self.check_field_access_rights("read", [fname])
            return SQL(
                "(SELECT s.%s FROM account_dunning_move_state s WHERE s.move_id = %s)",
                SQL.identifier(column),
                SQL.identifier(alias, "id"),
            )
        return super()._field_to_sql(alias, fname, query, flush)
