from datetime import timedelta

from odoo.tests import HttpCase, tagged

from .common import DunningPortalCommon


@tagged("post_install", "-at_install")
class TestPortalTours(DunningPortalCommon, HttpCase):
    """The customer's dunning page in a real browser (Chromium)."""

    def test_token_holder_tour(self):
        self.start_tour(f"/d/{self.token}", "dunning_portal_token_tour")
        plan = self.env["account.dunning.payment.plan"].search(
            [("partner_id", "=", self.customer.id)]
        )
        # 1,200 in 3 installments of 400 >= 100 minimum, 3 <= 6: agreed
        self.assertRecordValues(
            plan,
            [{"state": "active", "portal_review": False, "amount_total": 1200.0}],
        )
        self.assertEqual(plan.move_ids, self.inv_old)
        self.assertEqual(plan.installment_ids.mapped("amount"), [400.0] * 3)
        dispute = self.env["account.dunning.dispute"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertRecordValues(
            dispute,
            [
                {
                    "state": "open",
                    "reason": "quality",
                    "amount_disputed": 600.0,
                    "description": "Goods arrived damaged",
                }
            ],
        )
        self.assertEqual(
            self._blocked("account.dunning.dispute", self.inv_mid), {self.inv_mid.id}
        )
        promise = self.env["account.dunning.promise"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertRecordValues(
            promise,
            [
                {
                    "state": "open",
                    "amount": 300.0,
                    "date_promised": self.today + timedelta(days=7),
                }
            ],
        )
        self.assertEqual(promise.move_ids, self.inv_new)
        self.assertEqual(
            self._blocked("account.dunning.promise", self.inv_new), {self.inv_new.id}
        )

    def test_portal_user_tour(self):
        self.start_tour("/my", "dunning_portal_user_tour", login=self.portal_user.login)
        plan = self.env["account.dunning.payment.plan"].search(
            [("partner_id", "=", self.customer.id)]
        )
        # 12 installments > 6 allowed: proposed for review, with an activity
        self.assertRecordValues(
            plan,
            [{"state": "proposed", "portal_review": True, "installment_count": 12}],
        )
        self.assertEqual(plan.activity_ids.user_id, self.dunning_manager)
        # the promise above the open amount was refused: nothing recorded
        self.assertFalse(
            self.env["account.dunning.promise"].search(
                [("partner_id", "=", self.customer.id)]
            )
        )
