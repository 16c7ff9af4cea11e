import psycopg2

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningConfiguration(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls._level("standard", "Payment Reminder").policy_id

    def test_shipped_policies_per_company(self):
        policies = self.env["account.dunning.policy"].search(
            [("company_id", "=", self.company.id)]
        )
        self.assertEqual(
            set(policies.segment_id.mapped("code")),
            {"strategic", "established", "standard", "new", "at_risk"},
        )
        self.assertEqual(set(policies.mapped("customer_type")), {"all", "consumer"})
        for policy in policies:
            levels = policy._get_sorted_levels()
            self.assertEqual(len(levels), 4)
            self.assertTrue(levels[-1].is_final)
            self.assertTrue(
                levels[-1].approval_required or policy.segment_id.code == "at_risk"
            )
            # German practice: no fee on the reminder.
            self.assertEqual(levels[0].fee_amount, 0.0)
        strategic = policies.filtered(lambda p: p.segment_id.code == "strategic")
        first = strategic._get_sorted_levels()[0]
        self.assertTrue(first.action_call)
        self.assertFalse(first.action_letter or first.action_email)

    def test_new_company_gets_default_policies(self):
        company = self.env["res.company"].create({"name": "Neue Firma GmbH"})
        policies = self.env["account.dunning.policy"].search(
            [("company_id", "=", company.id)]
        )
        self.assertEqual(len(policies), 7)
        self.assertEqual(policies.level_ids.company_id, company)

    def test_overlapping_level_days_refused(self):
        levels = self.policy._get_sorted_levels()
        before = levels.mapped("days_overdue")
        with self.assertRaisesRegex(ValidationError, "same number of days"):
            with self.cr.savepoint():
                levels[1].days_overdue = levels[0].days_overdue
        self.assertEqual(
            self.policy._get_sorted_levels().mapped("days_overdue"), before
        )

    def test_negative_values_refused(self):
        level = self.policy._get_sorted_levels()[1]
        for field in (
            "days_overdue",
            "fee_amount",
            "min_amount",
            "payment_deadline_days",
        ):
            before = level[field]
            with self.assertRaisesRegex(ValidationError, "cannot be negative"):
                with self.cr.savepoint():
                    level[field] = -1
            self.assertEqual(level[field], before)
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.policy.grace_days = -3

    def test_level_needs_an_action(self):
        level = self.policy._get_sorted_levels()[0]
        with self.assertRaisesRegex(ValidationError, "at least one action"):
            with self.cr.savepoint():
                level.write(
                    {
                        "action_letter": False,
                        "action_email": False,
                        "action_call": False,
                    }
                )

    @mute_logger("odoo.sql_db")
    def test_one_policy_per_segment_company_and_type(self):
        with self.assertRaises(psycopg2.IntegrityError), self.cr.savepoint():
            self.env["account.dunning.policy"].create(
                {
                    "name": "Duplicate",
                    "segment_id": self.policy.segment_id.id,
                    "customer_type": "all",
                    "company_id": self.company.id,
                }
            )

    def test_override_without_reason_refused(self):
        customer = self._create_customer("No Reason GmbH")
        profile = self.Profile._get_profiles(self.company, customer)
        segment_before = profile.segment_id
        with self.assertRaisesRegex(ValidationError, "reason"):
            profile._set_override(self.segment["strategic"], "   ")
        self.assertEqual(profile.segment_id, segment_before)
        self.assertFalse(profile.segment_override_id)
        # The dialog of the profile's "Override Segment" button, as a manager
        # fills it: without a reason it cannot be saved either.
        manager = self._dunning_user("override_manager", manager=True)
        action = profile.with_user(manager).action_open_override_wizard()
        form = Form(
            self.env[action["res_model"]]
            .with_user(manager)
            .with_context(**action["context"])
        )
        self.assertEqual(form.partner_id, customer)
        self.assertEqual(form.current_segment_id, segment_before)
        form.segment_id = self.segment["strategic"]
        with self.assertRaisesRegex(AssertionError, "reason is a required field"):
            form.save()
        form.reason = "Board decision"
        form.save().action_apply()
        self.assertRecordValues(
            profile,
            [
                {
                    "segment_id": self.segment["strategic"].id,
                    "segment_override_id": self.segment["strategic"].id,
                    "override_reason": "Board decision",
                    "override_until": False,
                    "override_user_id": manager.id,
                }
            ],
        )

    def test_block_in_the_past_refused(self):
        customer = self._create_customer("Block GmbH")
        invoice = self._invoice(customer, 100.0, "2026-01-01", "2026-01-31")
        with self.assertRaisesRegex(ValidationError, "in the past"):
            with self.cr.savepoint():
                invoice.write(
                    {"dunning_blocked_until": "2020-01-01", "dunning_block_reason": "x"}
                )
        self.assertFalse(invoice.dunning_blocked_until)
        profile = self.Profile._get_profiles(self.company, customer)
        with self.assertRaisesRegex(ValidationError, "in the past"):
            with self.cr.savepoint():
                profile.write({"block_until": "2020-01-01", "block_reason": "x"})
        self.assertFalse(profile.block_until)
        with self.assertRaisesRegex(ValidationError, "reason"):
            with self.cr.savepoint():
                profile.write({"block_until": "2099-01-01", "block_reason": False})

    def test_segment_rules_validated(self):
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.segment["standard"].write({"score_min": 80, "score_max": 20})
        self.assertEqual(self.segment["standard"].score_min, 0.0)


@tagged("post_install", "-at_install")
class TestDunningAccess(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company()["company"]

    def test_user_cannot_edit_policies_manager_can(self):
        policy = self._level("standard", "Payment Reminder").policy_id
        user = self._dunning_user()
        manager = self._dunning_user("dunning_manager", manager=True)
        with self.assertRaises(AccessError):
            policy.with_user(user).grace_days = 9
        with self.assertRaises(AccessError):
            policy.level_ids[0].with_user(user).fee_amount = 9
        policy.with_user(manager).grace_days = 9
        self.assertEqual(policy.grace_days, 9)

    def test_user_cannot_override_segment(self):
        customer = self._create_customer("Override GmbH")
        profile = self.Profile._get_profiles(self.company, customer)
        user = self._dunning_user()
        with self.assertRaises(UserError):
            profile.with_user(user)._set_override(self.segment["strategic"], "Because")
        self.assertFalse(profile.segment_override_id)

    def test_multi_company_isolation(self):
        customer = self._create_customer("Both Companies GmbH")
        self._set_segment(customer, "new")
        invoice_1 = self._invoice(customer, 100.0, "2026-01-01", "2026-01-31")
        invoice_2 = (
            self.env["account.move"]
            .with_company(self.company_2)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_date": "2026-01-01",
                    "invoice_date_due": "2026-01-31",
                    "company_id": self.company_2.id,
                    "invoice_line_ids": [
                        (
                            0,
                            0,
                            {
                                "name": "Work",
                                "quantity": 1,
                                "price_unit": 200.0,
                                "tax_ids": [(5, 0, 0)],
                            },
                        )
                    ],
                }
            )
        )
        invoice_2.action_post()
        run = self._run("2026-02-14")
        self.assertEqual(run.line_ids.move_id, invoice_1)
        self.assertFalse(invoice_2.dunning_level_id)
        run_2 = self.Run._run_dunning(self.company_2, self._date("2026-02-14"))
        self.assertEqual(run_2.line_ids.move_id, invoice_2)
        self.assertEqual(run_2.letter_ids.policy_id.company_id, self.company_2)
        # A user of company 1 only does not see company 2's letters.
        user = self._dunning_user()
        Letter = self.env["account.dunning.letter"].with_user(user)
        self.assertEqual(Letter.search([]), run.letter_ids)
        with self.assertRaises(AccessError):
            run_2.letter_ids.with_user(user).read(["name"])
