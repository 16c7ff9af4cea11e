from freezegun import freeze_time
from lxml import html as lxml_html

from odoo.tests import tagged

from .common import DunningTestCommon


def text_of(body):
    text = lxml_html.fromstring("<div>%s</div>" % body).text_content()
    return " ".join(text.replace("\xa0", " ").split())


@tagged("post_install", "-at_install")
class TestPaymentPlanReminderMessage(DunningTestCommon):
    """The installment reminders are the plan's mail templates posted on the
    plan (message_post_with_source), in the customer's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._use_euro()
        cls._load_german()
        cls.Plan = cls.env["account.dunning.payment.plan"]
        cls.english = cls._create_customer("Plan Business Ltd", lang="en_US")
        cls.german = cls._create_customer("Raten Handel GmbH", lang="de_DE")

    def _plan(self, customer):
        # 300.00 in three installments of 100.00, due 1 February, 1 March
        # and 1 April 2026; reminders 3 days before, 2 days after.
        invoice = self._invoice(customer, 300.0, "2025-12-01", "2025-12-15")
        with freeze_time("2026-01-10"):
            wizard = (
                self.env["account.dunning.payment.plan.wizard"]
                .with_context(default_move_ids=invoice.ids)
                .create({"first_due_date": "2026-02-01", "installment_number": 3})
            )
            plan = self.Plan.browse(wizard.action_create_plan()["res_id"])
            plan.action_propose()
            plan.action_accept()
        self.assertEqual(plan.installment_ids.mapped("amount"), [100.0] * 3)
        return plan

    def _message(self, plan, subject_part):
        messages = plan.message_ids.filtered(
            lambda message: subject_part in (message.subject or "")
        )
        self.assertEqual(len(messages), 1, subject_part)
        return messages

    def test_reminder_and_missed_installment_in_english(self):
        plan = self._plan(self.english)
        with freeze_time("2026-01-29"):
            self.Plan._cron_payment_plans()
        reminder = self._message(plan, "due soon")
        self.assertEqual(
            reminder.subject, "Payment plan %s: installment 1 due soon" % plan.name
        )
        self.assertIn(
            "We would like to remind you that installment 1 of your payment plan "
            "%s, amounting to 100.00 €, is due on 02/01/2026." % plan.name,
            text_of(reminder.body),
        )
        self.assertEqual(reminder.message_type, "comment")
        self.assertIn(self.english, reminder.partner_ids)
        # Unpaid two days after the due date: 100.00 in arrears.
        with freeze_time("2026-02-03"):
            self.Plan._cron_payment_plans()
        missed = self._message(plan, "not received")
        self.assertEqual(
            missed.subject, "Payment plan %s: installment 1 not received" % plan.name
        )
        self.assertIn(
            "We have not yet received installment 1 of your payment plan %s, "
            "which was due on 02/01/2026. The amount in arrears is 100.00 €."
            % plan.name,
            text_of(missed.body),
        )

    def test_reminder_in_german(self):
        plan = self._plan(self.german)
        with freeze_time("2026-01-29"):
            self.Plan._cron_payment_plans()
        reminder = self._message(plan, "bald fällig")
        self.assertEqual(
            reminder.subject, "Ratenzahlung %s: Rate 1 bald fällig" % plan.name
        )
        self.assertIn(
            "wir möchten Sie daran erinnern, dass die Rate 1 Ihrer "
            "Ratenzahlungsvereinbarung %s über 100,00 € am 01.02.2026 fällig "
            "wird." % plan.name,
            text_of(reminder.body),
        )
