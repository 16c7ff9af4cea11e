from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestLimitation(DunningTestCommon):
    """Limitation dates against dates computed by hand.

    An invoice due on 9 April 2025 arose in 2025: the regular period runs
    from 1 January 2026 to 31 December 2028 (§§ 195, 199 BGB).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._use_euro()
        cls.customer = cls._create_customer("Langsam KG")
        cls.mediator = cls.env["res.partner"].create({"name": "IHK Mediation"})
        cls._set_segment(cls.customer, "new")
        cls.invoice = cls._invoice(cls.customer, 1000.0, "2025-03-10", "2025-04-09")

    def assertLimitation(self, invoice, expected, suspended=False):
        invoice.invalidate_recordset(
            ["dunning_limitation_date", "dunning_limitation_suspended"]
        )
        self.assertEqual(
            str(invoice.dunning_limitation_date) if expected else False,
            expected or False,
        )
        self.assertEqual(invoice.dunning_limitation_suspended, suspended)

    def test_plain_claim(self):
        # 31 December of the third year after 2025.
        self.assertLimitation(self.invoice, "2028-12-31")
        # An invoice of late December that falls due in January arises in
        # the following year.
        december = self._invoice(self.customer, 50.0, "2025-12-15", "2026-01-14")
        self.assertLimitation(december, "2029-12-31")

    def test_part_payment_restarts_limitation(self):
        # Paid in the year the claim arose: the regular period has not begun,
        # nothing restarts.
        self._pay(self.invoice, 100.0, "2025-05-02")
        self.assertLimitation(self.invoice, "2028-12-31")
        # Part payment on 15 February 2026: a new 3-year period from 16
        # February 2026 ends on 15 February 2029.
        self._pay(self.invoice, 100.0, "2026-02-15")
        self.assertLimitation(self.invoice, "2029-02-15")
        # Paid in full: no longer watched.
        self._pay(self.invoice, 800.0, "2026-03-01")
        self.assertEqual(self.invoice.payment_state, "paid")
        self.assertLimitation(self.invoice, None)

    def test_mediation_period_suspends_limitation(self):
        # Clarification from 2 March 2026, mediation from 1 April to 15 May
        # 2026: 2 March .. 15 May = 30 + 30 + 15 = 75 days not counted:
        # 31 December 2028 + 75 days = 16 March 2029.
        with freeze_time("2026-03-02"):
            dispute = self._dispute(
                self.customer, self.invoice, mediator_id=self.mediator.id
            )
            dispute.action_clarify()
        self.assertLimitation(self.invoice, None, suspended=True)
        with freeze_time("2026-04-01"):
            dispute.action_start_mediation()
        self.assertLimitation(self.invoice, None, suspended=True)
        with freeze_time("2026-05-15"):
            dispute.action_fail()
        self.assertLimitation(self.invoice, "2029-03-16")

    def test_mediation_near_the_end_adds_three_months(self):
        # Mediation from 1 to 20 December 2028 (20 days): 31 December 2028 +
        # 20 days = 20 January 2029, but limitation ends at the earliest 3
        # months after the mediation ended: 20 March 2029.
        invoice = self.invoice
        with freeze_time("2028-12-01"):
            dispute = self._dispute(
                self.customer, invoice, mediator_id=self.mediator.id
            )
            dispute.action_start_mediation()
        self.assertLimitation(invoice, None, suspended=True)
        with freeze_time("2028-12-20"):
            dispute.action_withdraw()
        self.assertLimitation(invoice, "2029-03-20")

    def test_court_dunning_suspends_limitation(self):
        # Application filed 10 January 2027, proceedings ended 10 February
        # 2027: suspended until 10 August 2027 (6 months later), i.e. 213
        # days: 31 December 2028 + 213 days = 1 August 2029.
        self._send_final_letter(self.customer, self.invoice, "2026-12-01")
        handover = self.env["account.dunning.handover"].create(
            {
                "partner_id": self.customer.id,
                "channel": "court",
                "move_ids": [Command.set(self.invoice.ids)],
            }
        )
        with freeze_time("2027-01-10"):
            handover.action_hand_over()
        self.assertLimitation(self.invoice, None, suspended=True)
        handover.outcome = "partly_paid"
        with freeze_time("2027-02-10"):
            handover.action_close()
        self.assertLimitation(self.invoice, "2029-08-01")

    def test_plan_acknowledgment_restarts_limitation(self):
        # Agreement on 20 May 2026: 3 years from 21 May 2026 end on 20 May 2029.
        plan = self.env["account.dunning.payment.plan"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "move_ids": [Command.set(self.invoice.ids)],
            }
        )
        plan.write({"state": "active", "acknowledgment_date": "2026-05-20"})
        self.env["account.move"]._recompute_dunning_limitation(self.invoice)
        self.assertLimitation(self.invoice, "2029-05-20")

    def test_watch_list_and_monthly_activity_are_idempotent(self):
        # Due in 2023: time-barred after 31 December 2026.
        old_1 = self._invoice(self.customer, 100.0, "2023-03-01", "2023-03-31")
        old_2 = self._invoice(self.customer, 200.0, "2023-06-01", "2023-07-01")
        other = self._create_customer("Andere AG")
        old_3 = self._invoice(other, 300.0, "2023-09-01", "2023-10-01")
        manager = self.env.user
        self.company.dunning_manager_user_id = manager
        Move = self.env["account.move"]
        with freeze_time("2026-11-02"):
            watched = Move.search(
                [
                    ("company_id", "=", self.company.id),
                    ("dunning_limitation_soon", "=", True),
                ]
            )
            self.assertEqual(watched, old_1 + old_2 + old_3)
            self.assertNotIn(self.invoice, watched)
            Move._cron_dunning_limitation_watch()
            Move._cron_dunning_limitation_watch()
        activity_type = self.env.ref(
            "account_relationship_dunning.mail_activity_type_limitation_watch"
        )
        activities = self.env["mail.activity"].search(
            [("activity_type_id", "=", activity_type.id)]
        )
        self.assertEqual(len(activities), 2, "one activity per customer, not per run")
        self.assertEqual(set(activities.mapped("res_id")), {self.customer.id, other.id})
        self.assertEqual(activities.user_id, manager)
        mine = activities.filtered(lambda a: a.res_id == self.customer.id)
        self.assertEqual(str(mine.date_deadline), "2026-12-31")
        self.assertIn("2 claim(s)", mine.summary)
        self.assertIn(old_1.name, mine.note)
        self.assertIn(old_2.name, mine.note)
        self.assertNotIn(self.invoice.name, mine.note)
        # The note (QWeb): the company and one item per invoice.
        self.assertIn(f"Company: {self.company.name}", mine.note)
        self.assertEqual(str(mine.note).count("<li>"), 2)
        self.assertIn("open, time-barred after", mine.note)
