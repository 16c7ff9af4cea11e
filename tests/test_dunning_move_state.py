from datetime import date

from freezegun import freeze_time

from odoo.tests import Form, tagged
from odoo.tools import SQL

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestRunLeavesInvoicesAlone(DunningTestCommon):
    """The run records level and date in the invoices' dunning state, never
    on the invoice rows that accounting updates when a payment comes in."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._create_customer("Lockfree GmbH")
        cls.other = cls._create_customer("Later AG")
        cls._set_segment(cls.customer, "new")
        cls._set_segment(cls.other, "new")
        cls.inv_1 = cls._invoice(cls.customer, 1000.0, "2026-01-01", "2026-01-31")
        cls.inv_2 = cls._invoice(cls.customer, 500.0, "2026-01-05", "2026-02-04")
        # due in March: not overdue on 14 February, not dunned
        cls.inv_later = cls._invoice(cls.other, 300.0, "2026-02-01", "2026-03-03")
        cls.moves = cls.inv_1 | cls.inv_2 | cls.inv_later

    def _row_versions(self):
        """Physical row versions of the invoices and their lines: an UPDATE
        (even of one column, even a HOT update) gives a row a new ctid."""
        self.env.flush_all()
        return self.env.execute_query(
            SQL(
                """
                SELECT 'move', id, ctid::text FROM account_move WHERE id = ANY(%(ids)s)
                 UNION ALL
                SELECT 'line', id, ctid::text FROM account_move_line
                 WHERE move_id = ANY(%(ids)s)
                 ORDER BY 1, 2
                """,
                ids=self.moves.ids,
            )
        )

    @freeze_time("2026-02-14")
    def test_run_writes_state_not_invoices(self):
        before = self._row_versions()
        run = self._run("2026-02-14")
        letter = run.letter_ids
        self.assertEqual(letter.partner_id, self.customer)
        reminder = self._level("new", "Payment Reminder")
        # 14 and 10 days overdue on 14 February: both reach the reminder.
        self.assertRecordValues(
            self.moves,
            [
                {
                    "dunning_level_id": reminder.id,
                    "dunning_last_date": date(2026, 2, 14),
                },
                {
                    "dunning_level_id": reminder.id,
                    "dunning_last_date": date(2026, 2, 14),
                },
                {"dunning_level_id": False, "dunning_last_date": False},
            ],
        )
        self.assertRecordValues(
            self.env["account.dunning.move.state"]
            .search([("move_id", "in", self.moves.ids)])
            .sorted(lambda state: state.move_id.id),
            [
                {"move_id": self.inv_1.id, "level_id": reminder.id},
                {"move_id": self.inv_2.id, "level_id": reminder.id},
            ],
        )
        self.assertEqual(
            self._row_versions(),
            before,
            "the run must not update (and so lock) invoice rows",
        )

    @freeze_time("2026-02-14")
    def test_search_and_group_by_state(self):
        self._run("2026-02-14")
        Move = self.env["account.move"]
        reminder = self._level("new", "Payment Reminder")
        base = [("id", "in", self.moves.ids)]
        self.assertEqual(
            Move.search([*base, ("dunning_level_id", "!=", False)]),
            self.inv_1 | self.inv_2,
        )
        self.assertEqual(
            Move.search([*base, ("dunning_level_id", "=", False)]), self.inv_later
        )
        self.assertEqual(
            Move.search([*base, ("dunning_level_id", "in", [reminder.id, False])]),
            self.moves,
        )
        self.assertEqual(
            Move.search([*base, ("dunning_level_id", "not in", [reminder.id])]),
            self.inv_later,
        )
        self.assertEqual(
            Move.search([*base, ("dunning_last_date", ">=", "2026-02-14")]),
            self.inv_1 | self.inv_2,
        )
        self.assertEqual(
            Move.search([*base, ("dunning_compensation_charged", "=", False)]),
            self.moves,
        )
        # The invoice list's "group by dunning level".
        groups = Move._read_group(base, ["dunning_level_id"], ["__count"])
        self.assertEqual(
            {level: count for level, count in groups},
            {reminder: 2, self.env["account.dunning.level"]: 1},
        )

    @freeze_time("2026-02-14")
    def test_level_change_updates_state_and_next_date(self):
        self._run("2026-02-14")
        reminder = self._level("new", "Payment Reminder")
        self.assertEqual(self.inv_1.dunning_level_id, reminder)
        next_before = self.inv_1.dunning_next_date
        self.assertTrue(next_before)
        # A manager lowers the level: the state row changes, the invoice
        # fields and the next dunning date follow without a stale cache.
        # The manager uses the invoice's "Change Dunning Level" dialog.
        manager = self._dunning_user("lockfree_manager", manager=True)
        action = self.inv_1.with_user(manager).action_dunning_change_level()
        form = Form(
            self.env[action["res_model"]]
            .with_user(manager)
            .with_context(**action["context"])
        )
        self.assertEqual(form.current_level_id, reminder)
        form.mode = "lower"
        self.assertFalse(form.level_id, "lowered to no level: the ladder restarts")
        form.reason = "Customer called"
        form.save().action_apply()
        self.assertFalse(self.inv_1.dunning_level_id)
        state = self.env["account.dunning.move.state"].search(
            [("move_id", "=", self.inv_1.id)]
        )
        self.assertFalse(state.level_id)
        self.assertNotEqual(self.inv_1.dunning_next_date, next_before)
