from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields, http
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import DunningPortalCommon


@tagged("post_install", "-at_install")
class TestPortalService(DunningPortalCommon):
    """The portal's rules on the server (``account.dunning.portal``)."""

    def test_plan_within_limits_becomes_active(self):
        # 1,200 + 600 = 1,800 in 3 installments of 600 >= 100, 3 <= 6:
        # agreed at once.
        moves = self.inv_old | self.inv_mid
        limitation_before = self.inv_old.dunning_limitation_date
        # due 800 days ago: end of the third year after the due year
        self.assertEqual(
            limitation_before,
            date(self.inv_old.invoice_date_due.year + 3, 12, 31),
        )
        plan = self.Portal._propose_plan(
            self.customer, self.company, moves.ids, "3", self.contact
        )
        self.assertRecordValues(
            plan,
            [
                {
                    "state": "active",
                    "portal_origin": True,
                    "portal_review": False,
                    "acknowledgment_date": self.today,
                    "amount_total": 1800.0,
                    "user_id": self.dunning_manager.id,
                    "installment_count": 3,
                }
            ],
        )
        self.assertEqual(plan.installment_ids.mapped("amount"), [600.0, 600.0, 600.0])
        self.assertEqual(
            plan.installment_ids[0].due_date, self.today + timedelta(days=14)
        )
        # acknowledgment: a new three-year period starts today (§ 212 BGB)
        self.assertEqual(
            self.inv_old.dunning_limitation_date, self.today + relativedelta(years=3)
        )
        self.assertEqual(
            self._blocked("account.dunning.payment.plan", moves), set(moves.ids)
        )
        # the agreement went to the customer by e-mail, logged on the plan
        sent = plan.message_ids.filtered(
            lambda m: m.message_type == "comment" and self.customer in m.partner_ids
        )
        self.assertEqual(len(sent), 1)
        self.assertTrue(sent.attachment_ids)
        event = self.env["account.dunning.portal.event"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(event.event, "plan_active")
        self.assertIn(
            plan.name,
            self.customer.message_ids[0].body,
            "the customer's chatter logs the plan",
        )

    def test_plan_outside_limits_goes_to_review(self):
        # 12 installments > 6 allowed: proposed, not active, activity for the
        # policy's responsible.
        plan = self.Portal._propose_plan(
            self.customer, self.company, self.inv_mid.ids, 12, self.contact
        )
        self.assertRecordValues(
            plan,
            [
                {
                    "state": "proposed",
                    "portal_review": True,
                    "acknowledgment_date": False,
                }
            ],
        )
        self.assertEqual(plan.activity_ids.user_id, self.dunning_manager)
        self.assertFalse(self._blocked("account.dunning.payment.plan", self.inv_mid))
        # accepted after review: the review flag goes
        plan.action_accept()
        self.assertRecordValues(plan, [{"state": "active", "portal_review": False}])

    def test_plan_below_minimum_installment_goes_to_review(self):
        # 300 in 4 installments = 75 < 100 minimum: review.
        plan = self.Portal._propose_plan(
            self.customer, self.company, self.inv_new.ids, 4, self.contact
        )
        self.assertTrue(plan.portal_review)
        # 300 in 3 = 100, exactly the minimum: agreed at once.
        plan.action_cancel()
        plan = self.Portal._propose_plan(
            self.customer, self.company, self.inv_new.ids, 3, self.contact
        )
        self.assertEqual(plan.state, "active")

    def test_plan_not_allowed_for_segment_goes_to_review(self):
        self.policy.portal_plan_allowed = False
        plan = self.Portal._propose_plan(
            self.customer, self.company, self.inv_new.ids, 2, self.contact
        )
        self.assertRecordValues(plan, [{"state": "proposed", "portal_review": True}])

    def test_plan_refusals_change_nothing(self):
        before = self._counts()
        cases = [
            (self.other_invoice.ids, 3, "not found among your invoices"),
            (self.inv_paid.ids, 3, "already paid"),
            (self.inv_mid.ids, 0, "between 1 and 120"),
            (self.inv_mid.ids, "x", "between 1 and 120"),
            ([], 3, "at least one invoice"),
        ]
        for move_ids, count, message in cases:
            with (
                self.subTest(message=message),
                self.assertRaisesRolledBack(UserError, message),
            ):
                self.Portal._propose_plan(
                    self.customer, self.company, move_ids, count, self.contact
                )
        self.assertEqual(self._counts(), before)
        # double submission: the invoices are already in the first plan
        self.Portal._propose_plan(
            self.customer, self.company, self.inv_mid.ids, 2, self.contact
        )
        with self.assertRaisesRolledBack(UserError, "already belong to payment plan"):
            self.Portal._propose_plan(
                self.customer, self.company, self.inv_mid.ids, 2, self.contact
            )
        self.assertEqual(self._counts()["plans"], before["plans"] + 1)

    def test_dispute_blocks_dunning_and_notifies(self):
        dispute = self.Portal._raise_dispute(
            self.customer,
            self.company,
            self.inv_mid.id,
            "quality",
            "600,00",
            "Goods arrived damaged",
            self.contact,
            attachment=("photo.txt", b"damaged box"),
        )
        self.assertRecordValues(
            dispute,
            [
                {
                    "state": "open",
                    "reason": "quality",
                    "amount_disputed": 600.0,
                    "contact_id": self.contact.id,
                    "user_id": self.dunning_manager.id,
                    "description": "Goods arrived damaged",
                    "date_deadline": self.today + timedelta(days=7),
                }
            ],
        )
        self.assertEqual(
            self._blocked("account.dunning.dispute", self.inv_mid), {self.inv_mid.id}
        )
        self.assertEqual(dispute.activity_ids.user_id, self.dunning_manager)
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", dispute._name), ("res_id", "=", dispute.id)]
        )
        self.assertEqual(attachment.raw, b"damaged box")
        # the customer sees the state in its words
        overview = self.Portal._get_overview(self.customer, self.company)
        self.assertEqual(overview["disputes"], dispute)
        item = next(i for i in overview["items"] if i["move"] == self.inv_mid)
        self.assertEqual(item["status"], "Objection received – no reminders meanwhile")
        self.assertFalse(item["free"])

    def test_dispute_refusals_change_nothing(self):
        before = self._counts()
        cases = [
            (self.inv_mid.id, "quality", "600.01", "higher than the open amount"),
            (self.inv_mid.id, "quality", "0", "must be positive"),
            (self.inv_mid.id, "quality", "abc", "as a number"),
            (self.inv_mid.id, "nonsense", "10", "reason"),
            (self.inv_paid.id, "quality", "10", "already paid"),
            (self.other_invoice.id, "quality", "10", "not found among your invoices"),
        ]
        for move_id, reason, amount, message in cases:
            with (
                self.subTest(message=message),
                self.assertRaisesRolledBack(UserError, message),
            ):
                self.Portal._raise_dispute(
                    self.customer,
                    self.company,
                    move_id,
                    reason,
                    amount,
                    "Why",
                    self.contact,
                )
        self.assertEqual(self._counts(), before)
        self.Portal._raise_dispute(
            self.customer,
            self.company,
            self.inv_mid.id,
            "price",
            "50",
            "Why",
            self.contact,
        )
        with self.assertRaisesRolledBack(UserError, "already an open objection"):
            self.Portal._raise_dispute(
                self.customer,
                self.company,
                self.inv_mid.id,
                "price",
                "50",
                "Why",
                self.contact,
            )
        self.assertEqual(self._counts()["disputes"], before["disputes"] + 1)

    def test_promise_pauses_dunning(self):
        promised = self.today + timedelta(days=30)
        promise = self.Portal._promise(
            self.customer,
            self.company,
            (self.inv_mid | self.inv_new).ids,
            fields.Date.to_string(promised),
            "900",
            self.contact,
        )
        self.assertRecordValues(
            promise,
            [
                {
                    "state": "open",
                    "amount": 900.0,
                    "date_promised": promised,
                    "user_id": self.dunning_manager.id,
                    "amount_open_at_promise": 900.0,
                }
            ],
        )
        self.assertEqual(
            self._blocked("account.dunning.promise", self.inv_mid | self.inv_new),
            {self.inv_mid.id, self.inv_new.id},
        )

    def test_promise_refusals_change_nothing(self):
        before = self._counts()
        ok_date = fields.Date.to_string(self.today + timedelta(days=5))
        cases = [
            # policy maximum 30 days
            (self.inv_mid.ids, self.today + timedelta(days=31), "100", "between today"),
            (self.inv_mid.ids, self.today - timedelta(days=1), "100", "between today"),
            (self.inv_mid.ids, "not a date", "100", "between today"),
            (self.inv_mid.ids, ok_date, "600.01", "higher than the open amount"),
            (self.inv_mid.ids, ok_date, "-5", "must be positive"),
            (self.other_invoice.ids, ok_date, "100", "not found among your invoices"),
        ]
        for move_ids, when, amount, message in cases:
            with (
                self.subTest(message=message),
                self.assertRaisesRolledBack(UserError, message),
            ):
                self.Portal._promise(
                    self.customer, self.company, move_ids, when, amount, self.contact
                )
        self.assertEqual(self._counts(), before)
        self.Portal._promise(
            self.customer, self.company, self.inv_mid.ids, ok_date, "100", self.contact
        )
        with self.assertRaisesRolledBack(UserError, "already promised"):
            self.Portal._promise(
                self.customer,
                self.company,
                self.inv_mid.ids,
                ok_date,
                "100",
                self.contact,
            )
        self.assertEqual(self._counts()["promises"], before["promises"] + 1)

    def test_overview_in_customer_words(self):
        # sudo: an internal block reason, which the customer must never see
        self.inv_new.sudo().write(
            {
                "dunning_blocked_until": self.today + timedelta(days=30),
                "dunning_block_reason": "INTERNAL: customer near insolvency",
            }
        )
        overview = self.Portal._get_overview(self.customer, self.company)
        self.assertEqual(
            [item["move"] for item in overview["items"]],
            [self.inv_old, self.inv_mid, self.inv_new],
        )
        status = {item["move"]: item["status"] for item in overview["items"]}
        reminded = fields.Date.to_string(self.today - timedelta(days=3))
        self.assertIn("Overdue – reminder sent on", status[self.inv_old])
        self.assertEqual(status[self.inv_new], "Overdue")
        self.assertNotIn(reminded, status[self.inv_new])
        # 1,200 + 600 + 300 = 2,100 open, all of it overdue
        self.assertEqual(
            overview["totals"],
            [{"currency": self.company.currency_id, "open": 2100.0, "overdue": 2100.0}],
        )
        self.assertEqual(overview["letters"], self.letter)
        days = {item["move"]: item["days_overdue"] for item in overview["items"]}
        self.assertEqual(days[self.inv_old], 800)

    def test_payment_options_without_provider(self):
        options = self.Portal._get_payment_options(self.inv_mid)[self.inv_mid.id]
        self.assertFalse(options["pay_url"])
        self.assertEqual(options["bank"], self.bank)
        self.assertTrue(options["qr_code"].startswith("data:image/png;base64,"))

    def test_token_short_and_scoped(self):
        self.assertRegex(self.token, r"^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{10}$")
        self.assertEqual(
            self.letter._get_portal_short_url(),
            f"{self.letter.get_base_url()}/d/{self.token}",
        )
        Letter = self.env["account.dunning.letter"]
        typed = f"{self.token[:5].lower()}-{self.token[5:].lower()}"
        self.assertEqual(Letter._find_by_portal_token(typed), self.letter)
        self.assertFalse(Letter._find_by_portal_token("ZZZZZZZZZZ"))
        self.assertTrue(self.letter._is_portal_link_valid())
        self.assertFalse(
            self.letter._is_portal_link_valid(self.today + timedelta(days=400))
        )

    def test_responsiveness_factor(self):
        # Two letters in the last 180 days and no answer: silent, -4 points.
        self._send_final_letter(
            self.customer, self.inv_new, self.today - timedelta(days=1)
        )
        values = self.Profile._compute_profile_values(
            self.company, self.customer, self.today
        )[self.customer.id]
        self.assertEqual(values["recent_letter_count"], 2)
        self.assertEqual(values["answer_count"], 0)
        self.assertEqual(values["score_responsiveness"], -4.0)
        silent_score = values["score"]
        # A dispute raised in the portal and a promise: 2 answers, +4 points;
        # the dispute also costs the usual -5 of an open dispute.
        self.Portal._raise_dispute(
            self.customer,
            self.company,
            self.inv_new.id,
            "price",
            "10",
            "Price",
            self.contact,
        )
        self.Portal._promise(
            self.customer,
            self.company,
            self.inv_mid.ids,
            fields.Date.to_string(self.today + timedelta(days=5)),
            "600",
            self.contact,
        )
        values = self.Profile._compute_profile_values(
            self.company, self.customer, self.today
        )[self.customer.id]
        self.assertEqual(values["answer_count"], 2)
        self.assertEqual(values["score_responsiveness"], 4.0)
        # -4 -> +4 is +8; the open dispute -5 (if the company counts open
        # disputes): +3 or +8 in all.
        expected = 8.0 - (5.0 if self.company.dunning_score_open_disputes else 0.0)
        self.assertAlmostEqual(values["score"] - silent_score, expected)
        labels = dict(self.Profile._score_factor_labels())
        self.assertIn("score_responsiveness", labels)

    def test_policy_portal_bounds(self):
        with self.assertRaisesRolledBack(UserError, "between 1 and 120"):
            self.policy.portal_plan_max_installments = 0
        with self.assertRaisesRolledBack(UserError, "0 to 365 days"):
            self.policy.portal_promise_max_days = 1000


@tagged("post_install", "-at_install")
class TestPortalHttp(DunningPortalCommon, HttpCase):
    """The portal over HTTP: pages, token, refusals (nothing changes)."""

    def _post(self, url, data, files=None):
        data = dict(data, csrf_token=http.Request.csrf_token(self))
        return self.url_open(url, data=data, files=files)

    def test_token_page_anonymous(self):
        self.authenticate(None, None)
        response = self.url_open(f"/d/{self.token}")
        self.assertEqual(response.status_code, 200)
        for text in (
            self.inv_old.name,
            self.inv_mid.name,
            self.inv_new.name,
            self.letter.name,
        ):
            self.assertIn(text, response.text)
        self.assertNotIn(self.inv_paid.name, response.text)
        self.assertNotIn(self.other_invoice.name, response.text)
        pdf = self.url_open(f"/d/{self.token}/letter/{self.letter.id}/pdf")
        self.assertEqual(pdf.status_code, 200)
        self.assertEqual(pdf.content, self.letter.pdf_attachment_id.raw)

    @mute_logger("odoo.http")
    def test_internal_fields_not_shown(self):
        # sudo: an internal block reason, which the customer must never see
        self.inv_new.sudo().dunning_block_reason = "INTERNAL: near insolvency"
        self.authenticate(None, None)
        response = self.url_open(f"/d/{self.token}")
        self.assertNotIn("INTERNAL", response.text)
        self.assertNotIn("insolvency", response.text)

    @mute_logger("odoo.http")
    def test_wrong_expired_and_foreign_tokens(self):
        self.authenticate(None, None)
        response = self.url_open("/d/ZZZZZZZZZZ")
        self.assertEqual(response.status_code, 404)
        self.assertIn("This link is not valid", response.text)
        self.assertNotIn(self.inv_old.name, response.text)
        self.assertEqual(
            self.env["account.dunning.portal.event"].search_count(
                [("event", "=", "bad_token")]
            ),
            1,
        )
        # sudo: stands for a cancellation of the sent letter
        self.letter.sudo().state = "cancel"
        response = self.url_open(f"/d/{self.token}")
        self.assertEqual(response.status_code, 403)
        self.assertIn("This link has expired", response.text)
        self.letter.sudo().state = "done"
        # another customer's letter through this customer's token
        response = self.url_open(f"/d/{self.token}/letter/{self.other_letter.id}/pdf")
        self.assertEqual(response.status_code, 404)

    @mute_logger("odoo.http")
    def test_bad_token_rate_limit(self):
        # sudo: stands for twenty invalid links opened just before
        self.env["account.dunning.portal.event"].sudo().create(
            [{"event": "bad_token", "remote_addr": "127.0.0.1"}] * 20
        )
        self.authenticate(None, None)
        response = self.url_open(f"/d/{self.token}")
        self.assertEqual(response.status_code, 429)
        self.assertIn("Too many invalid links", response.text)

    def test_portal_user_page_and_card(self):
        self.authenticate("portal_kunde", "portal_kunde")
        response = self.url_open("/my/dunning")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.inv_mid.name, response.text)
        self.assertNotIn(self.other_invoice.name, response.text)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["dunning_count"]}
        )
        self.assertEqual(counters["dunning_count"], 3)
        home = self.url_open("/my")
        self.assertIn("/my/dunning", home.text)
        pdf = self.url_open(f"/my/dunning/letter/{self.other_letter.id}/pdf")
        self.assertEqual(pdf.status_code, 404)

    def test_post_plan_by_token(self):
        self.authenticate(None, None)
        response = self._post(
            f"/d/{self.token}/plan",
            {"move_ids": [self.inv_old.id, self.inv_mid.id], "installments": "3"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Your payment plan is agreed", response.text)
        plan = self.env["account.dunning.payment.plan"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertRecordValues(plan, [{"state": "active", "installment_count": 3}])

    @mute_logger("odoo.http")
    def test_post_refusals_change_nothing(self):
        self.authenticate("portal_kunde", "portal_kunde")
        before = self._counts()
        other_before = self._counts(self.other)
        cases = [
            (
                "/my/dunning/dispute",
                {
                    "move_id": self.other_invoice.id,
                    "reason": "price",
                    "amount": "10",
                    "message": "x",
                },
                "not found among your invoices",
            ),
            (
                "/my/dunning/dispute",
                {
                    "move_id": self.inv_mid.id,
                    "reason": "price",
                    "amount": "700",
                    "message": "x",
                },
                "higher than the open amount",
            ),
            (
                "/my/dunning/dispute",
                {
                    "move_id": self.inv_paid.id,
                    "reason": "price",
                    "amount": "10",
                    "message": "x",
                },
                "already paid",
            ),
            (
                "/my/dunning/plan",
                {"move_ids": [self.other_invoice.id], "installments": "2"},
                "not found among your invoices",
            ),
            (
                "/my/dunning/promise",
                {
                    "move_ids": [self.inv_mid.id],
                    "date_promised": fields.Date.to_string(
                        self.today + timedelta(days=60)
                    ),
                    "amount": "100",
                },
                "between today and",
            ),
        ]
        for url, data, message in cases:
            with self.subTest(message=message):
                response = self._post(url, data)
                self.assertEqual(response.status_code, 400)
                self.assertIn(message, response.text)
        self.assertEqual(self._counts(), before)
        self.assertEqual(self._counts(self.other), other_before)
        # plans outside the limits are not refused but reviewed (above);
        # a refused request is logged
        self.assertEqual(
            self.env["account.dunning.portal.event"].search_count(
                [("partner_id", "=", self.customer.id), ("event", "=", "refused")]
            ),
            len(cases),
        )

    @mute_logger("odoo.http")
    def test_csrf_and_rate_limit(self):
        self.authenticate("portal_kunde", "portal_kunde")
        before = self._counts()
        response = self.url_open(
            "/my/dunning/dispute",
            data={
                "move_id": self.inv_mid.id,
                "reason": "price",
                "amount": "10",
                "message": "x",
            },
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("This form has expired", response.text)
        self.assertEqual(self._counts(), before)
        # ten requests in ten minutes: the eleventh is refused
        # sudo: stands for ten requests sent just before
        self.env["account.dunning.portal.event"].sudo().create(
            [{"event": "refused", "partner_id": self.customer.id}] * 10
        )
        response = self._post(
            "/my/dunning/dispute",
            {
                "move_id": self.inv_mid.id,
                "reason": "price",
                "amount": "10",
                "message": "x",
            },
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("many requests", response.text)
        self.assertEqual(self._counts(), before)

    def test_dispute_with_attachment_over_http(self):
        self.authenticate("portal_kunde", "portal_kunde")
        response = self._post(
            "/my/dunning/dispute",
            {
                "move_id": self.inv_new.id,
                "reason": "delivery",
                "amount": "300",
                "message": "Not delivered",
            },
            files={"attachment": ("note.txt", b"delivery note missing", "text/plain")},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("We have received your objection", response.text)
        dispute = self.env["account.dunning.dispute"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertRecordValues(
            dispute,
            [
                {
                    "state": "open",
                    "contact_id": self.portal_user.partner_id.id,
                    "amount_disputed": 300.0,
                }
            ],
        )
        self.assertIn("Received", self.url_open("/my/dunning").text)

    def test_german_customer_page(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.env["ir.module.module"].search(
            [("name", "=", "account_relationship_dunning")]
        )._update_translations(["de_DE"])
        self.customer.lang = "de_DE"
        self.authenticate(None, None)
        response = self.url_open(f"/d/{self.token}")
        self.assertEqual(response.status_code, 200)
        for text in (
            "Zahlungen und Mahnungen",
            "Offene Posten",
            "Überfällig – Mahnung vom",
        ):
            self.assertIn(text, response.text)
        self.assertNotIn("Open items", response.text)
