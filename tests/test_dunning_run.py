from freezegun import freeze_time

from odoo.tests import tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningRun(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.strategic = cls._create_customer("Strategic Partner AG")
        cls.strategic.user_id = cls.salesperson
        cls.newcomer = cls._create_customer("Newcomer GmbH")
        cls.inv_strategic = cls._invoice(cls.strategic, 1000.0, "2026-01-01", "2026-01-31")
        cls.inv_new = cls._invoice(cls.newcomer, 1000.0, "2026-01-01", "2026-01-31")
        cls._set_segment(cls.strategic, "strategic")
        cls._set_segment(cls.newcomer, "new")

    @freeze_time("2026-02-14")
    def test_strategic_gets_call_newcomer_gets_letter(self):
        run = self._run("2026-02-14")
        letters = run.letter_ids
        strategic_letter = letters.filtered(lambda l: l.partner_id == self.strategic)
        new_letter = letters.filtered(lambda l: l.partner_id == self.newcomer)
        self.assertEqual(strategic_letter.channel, "phone")
        self.assertEqual(
            strategic_letter.activity_ids.user_id, self.salesperson,
            "the salesperson is asked to call",
        )
        self.assertEqual(new_letter.channel, "email")
        self.assertEqual(new_letter.level_id.name, "Payment Reminder")
        self.assertEqual(new_letter.state, "ready")
        self.assertEqual(self.inv_new.dunning_level_id, new_letter.level_id)
        self.assertEqual(str(self.inv_new.dunning_last_date), "2026-02-14")
        self.assertEqual(new_letter.line_ids.amount_residual, 1000.0)
