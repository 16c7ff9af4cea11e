import re
import sys
import threading
import time
import traceback
from contextlib import closing
from datetime import datetime

from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api, sql_db
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import DunningTestCommon

TEMPLATE = "account_relationship_dunning.mail_template_dunning_letter"


@tagged("post_install", "-at_install")
class TestSendingIsolation(DunningTestCommon):
    """One letter that cannot be rendered fails alone, with a message on it;
    the other letters go out."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.good = cls._create_customer("Good Payer GmbH", lang="en_US")
        cls.french = cls._create_customer("Client Français SA", lang="fr_FR")
        cls.placeholder = cls._create_customer("Placeholder KG", lang="en_US")
        cls.good_post = cls._create_customer("Post Only GmbH", email=False)
        cls.french_post = cls._create_customer(
            "Courrier SARL", email=False, lang="fr_FR"
        )
        for partner in (cls.good, cls.french, cls.good_post, cls.french_post):
            cls._set_segment(partner, "standard")
        cls._set_segment(cls.placeholder, "established")
        for partner in (
            cls.good,
            cls.french,
            cls.placeholder,
            cls.good_post,
            cls.french_post,
        ):
            cls._invoice(partner, 400.0, "2025-12-01", "2026-01-01")
        # French was installed when the customer chose it, then uninstalled.
        # (Odoo refuses to deactivate a language contacts use: as after an
        # uninstallation or an import, the contacts keep it.)
        cls.env.cr.execute("UPDATE res_lang SET active = false WHERE code = 'fr_FR'")
        cls.env.registry.clear_cache()
        cls.env["res.lang"].invalidate_model()
        # A level text saved before texts were checked (the database of an
        # older version): the letter has no field "amount".
        level = cls._level("established", "Payment Reminder")
        cls.env.cr.execute(
            "UPDATE account_dunning_level SET letter_text = %s WHERE id = %s",
            [
                '{"en_US": "<p>Dear {customer}, please pay '
                '<t t-out=\\"object.amount\\"/>.</p>"}',
                level.id,
            ],
        )
        level.invalidate_recordset(["letter_text"])
        cls.user = new_test_user(
            cls.env,
            login="iso_user",
            groups="account_relationship_dunning.group_dunning_user,base.group_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _letters(self):
        # Due 2026-01-01, run on 2026-01-20: 19 days overdue, every customer
        # reaches the reminder (7 days standard, 14 days established).
        letters = self._run("2026-01-20").letter_ids
        self.assertEqual(len(letters), 5)
        return {letter.partner_id: letter for letter in letters}

    def _last_message(self, letter):
        return str(letter.message_ids.sorted("id")[-1].body)

    def test_number_choice_is_not_an_unknown_placeholder(self):
        # the German default texts choose by the number of invoices:
        # "... noch nicht beglichen {ist|sind}."; three variants are no
        # choice, and {amount} never was a placeholder: both stay text
        Level = self.env["account.dunning.level"]
        self.assertEqual(
            Level._prepare_letter_text_source(
                "<p>{ist|sind} {total} {amount} {a|b|c}</p>", 2
            ),
            '<p>sind <t t-out="object.amount_total_due_text"/> {amount} {a|b|c}</p>',
        )

    @freeze_time("2026-01-20")
    def test_email_each_letter_fails_alone(self):
        letters = self._letters()
        emails = letters[self.good] | letters[self.french] | letters[self.placeholder]
        self.assertEqual(set(emails.mapped("channel")), {"email"})
        result = emails.with_user(self.user).action_send_email()
        self.assertEqual(letters[self.good].state, "done")
        self.assertTrue(letters[self.good].pdf_attachment_id)
        for partner in (self.french, self.placeholder):
            self.assertEqual(letters[partner].state, "ready")
            self.assertFalse(letters[partner].pdf_attachment_id)
        self.assertIn("fr_FR", self._last_message(letters[self.french]))
        self.assertIn("is not installed", self._last_message(letters[self.french]))
        self.assertIn(
            "has no attribute 'amount'", self._last_message(letters[self.placeholder])
        )
        self.assertTrue(result["params"]["sticky"])
        self.assertIn("1 letter(s) queued", result["params"]["message"])
        self.assertIn(letters[self.french].name, result["params"]["message"])
        self.assertIn(letters[self.placeholder].name, result["params"]["message"])

    @freeze_time("2026-01-20")
    def test_print_each_letter_fails_alone(self):
        letters = self._letters()
        posts = letters[self.good_post] | letters[self.french_post]
        self.assertEqual(set(posts.mapped("channel")), {"post"})
        result = posts.with_user(self.user).action_print_post_letters()
        self.assertEqual(letters[self.good_post].state, "done")
        self.assertEqual(letters[self.french_post].state, "ready")
        self.assertIn("fr_FR", self._last_message(letters[self.french_post]))
        # The download of the printed letter follows the warning; the client
        # action downloads it, then reloads the view.
        download = result["params"]["next"]
        self.assertEqual(download["type"], "ir.actions.client")
        self.assertEqual(
            download["tag"], "account_relationship_dunning.download_reload"
        )
        url = download["params"]["url"]
        self.assertEqual(download["url"], url)
        match = re.fullmatch(r"/web/content/(\d+)\?download=true", url)
        self.assertTrue(match, url)
        # the file holds the printed letter only
        batch = self.env["ir.attachment"].browse(int(match.group(1)))
        self.assertTrue(letters[self.good_post].pdf_attachment_id)
        self.assertEqual(batch.raw, letters[self.good_post].pdf_attachment_id.raw)

    @freeze_time("2026-01-20")
    def test_deleted_template_fails_each_email_with_a_clear_message(self):
        letters = self._letters()
        self.env.ref(TEMPLATE).unlink()
        good = letters[self.good]
        result = good.with_user(self.user).action_send_email()
        self.assertEqual(good.state, "ready")
        self.assertIn(
            "template of dunning letters was deleted", self._last_message(good)
        )
        self.assertNotIn("External ID", self._last_message(good))
        self.assertIn(good.name, result["params"]["message"])
        # Post letters do not need the template.
        letters[self.good_post].with_user(self.user).action_print_post_letters()
        self.assertEqual(letters[self.good_post].state, "done")

    @freeze_time("2026-01-20")
    @mute_logger(
        "odoo.addons.account_relationship_dunning.models.account_dunning_letter_isolation"
    )
    def test_broken_template_fails_alone(self):
        letters = self._letters()
        self.env.ref(
            TEMPLATE
        ).body_html = '<p t-out="object.partner_id.no_such_field"/>'
        good = letters[self.good]
        good.with_user(self.user).action_send_email()
        self.assertEqual(good.state, "ready")
        self.assertIn("could not be rendered", self._last_message(good))
        letters[self.good_post].with_user(self.user).action_print_post_letters()
        self.assertEqual(letters[self.good_post].state, "done")


@tagged("post_install", "-at_install")
class TestInputBounds(DunningTestCommon):
    """What would break a later run is refused when it is saved."""

    def test_day_counts_bounded(self):
        level = self._level("standard", "Payment Reminder")
        for fname in (
            "payment_deadline_days",
            "days_overdue",
            "min_days_since_previous",
        ):
            with self.subTest(field=fname):
                with self.assertRaisesRolledBack(ValidationError, "3650"):
                    level.write({fname: 5_000_000})
        level.payment_deadline_days = 3650
        self.assertEqual(level.payment_deadline_days, 3650)
        policy = level.policy_id
        grace = policy.grace_days
        with self.assertRaisesRolledBack(ValidationError, "3650"):
            policy.grace_days = 4000
        with self.assertRaisesRolledBack(ValidationError, "3650"):
            policy.plan_grace_days = 100_000
        with self.assertRaisesRolledBack(ValidationError, "3650"):
            self.company.dunning_limitation_warning_days = 100_000
        policy.invalidate_recordset()
        self.assertEqual(policy.grace_days, grace)

    def test_run_after_maximal_deadline(self):
        """The largest accepted deadline still gives a valid letter."""
        level = self._level("standard", "Payment Reminder")
        level.payment_deadline_days = 3650
        customer = self._create_customer("Far Deadline GmbH")
        self._set_segment(customer, "standard")
        self._invoice(customer, 100.0, "2025-12-01", "2026-01-01")
        run = self._run("2026-01-20")
        # 2026-01-20 + 3650 days = 2036-01-18
        self.assertEqual(str(run.letter_ids.payment_deadline), "2036-01-18")

    def test_placeholders_checked_when_saved(self):
        level = self._level("standard", "Payment Reminder")
        with self.assertRaisesRolledBack(ValidationError, "has no attribute 'amount'"):
            level.letter_text = (
                '<p>Dear {customer}, please pay <t t-out="object.amount"/>.</p>'
            )
        level.letter_text = "<p>Dear {customer}, please pay {total} by {deadline}.</p>"
        self.assertIn("{total}", str(level.letter_text))

    def test_base_rate_bounds(self):
        BaseRate = self.env["account.dunning.base.rate"]
        for rate in (50.0, -12.0):
            with (
                self.subTest(rate=rate),
                self.assertRaisesRolledBack(ValidationError, "not plausible"),
            ):
                BaseRate.create({"date_from": "2031-01-01", "rate": rate})
        row = BaseRate.create({"date_from": "2031-01-01", "rate": -0.88})
        self.assertEqual(row.rate, -0.88)


@tagged("post_install", "-at_install")
class TestCronIsolation(DunningTestCommon):
    """The daily run processes every company even when one keeps failing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company(name="Failing Company")["company"]
        cls.company_3 = cls.setup_other_company(name="Third Company")["company"]
        # The failing company comes first in the companies' order.
        cls.company_2.sequence = 0
        cls.company.sequence = 5
        cls.company_3.sequence = 10
        cls.invoices = {}
        for company in (cls.company, cls.company_2, cls.company_3):
            cls.env["account.dunning.policy"]._create_default_policies(company)
            customer = cls._create_customer(f"Customer of {company.name}")
            cls.Profile._get_profiles(company, customer)._set_override(
                cls.segment["standard"], "Test setup"
            )
            invoice = (
                cls.env["account.move"]
                .with_company(company)
                .create(
                    {
                        "move_type": "out_invoice",
                        "company_id": company.id,
                        "partner_id": customer.id,
                        "invoice_date": "2025-12-01",
                        "invoice_date_due": "2026-01-01",
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": "Work",
                                    "quantity": 1,
                                    "price_unit": 300.0,
                                    "tax_ids": [Command.clear()],
                                }
                            )
                        ],
                    }
                )
            )
            invoice.action_post()
            cls.invoices[company] = invoice
        # A deadline saved before day counts were bounded: the run of
        # company 2 fails with "date value out of range".
        cls.env.cr.execute(
            """
            UPDATE account_dunning_level l SET payment_deadline_days = 5000000
              FROM account_dunning_policy p
             WHERE p.id = l.policy_id AND p.company_id = %s
            """,
            [cls.company_2.id],
        )
        cls.env["account.dunning.level"].invalidate_model()
        cls.manager = new_test_user(
            cls.env,
            login="cron_manager",
            groups="account_relationship_dunning.group_dunning_manager,base.group_user",
            company_id=cls.company_2.id,
            company_ids=[Command.set(cls.company_2.ids)],
        )

    def _runs(self, company):
        return self.Run.search([("company_id", "=", company.id)])

    @mute_logger("odoo.addons.account_relationship_dunning.models.account_dunning_run")
    def test_failing_company_does_not_starve_the_others(self):
        cron = self.Run.sudo()
        with freeze_time("2026-01-20 06:00:00"):
            # One company per call, as the scheduler calls the job until
            # nothing remains: company 2 first (it fails), then 1 and 3.
            for _call in range(5):
                cron._cron_daily_run(batch_size=1)
        for company in (self.company, self.company_3):
            run = self._runs(company)
            self.assertEqual(run.mapped("state"), ["done"])
            self.assertTrue(self.invoices[company].dunning_level_id)
        failed = self._runs(self.company_2)
        self.assertEqual(len(failed), 1, "the failure is recorded once")
        self.assertRecordValues(failed, [{"state": "failed", "attempt_count": 1}])
        self.assertIn("out of range", failed.error_message)
        self.assertFalse(self.invoices[self.company_2].dunning_level_id)
        activity = failed.activity_ids
        self.assertEqual(len(activity), 1)
        responsible = activity.user_id
        self.assertTrue(
            responsible.has_group("account_relationship_dunning.group_dunning_manager")
        )
        self.assertIn(self.company_2, responsible.company_ids)
        # The failed company is retried after the delay, still recorded once.
        trigger = self.env["ir.cron.trigger"].search(
            [
                (
                    "cron_id",
                    "=",
                    self.env.ref("account_relationship_dunning.ir_cron_dunning_run").id,
                )
            ],
            order="id desc",
            limit=1,
        )
        self.assertEqual(trigger.call_at, datetime(2026, 1, 20, 7, 0))
        with freeze_time("2026-01-20 07:01:00"):
            cron._cron_daily_run(batch_size=1)
        failed.invalidate_recordset()
        self.assertEqual(self._runs(self.company_2), failed)
        self.assertEqual(failed.attempt_count, 2)
        self.assertEqual(len(failed.activity_ids), 1)
        # Once the level is corrected, the retry succeeds.
        self.env.cr.execute(
            "UPDATE account_dunning_level SET payment_deadline_days = 10 "
            "WHERE payment_deadline_days = 5000000"
        )
        self.env["account.dunning.level"].invalidate_model()
        with freeze_time("2026-01-20 08:02:00"):
            cron._cron_daily_run(batch_size=1)
        self.assertIn("done", self._runs(self.company_2).mapped("state"))
        self.assertTrue(self.invoices[self.company_2].dunning_level_id)


@tagged("post_install", "-at_install")
class TestRunWithoutEmail(DunningTestCommon):
    def test_user_without_email_runs_dunning_with_calls(self):
        customer = self._create_customer("Strategic Partner AG")
        customer.user_id = self.salesperson
        self._set_segment(customer, "strategic")
        self._invoice(customer, 900.0, "2025-12-01", "2026-01-01")
        user = new_test_user(
            self.env,
            login="no_email_user",
            groups="account_relationship_dunning.group_dunning_user,base.group_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        user.partner_id.email = False
        self.assertFalse(user.email)
        # 2026-01-15: 14 days overdue, the strategic policy's call (10 days).
        with freeze_time("2026-01-15"):
            # The context of the web client (no test defaults muting mail).
            web_env = self.env(user=user, context={"lang": "en_US", "tz": "UTC"})
            form = Form(web_env["account.dunning.run.wizard"])
            form.simulation = False
            wizard = form.save()
            self.assertEqual(wizard.company_id, self.company)
            action = wizard.action_run()
        run = self.Run.browse(action["res_id"])
        self.assertRecordValues(
            run,
            [
                {
                    "state": "done",
                    "simulation": False,
                    "user_id": user.id,
                    "date": self._date("2026-01-15"),
                }
            ],
        )
        letter = run.letter_ids
        self.assertRecordValues(
            letter, [{"channel": "phone", "partner_id": customer.id}]
        )
        self.assertEqual(letter.activity_ids.user_id, self.salesperson)
        # No e-mail was attempted from the user's missing address.
        failed = self.env["mail.mail"].sudo().search([("state", "=", "exception")])
        self.assertFalse(failed.mapped("failure_reason"))


@tagged("post_install", "-at_install")
class TestOverlappingRuns(DunningTestCommon):
    """Two real transactions create the profile of the same new customer at
    once: the second ends with a clear message, not a raw UniqueViolation."""

    @mute_logger("odoo.sql_db")
    def test_concurrent_profile_creation_clear_message(self):
        dbname = self.env.cr.dbname
        company_id = self.env.ref("base.main_company").id

        def new_env(cr):
            cr.execute("SET LOCAL lock_timeout = '20s'")
            # The registry is already loaded (and its loading lock is held
            # while tests run): give the cursor its transaction directly.
            cr.transaction = api.Transaction(self.env.registry)
            return api.Environment(cr, SUPERUSER_ID, {})

        with closing(sql_db.db_connect(dbname).cursor()) as cr0:
            partner_id = (
                new_env(cr0)["res.partner"]
                .create({"name": "Overlap Newcomer GmbH", "is_company": True})
                .id
            )
            cr0.commit()
        outcome = {}

        def second_run():
            with closing(sql_db.db_connect(dbname).cursor()) as cr_b:
                env_b = new_env(cr_b)
                try:
                    env_b["account.dunning.profile"]._get_profiles(
                        env_b["res.company"].browse(company_id),
                        env_b["res.partner"].browse(partner_id),
                    )
                    outcome["result"] = "created"
                except Exception as error:  # noqa: BLE001 - asserted below
                    outcome["error"] = error
                cr_b.rollback()

        try:
            with closing(sql_db.db_connect(dbname).cursor()) as cr_a:
                env_a = new_env(cr_a)
                env_a["account.dunning.profile"]._get_profiles(
                    env_a["res.company"].browse(company_id),
                    env_a["res.partner"].browse(partner_id),
                )
                thread = threading.Thread(target=second_run)
                thread.start()
                # The second transaction waits on the first one's new row.
                time.sleep(1.0)
                cr_a.commit()
                thread.join(30)
            stack = "".join(
                traceback.format_stack(sys._current_frames().get(thread.ident))
                if thread.is_alive()
                else []
            )
            self.assertFalse(thread.is_alive(), stack)
            self.assertNotIn("result", outcome)
            self.assertIsInstance(outcome["error"], UserError)
            self.assertIn("creating the same customer profiles", str(outcome["error"]))
        finally:
            with closing(sql_db.db_connect(dbname).cursor()) as cr0:
                cr0.execute(
                    "DELETE FROM account_dunning_profile WHERE partner_id = %s",
                    [partner_id],
                )
                cr0.execute("DELETE FROM res_partner WHERE id = %s", [partner_id])
                cr0.commit()
