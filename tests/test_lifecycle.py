from freezegun import freeze_time

from odoo.tests import tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningLifecycle(DunningTestCommon):
    """Block notes instead of tracked invoice fields; default policies of new
    companies copied in one batch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._create_customer("Notiz Handel GmbH")
        cls.invoice = cls._invoice(cls.customer, 1190.0, "2026-01-02", "2026-02-01")

    def _notes(self, invoice):
        return invoice.message_ids.filtered(
            lambda m: (
                m.subtype_id == self.env.ref("mail.mt_note")
                and "dunning" in str(m.body).lower()
            )
        )

    def _queries(self, func):
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        func()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    @freeze_time("2026-02-14")
    def test_block_changes_are_chatter_notes(self):
        user = self._dunning_user()
        # the invoicing test case disables mail tracking and logging; a user's
        # request has them (the notes honour tracking_disable like tracking)
        invoice = self.invoice.with_user(user).with_context(
            tracking_disable=False, mail_notrack=False
        )
        for name in (
            "dunning_blocked_until",
            "dunning_block_reason",
            "dunning_excluded",
        ):
            self.assertFalse(
                self.env["ir.model.fields"]._get("account.move", name).tracking,
                f"{name} is tracked: it could not be uninstalled with an audit trail",
            )
        invoice.write(
            {"dunning_blocked_until": "2026-02-28", "dunning_block_reason": "Rückruf"}
        )
        note = self._notes(self.invoice)
        self.assertEqual(len(note), 1)
        self.assertIn(
            "Dunning blocked until 02/28/2026. Reason: Rückruf", str(note.body)
        )
        self.assertEqual(note.author_id, user.partner_id)
        self.assertFalse(note.tracking_value_ids)
        # the same values again: nothing new to note
        invoice.write({"dunning_blocked_until": "2026-02-28"})
        self.assertEqual(len(self._notes(self.invoice)), 1)
        invoice.write({"dunning_blocked_until": False})
        invoice.dunning_excluded = True
        bodies = " | ".join(str(m.body) for m in self._notes(self.invoice))
        self.assertIn("Dunning block (until 02/28/2026) removed.", bodies)
        self.assertIn("Excluded from dunning.", bodies)
        invoice.dunning_excluded = False
        self.assertIn(
            "Included in dunning again.", str(self._notes(self.invoice)[0].body)
        )
        self.assertEqual(len(self._notes(self.invoice)), 4)

    def test_default_policies_copied_in_one_batch(self):
        Company = self.env["res.company"]
        # sudo: the templates and the new companies' copies are outside the
        # test user's companies (multi-company rules)
        Policy = self.env["account.dunning.policy"].sudo()
        templates = Policy.search(
            [("company_id", "=", self.env.ref("base.main_company").id)]
        )
        self.assertEqual(len(templates), 7)
        self.env["res.lang"]._activate_lang("de_DE")
        templates[0].update_field_translations("name", {"de_DE": "Testrichtlinie"})
        one = Company.create([{"name": "Eine GmbH"}])
        three = Company.create([{"name": f"Drei {n} GmbH"} for n in range(3)])
        for company in one | three:
            copies = Policy.search([("company_id", "=", company.id)])
            self.assertEqual(len(copies), 7)
            self.assertEqual(len(copies.level_ids), 28)
            self.assertEqual(
                sorted(copies.mapped("name")), sorted(templates.mapped("name"))
            )
            # translations are copied too
            copy = copies.filtered(
                lambda p, t=templates[0]: (
                    p.segment_id == t.segment_id and p.customer_type == t.customer_type
                )
            )
            self.assertEqual(copy.with_context(lang="de_DE").name, "Testrichtlinie")
        # the copy costs the same number of queries for one or three companies
        Policy.search([("company_id", "in", (one | three).ids)]).unlink()
        count_one = self._queries(lambda: Policy._create_default_policies(one))
        count_three = self._queries(lambda: Policy._create_default_policies(three))
        self.assertEqual(Policy.search_count([("company_id", "in", three.ids)]), 21)
        # (26: one query more since the copied letter texts are rendered
        # once to check them when they are saved)
        self.assertLessEqual(count_one, 26, "one batch for 7 policies and 28 levels")
        self.assertLessEqual(count_three, count_one + 2)
