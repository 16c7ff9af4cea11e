from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningSecurity(DunningTestCommon):
    """Every rule tried the way an RPC client would: ``with_user()`` and
    ``write``/``create``/``unlink`` or a public method, as a dunning user, a
    dunning manager, a billing-only user, a user of another company and a
    portal user. Each refusal is followed by a check that nothing changed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company()["company"]
        cls.customer = cls._create_customer("Secure GmbH")
        cls.customer_sent = cls._create_customer("Sent AG")
        cls.customer_approve = cls._create_customer("Approve KG")
        for partner in (cls.customer, cls.customer_sent, cls.customer_approve):
            cls._set_segment(partner, "standard")
        # Due 2026-01-01, run on 2026-01-10: 9 days overdue, the standard
        # policy's reminder (7 days) is reached: one e-mail letter each.
        cls.invoice = cls._invoice(cls.customer, 1000.0, "2025-12-01", "2026-01-01")
        cls.invoice_sent = cls._invoice(
            cls.customer_sent, 500.0, "2025-12-01", "2026-01-01"
        )
        cls.invoice_approve = cls._invoice(
            cls.customer_approve, 300.0, "2025-12-01", "2026-01-01"
        )
        cls.dunning_run = cls.Run._run_dunning(cls.company, cls._date("2026-01-10"))
        letters = cls.dunning_run.letter_ids
        cls.letter = letters.filtered(lambda lt: lt.partner_id == cls.customer)
        cls.letter_sent = letters.filtered(
            lambda lt: lt.partner_id == cls.customer_sent
        )
        cls.letter_approve = letters.filtered(
            lambda lt: lt.partner_id == cls.customer_approve
        )
        # What the run does for a level needing approval (engine output).
        cls.letter_approve.sudo().write({"state": "to_approve"})
        cls.letter_sent.action_mark_done()

        def user(login, groups, company=cls.company):
            return new_test_user(
                cls.env,
                login=login,
                groups=groups,
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )

        prefix = "account_relationship_dunning."
        cls.user = user("sec_user", f"{prefix}group_dunning_user,base.group_user")
        cls.manager = user(
            "sec_manager", f"{prefix}group_dunning_manager,base.group_user"
        )
        cls.billing = user("sec_billing", "account.group_account_invoice")
        cls.other = user(
            "sec_other",
            f"{prefix}group_dunning_manager,base.group_user",
            cls.company_2,
        )
        cls.portal_partner = cls.env["res.partner"].create(
            {"name": "Portal Contact", "parent_id": cls.customer.id}
        )
        cls.portal = new_test_user(
            cls.env,
            login="sec_portal",
            groups="base.group_portal",
            partner_id=cls.portal_partner.id,
        )
        cls.everyone = cls.user | cls.manager | cls.billing | cls.other | cls.portal

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _snapshot(self, records, fnames):
        records.invalidate_recordset()
        return records.sudo().read(fnames)

    def assertRefused(self, records, fnames, attempt, users=None):
        """``attempt(records_as_user)`` raises for each of ``users`` (default:
        everyone) and leaves ``fnames`` of ``records`` unchanged."""
        before = self._snapshot(records, fnames)
        for user in users or self.everyone:
            with self.subTest(user=user.login):
                with self.assertRaises(UserError), self.env.cr.savepoint():
                    attempt(records.with_user(user))
                self.env.invalidate_all()
                self.assertEqual(self._snapshot(records, fnames), before)

    def test_setup(self):
        self.assertRecordValues(
            self.letter | self.letter_sent | self.letter_approve,
            [{"state": "ready"}, {"state": "done"}, {"state": "to_approve"}],
        )
        self.assertTrue(self.letter_sent.pdf_attachment_id)
        self.assertTrue(self.letter_sent.claims_frozen)
        self.assertFalse(self.user.has_group("base.group_partner_manager"))
        self.assertFalse(self.manager.has_group("base.group_partner_manager"))

    # ------------------------------------------------------------------
    # Letters
    # ------------------------------------------------------------------
    def test_letter_state_only_through_actions(self):
        fields = ["state", "approved_by_id", "approved_date"]
        self.assertRefused(
            self.letter_approve, fields, lambda lt: lt.write({"state": "ready"})
        )
        self.assertRefused(
            self.letter_sent, fields, lambda lt: lt.write({"state": "draft"})
        )
        self.assertRefused(
            self.letter_sent, fields, lambda lt: lt.write({"state": "cancel"})
        )
        self.assertRefused(self.letter, fields, lambda lt: lt.write({"state": "done"}))
        self.assertFalse(self.letter.pdf_attachment_id)
        self.assertFalse(self.letter.claims_frozen)

    def test_letter_engine_fields_refused(self):
        fields = ["fee_amount", "approved_by_id", "amount_total_due", "channel"]
        for vals in (
            {"fee_amount": 99.0},
            {"approved_by_id": self.manager.id},
            {"channel": "post"},
            {"line_ids": [Command.clear()]},
        ):
            for letter in (self.letter, self.letter_sent):
                self.assertRefused(letter, fields, lambda lt, v=vals: lt.write(v))

    def test_letter_create_refused(self):
        Letter = self.env["account.dunning.letter"]
        level = self.letter.level_id
        vals = {
            "company_id": self.company.id,
            "partner_id": self.customer.id,
            "level_id": level.id,
            "channel": "post",
            "state": "ready",
            "date": "2026-01-11",
            "currency_id": self.company.currency_id.id,
        }
        count = Letter.search_count([])
        for user in self.everyone:
            with self.subTest(user=user.login):
                with self.assertRaises(UserError), self.env.cr.savepoint():
                    Letter.with_user(user).create(vals)
        self.assertEqual(Letter.search_count([]), count)

    def test_sent_letter_lines_immutable(self):
        line = self.letter_sent.line_ids
        fields = ["amount_residual", "move_name", "interest_amount"]
        self.assertRefused(line, fields, lambda ln: ln.write({"amount_residual": 1.0}))
        self.assertRefused(line, fields, lambda ln: ln.write({"move_name": "FAKE"}))
        self.assertRefused(line, fields, lambda ln: ln.unlink())
        self.assertRefused(
            self.letter_sent,
            ["line_ids"],
            lambda lt: (
                self.env["account.dunning.letter.line"]
                .with_user(lt.env.user)
                .create(
                    {
                        "letter_id": lt.id,
                        "move_id": self.invoice.id,
                        "move_name": "X",
                        "currency_id": self.company.currency_id.id,
                    }
                )
            ),
        )
        # Not even in superuser mode: what was sent stays as sent.
        with self.assertRaises(UserError), self.env.cr.savepoint():
            line.write({"amount_residual": 1.0})
        with self.assertRaises(UserError), self.env.cr.savepoint():
            self.letter_sent.write({"date": "2026-01-01"})
        self.assertEqual(line.amount_residual, 500.0)

    def test_archived_document_cannot_be_swapped(self):
        attachment = self.letter_sent.pdf_attachment_id
        raw = attachment.raw
        other = self.env["ir.attachment"].create(
            {
                "name": "fake.pdf",
                "raw": b"%PDF fake",
                "res_model": "account.dunning.letter",
                "res_id": self.letter_sent.id,
            }
        )
        self.assertRefused(
            self.letter_sent,
            ["pdf_attachment_id"],
            lambda lt: lt.write({"pdf_attachment_id": other.id}),
        )
        for attempt in (
            lambda att: att.write({"raw": b"%PDF fake"}),
            lambda att: att.write({"res_id": self.letter.id}),
            lambda att: att.unlink(),
        ):
            self.assertRefused(attachment, ["raw", "res_id", "name"], attempt)
        self.assertEqual(attachment.raw, raw)
        # The manager, who may delete other attachments of the letter, may
        # not touch this one either (immutable for everyone).
        with self.assertRaisesRegex(UserError, "archived document"):
            attachment.with_user(self.manager).unlink()
        other.with_user(self.manager).unlink()
        self.assertFalse(other.exists())

    # ------------------------------------------------------------------
    # Runs, decisions, profiles, handovers, invoices
    # ------------------------------------------------------------------
    def test_run_and_decisions_engine_only(self):
        fields = ["state", "letter_count", "invoice_count", "skip_count"]
        self.assertRefused(
            self.dunning_run, fields, lambda run: run.write({"letter_count": 0})
        )
        self.assertRefused(
            self.dunning_run, fields, lambda run: run.write({"state": "failed"})
        )
        self.assertRefused(self.dunning_run, fields, lambda run: run.unlink())
        Run = self.env["account.dunning.run"]
        RunLine = self.env["account.dunning.run.line"]
        runs, decisions = Run.search_count([]), RunLine.search_count([])
        for user in self.everyone:
            with self.subTest(user=user.login):
                with self.assertRaises(UserError), self.env.cr.savepoint():
                    Run.with_user(user).create(
                        {"company_id": self.company.id, "date": "2026-01-11"}
                    )
                with self.assertRaises(UserError), self.env.cr.savepoint():
                    RunLine.with_user(user).create(
                        {
                            "run_id": self.dunning_run.id,
                            "company_id": self.company.id,
                            "move_id": self.invoice.id,
                            "decision": "skip",
                        }
                    )
        self.assertEqual(Run.search_count([]), runs)
        self.assertEqual(RunLine.search_count([]), decisions)
        decision = self.dunning_run.line_ids[:1]
        self.assertRefused(
            decision, ["decision", "reason"], lambda d: d.write({"decision": "skip"})
        )
        self.assertRefused(decision, ["decision"], lambda d: d.unlink())

    def test_profile_scores_and_override(self):
        profile = self.Profile.search(
            [
                ("partner_id", "=", self.customer.id),
                ("company_id", "=", self.company.id),
            ]
        )
        fields = ["score", "segment_id", "segment_override_id", "override_reason"]
        for vals in (
            {"score": 100.0},
            {"on_time_ratio": 1.0},
            {"segment_override_id": self.segment["strategic"].id},
            {"segment_id": self.segment["strategic"].id},
            {"last_dunning_date": "2020-01-01"},
        ):
            self.assertRefused(profile, fields, lambda p, v=vals: p.write(v))
        # The override is for managers of the profile's company only.
        self.assertRefused(
            profile,
            fields,
            lambda p: p._set_override(self.segment["strategic"], "Friend"),
            users=self.user | self.billing | self.other | self.portal,
        )
        self.assertRefused(
            profile,
            fields,
            lambda p: p.action_clear_override(),
            users=self.user | self.billing | self.other | self.portal,
        )

    def test_invoice_dunning_fields(self):
        level = self.letter.level_id
        self.assertRefused(
            self.invoice,
            ["dunning_level_id", "dunning_last_date"],
            lambda m: m.write({"dunning_level_id": False}),
        )
        self.assertRefused(
            self.invoice,
            ["dunning_last_date", "dunning_interest_charged_until"],
            lambda m: m.write({"dunning_last_date": "2020-01-01"}),
        )
        self.assertEqual(self.invoice.dunning_level_id, level)
        # A billing-only user cannot exclude an invoice from dunning...
        self.assertRefused(
            self.invoice,
            ["dunning_excluded"],
            lambda m: m.write({"dunning_excluded": True}),
            users=self.billing | self.other | self.portal,
        )
        # ...a dunning user can.
        self.invoice.with_user(self.user).write({"dunning_excluded": True})
        self.assertTrue(self.invoice.dunning_excluded)

    def test_portal_cannot_read_internal_invoice_fields(self):
        self.invoice.write(
            {
                "dunning_blocked_until": "2099-01-01",
                "dunning_block_reason": "INTERNAL: customer near insolvency",
            }
        )
        as_portal = self.invoice.with_user(self.portal)
        # The portal contact sees its own invoice...
        self.assertEqual(as_portal.read(["name"])[0]["name"], self.invoice.name)
        # ...but none of the dunning fields.
        for fname in (
            "dunning_block_reason",
            "dunning_blocked_until",
            "dunning_level_id",
            "dunning_last_date",
            "dunning_excluded",
        ):
            with self.subTest(field=fname), self.assertRaises(AccessError):
                as_portal.read([fname])
        # The fields are not even described to the portal user.
        described = as_portal.fields_get()
        self.assertIn("amount_residual", described)
        self.assertNotIn("dunning_block_reason", described)
        self.assertNotIn("dunning_level_id", described)

    def test_handover_state_only_through_actions(self):
        handover = self.env["account.dunning.handover"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "channel": "agency",
                "move_ids": [Command.set(self.invoice.ids)],
            }
        )
        fields = ["state", "date_handover", "debtor_name", "line_ids"]
        for vals in (
            {"state": "handed_over"},
            {"state": "closed"},
            {"date_handover": "2026-01-10"},
            {"debtor_name": "Someone else"},
        ):
            self.assertRefused(handover, fields, lambda h, v=vals: h.write(v))
        Handover = self.env["account.dunning.handover"]
        for user in self.everyone:
            with self.subTest(user=user.login):
                with self.assertRaises(UserError), self.env.cr.savepoint():
                    Handover.with_user(user).create(
                        {
                            "partner_id": self.customer.id,
                            "company_id": self.company.id,
                            "state": "handed_over",
                        }
                    )
        # The action refuses a user, and an invoice below the final level.
        self.assertRefused(
            handover, fields, lambda h: h.action_hand_over(), users=self.everyone
        )
        self.assertEqual(handover.state, "draft")

    # ------------------------------------------------------------------
    # What the actions still allow
    # ------------------------------------------------------------------
    def test_actions_check_group_and_state(self):
        # A user cannot approve; a manager of another company cannot either.
        self.assertRefused(
            self.letter_approve,
            ["state", "approved_by_id"],
            lambda lt: lt.action_approve(),
            users=self.user | self.billing | self.other | self.portal,
        )
        self.letter_approve.with_user(self.manager).action_approve()
        self.assertRecordValues(
            self.letter_approve, [{"state": "ready", "approved_by_id": self.manager.id}]
        )
        # Approving twice is refused by the state check.
        with self.assertRaisesRegex(UserError, "not waiting for approval"):
            self.letter_approve.with_user(self.manager).action_approve()
        # Cancelling a sent letter through the plain cancel is refused.
        self.assertRefused(self.letter_sent, ["state"], lambda lt: lt.action_cancel())
        # A dunning user marks a ready letter as sent: archived and frozen.
        self.letter.with_user(self.user).action_mark_done()
        self.assertRecordValues(self.letter, [{"state": "done", "claims_frozen": True}])
        self.assertTrue(self.letter.pdf_attachment_id)

    def test_cancel_sent_letter_with_reason(self):
        letter = self.letter_sent
        line_before = self._snapshot(letter.line_ids, ["amount_residual", "move_name"])
        attachment = letter.pdf_attachment_id
        self.assertRefused(
            letter,
            ["state"],
            lambda lt: lt.action_cancel_sent("Wrong address"),
            users=self.user | self.billing | self.other | self.portal,
        )
        with self.assertRaisesRegex(UserError, "reason"):
            letter.with_user(self.manager).action_cancel_sent(" ")
        # Through the dialog, as the manager opens it from the letter's button.
        action = self.env.ref(
            "account_relationship_dunning.account_dunning_letter_cancel_sent_action"
        )
        self.assertEqual(action.context, "{'default_letter_id': active_id}")
        form = Form(
            self.env[action.res_model]
            .with_user(self.manager)
            .with_context(default_letter_id=letter.id)
        )
        self.assertEqual(form.letter_id, letter)
        form.reason = "Wrong address"
        form.save().action_confirm()
        self.assertEqual(letter.state, "cancel")
        self.assertEqual(letter.pdf_attachment_id, attachment)
        self.assertEqual(
            self._snapshot(letter.line_ids, ["amount_residual", "move_name"]),
            line_before,
        )
        message = letter.message_ids.filtered(
            lambda m: "Wrong address" in (m.body or "")
        )
        self.assertEqual(message.author_id, self.manager.partner_id)
        # The invoice gets its previous (no) level back: the next run
        # reissues a letter.
        self.assertFalse(self.invoice_sent.dunning_level_id)
        run = self.Run._run_dunning(self.company, self._date("2026-01-11"))
        self.assertEqual(run.letter_ids.partner_id, self.customer_sent)

    def test_users_without_contact_rights_can_work(self):
        """Disputes, segment overrides and handovers log on the customer's
        chatter; users who may not edit contacts can still use them."""
        dispute = (
            self.env["account.dunning.dispute"]
            .with_user(self.user)
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "reason": "quality",
                    "line_ids": [Command.create({"move_id": self.invoice.id})],
                }
            )
        )
        dispute.action_clarify()
        dispute.action_withdraw()
        self.assertEqual(dispute.state, "resolved")
        notes = self.customer.message_ids.filtered(
            lambda m: dispute.name in (m.body or "")
        )
        self.assertTrue(notes)
        self.assertEqual(notes.author_id, self.user.partner_id)
        profile = self.Profile.search(
            [
                ("partner_id", "=", self.customer.id),
                ("company_id", "=", self.company.id),
            ]
        )
        profile.with_user(self.manager)._set_override(
            self.segment["strategic"], "Key account"
        )
        self.assertRecordValues(
            profile,
            [
                {
                    "segment_id": self.segment["strategic"].id,
                    "override_user_id": self.manager.id,
                }
            ],
        )
        profile.with_user(self.manager).action_clear_override()
        self.assertFalse(profile.segment_override_id)
        # A handover after the final notice, by a manager.
        final = self._final_level(self.customer_approve)
        # sudo: the level the final notice left on the invoice (engine output).
        self.invoice_approve.sudo().write({"dunning_level_id": final.id})
        agency = self.env["res.partner"].create({"name": "Inkasso AG"})
        handover = (
            self.env["account.dunning.handover"]
            .with_user(self.manager)
            .create(
                {
                    "partner_id": self.customer_approve.id,
                    "company_id": self.company.id,
                    "channel": "agency",
                    "agency_id": agency.id,
                    "move_ids": [Command.set(self.invoice_approve.ids)],
                }
            )
        )
        handover.action_hand_over()
        self.assertRecordValues(
            handover, [{"state": "handed_over", "user_id": self.manager.id}]
        )
        self.assertTrue(
            self.customer_approve.message_ids.filtered(
                lambda m: handover.name in (m.body or "")
            )
        )

    def test_messages_do_not_reveal_other_company(self):
        """A user of company 2 learns nothing about company 1's records."""
        secrets = [self.invoice.name, self.customer.name, self.letter.name]
        attempts = [
            lambda: self.letter.with_user(self.other).action_approve(),
            lambda: self.letter.with_user(self.other).write({"state": "done"}),
            lambda: self.invoice.with_user(self.other).write(
                {"dunning_excluded": True}
            ),
            lambda: (
                self.env["account.dunning.dispute"]
                .with_user(self.other)
                .create(
                    {
                        "partner_id": self.customer.id,
                        "company_id": self.company_2.id,
                        "line_ids": [Command.create({"move_id": self.invoice.id})],
                    }
                )
            ),
            lambda: (
                self.env["account.dunning.handover"]
                .with_user(self.other)
                .create(
                    {
                        "partner_id": self.customer.id,
                        "company_id": self.company_2.id,
                        "move_ids": [Command.set(self.invoice.ids)],
                    }
                )
            ),
            lambda: (
                self.env["account.dunning.run.wizard"]
                .with_user(self.other)
                .create({"company_id": self.company.id, "simulation": False})
                .action_run()
            ),
        ]
        for index, attempt in enumerate(attempts):
            with self.subTest(attempt=index):
                with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
                    attempt()
                for secret in secrets:
                    self.assertNotIn(secret, str(caught.exception))


@tagged("post_install", "-at_install")
class TestDunningPortalInvoice(DunningTestCommon, HttpCase):
    """Odoo's own portal pages of an invoice still work for the customer's
    portal contact, and show none of the internal dunning fields."""

    def test_portal_invoice_pages(self):
        customer = self._create_customer("Portal Customer GmbH")
        invoice = self._invoice(customer, 250.0, "2026-01-01", "2026-01-31")
        invoice.write(
            {
                "dunning_blocked_until": "2099-01-01",
                "dunning_block_reason": "INTERNAL: customer near insolvency",
            }
        )
        contact = self.env["res.partner"].create(
            {"name": "Portal Person", "parent_id": customer.id}
        )
        new_test_user(
            self.env,
            login="portal_invoice",
            password="portal_invoice",
            groups="base.group_portal",
            partner_id=contact.id,
        )
        self.authenticate("portal_invoice", "portal_invoice")
        for url in ("/my/invoices", f"/my/invoices/{invoice.id}"):
            with self.subTest(url=url):
                response = self.url_open(url)
                self.assertEqual(response.status_code, 200)
                self.assertIn(invoice.name, response.text)
                self.assertNotIn("INTERNAL", response.text)
