from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestDisputes(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._create_customer("Quarrel GmbH")
        cls.mediator = cls.env["res.partner"].create({"name": "Mediation Office"})
        cls._set_segment(cls.customer, "new")
        cls.invoice = cls._invoice(cls.customer, 1000.0, "2026-01-01", "2026-01-31")
        cls.Dispute = cls.env["account.dunning.dispute"]

    def _messages(self, record, text):
        return record.message_ids.filtered(lambda m: text in (m.body or ""))

    # ------------------------------------------------------------------
    # State machine
    # ------------------------------------------------------------------
    def test_allowed_transitions_record_periods_and_chatter(self):
        with freeze_time("2026-02-02"):
            dispute = self._dispute(
                self.customer, self.invoice, date_deadline="2026-02-09"
            )
            self.assertEqual(dispute.state, "open")
            self.assertEqual(dispute.amount_disputed, 1000.0)
            deadline = dispute.activity_ids
            self.assertEqual(len(deadline), 1)
            self.assertEqual(str(deadline.date_deadline), "2026-02-09")
            self.assertEqual(deadline.user_id, self.env.user)
            dispute.action_clarify()
        with freeze_time("2026-02-10"):
            dispute.mediator_id = self.mediator
            dispute.action_start_mediation()
            session = self.env["account.dunning.mediation.session"].create(
                {"dispute_id": dispute.id, "date": "2026-02-20", "location": "Room 4"}
            )
            self.assertEqual(str(session.activity_id.date_deadline), "2026-02-20")
            self.assertEqual(session.activity_id.res_id, dispute.id)
        with freeze_time("2026-02-25"):
            session.action_mark_held()
            self.assertFalse(session.activity_id, "a held session's activity is done")
            dispute.action_withdraw()
        self.assertRecordValues(
            dispute,
            [
                {
                    "state": "resolved",
                    "outcome": "withdrawn",
                    "verdict": "unfounded",
                    "mediation_result": "agreement",
                }
            ],
        )
        self.assertEqual(str(dispute.clarification_start), "2026-02-02")
        self.assertEqual(str(dispute.clarification_end), "2026-02-10")
        self.assertEqual(str(dispute.mediation_start), "2026-02-10")
        self.assertEqual(str(dispute.mediation_end), "2026-02-25")
        self.assertEqual(str(dispute.date_closed), "2026-02-25")
        self.assertFalse(
            dispute.activity_ids, "deadline activities end with the dispute"
        )
        suspensions = dispute.suspension_ids.sorted("date_start")
        self.assertEqual(
            [(s.kind, str(s.date_start), str(s.date_end)) for s in suspensions],
            [
                ("negotiation", "2026-02-02", "2026-02-10"),
                ("mediation", "2026-02-10", "2026-02-25"),
            ],
        )
        self.assertEqual(suspensions.move_ids, self.invoice)
        for record in (self.customer, self.invoice):
            self.assertTrue(self._messages(record, "opened"))
            for new_state in ("Clarification", "Mediation", "Resolved"):
                self.assertTrue(
                    self._messages(record, f"→ {new_state}"),
                    f"{record.display_name} shows the change to {new_state}",
                )

    def test_refused_transitions(self):
        dispute = self._dispute(self.customer, self.invoice)
        with self.assertRaisesRolledBack(UserError, "cannot go from Open to Failed"):
            dispute.action_fail()
        self.assertEqual(dispute.state, "open")
        with self.assertRaisesRolledBack(UserError, "choose the outcome"):
            dispute.action_resolve()
        dispute.action_cancel()
        self.assertEqual(dispute.state, "cancel")
        for action in (
            dispute.action_clarify,
            dispute.action_withdraw,
            dispute.action_cancel,
        ):
            with self.assertRaises(UserError):
                action()
            self.assertEqual(dispute.state, "cancel")

        other = self._dispute(self.customer, self.invoice, mediator_id=self.mediator.id)
        other.action_start_mediation()
        with self.assertRaisesRolledBack(
            UserError, "cannot go from Mediation to Cancelled"
        ):
            other.action_cancel()
        with self.assertRaisesRolledBack(UserError, "cannot go from Mediation to"):
            other.action_clarify()
        self.assertEqual(other.state, "mediation")
        other.action_fail()
        self.assertRecordValues(
            other,
            [
                {
                    "state": "failed",
                    "verdict": "unfounded",
                    "mediation_result": "no_agreement",
                }
            ],
        )
        with self.assertRaises(UserError):
            other.action_withdraw()
        self.assertEqual(other.state, "failed")

    def test_mediation_without_mediator_is_refused(self):
        dispute = self._dispute(self.customer, self.invoice)
        with self.assertRaisesRolledBack(ValidationError, "choose the mediator"):
            dispute.action_start_mediation()
        self.assertEqual(dispute.state, "open")
        self.assertFalse(dispute.mediation_start)
        self.assertFalse(dispute.suspension_ids)
        dispute.mediator_id = self.mediator
        dispute.action_start_mediation()
        with self.assertRaisesRolledBack(ValidationError, "choose the mediator"):
            dispute.mediator_id = False

    # ------------------------------------------------------------------
    # Bad input
    # ------------------------------------------------------------------
    def test_disputed_amount_above_open_amount_is_refused(self):
        self._pay(self.invoice, 300.0, "2026-02-01")
        self.assertEqual(self.invoice.amount_residual, 700.0)
        count = self.Dispute.search_count([])
        with self.assertRaisesRolledBack(
            ValidationError, r"higher than its open amount \(.*700\.00"
        ):
            self._dispute(self.customer, self.invoice, amounts=[700.01])
        self.assertEqual(self.Dispute.search_count([]), count)
        with self.assertRaisesRolledBack(ValidationError, "must be positive"):
            self._dispute(self.customer, self.invoice, amounts=[-5.0])
        dispute = self._dispute(self.customer, self.invoice, amounts=[700.0])
        self.assertEqual(dispute.amount_disputed, 700.0)
        with self.assertRaisesRolledBack(ValidationError, "already disputed"):
            self._dispute(self.customer, self.invoice, amounts=[100.0])
        stranger = self._create_customer("Stranger AG")
        with self.assertRaisesRolledBack(ValidationError, "belongs to Quarrel GmbH"):
            self._dispute(stranger, self.invoice)

    def test_lines_locked_after_clarification_starts(self):
        dispute = self._dispute(self.customer, self.invoice, amounts=[400.0])
        dispute.line_ids.amount_disputed = 500.0
        dispute.action_clarify()
        with self.assertRaisesRolledBack(UserError, "only be changed while it is open"):
            dispute.line_ids.amount_disputed = 600.0
        self.assertEqual(dispute.line_ids.amount_disputed, 500.0)
        dispute.line_ids.amount_credit = 200.0  # the credit stays negotiable
        self.assertEqual(dispute.line_ids.amount_credit, 200.0)

    # ------------------------------------------------------------------
    # Dunning engine
    # ------------------------------------------------------------------
    def test_engine_skips_disputed_and_mediated_invoices_and_resumes(self):
        with freeze_time("2026-02-05"):
            dispute = self._dispute(
                self.customer, self.invoice, mediator_id=self.mediator.id
            )
            run = self._run("2026-02-10")
        decision = self._decision(run, self.invoice)
        self.assertEqual((decision.decision, decision.reason), ("skip", "dispute"))
        self.assertIn(dispute.name, decision.note)
        self.assertFalse(run.letter_ids)

        with freeze_time("2026-02-11"):
            dispute.action_start_mediation()
            run = self._run("2026-02-11")
        decision = self._decision(run, self.invoice)
        self.assertEqual((decision.decision, decision.reason), ("skip", "mediation"))
        self.assertFalse(self.invoice.dunning_level_id)

        with freeze_time("2026-02-12"):
            dispute.action_withdraw()
            run = self._run("2026-02-12")
        decision = self._decision(run, self.invoice)
        self.assertEqual(decision.decision, "letter")
        self.assertFalse(decision.reason)
        self.assertEqual(run.letter_ids.partner_id, self.customer)
        self.assertEqual(self.invoice.dunning_level_id.name, "Payment Reminder")

    def test_partial_dispute_policy_setting(self):
        policy = self._final_level(self.customer).policy_id
        reminder = policy._get_sorted_levels()[0]
        reminder.min_amount = 500.0
        dispute = self._dispute(self.customer, self.invoice, amounts=[700.0])

        policy.dispute_dun_undisputed = False
        run = self._run("2026-02-10")
        decision = self._decision(run, self.invoice)
        self.assertEqual((decision.decision, decision.reason), ("skip", "dispute"))
        self.assertEqual(decision.amount_overdue, 1000.0)

        policy.dispute_dun_undisputed = True
        run = self._run("2026-02-10")
        decision = self._decision(run, self.invoice)
        self.assertEqual(
            (decision.decision, decision.reason),
            ("skip", "min_amount"),
            "only the undisputed 300.00 count against the minimum of 500.00",
        )
        self.assertEqual(decision.amount_overdue, 300.0)

        dispute.line_ids.amount_disputed = 400.0
        run = self._run("2026-02-10")
        decision = self._decision(run, self.invoice)
        self.assertEqual(decision.decision, "letter")
        self.assertEqual(decision.amount_overdue, 600.0)

        # A dispute on the whole open amount blocks whatever the setting.
        other = self._invoice(self.customer, 800.0, "2026-01-01", "2026-01-31")
        self._dispute(self.customer, other)
        run = self._run("2026-02-11")
        decision = self._decision(run, other)
        self.assertEqual((decision.decision, decision.reason), ("skip", "dispute"))

    # ------------------------------------------------------------------
    # Resolution
    # ------------------------------------------------------------------
    def test_credit_note_resolution(self):
        second = self._invoice(self.customer, 400.0, "2026-01-05", "2026-02-04")
        dispute = self._dispute(
            self.customer, self.invoice + second, amounts=[250.0, 400.0]
        )
        with freeze_time("2026-02-15"):
            dispute.action_clarify()
        with freeze_time("2026-02-20"):
            dispute.action_resolve_credit_note()
        credit_notes = dispute.credit_note_ids.sorted("amount_total")
        self.assertRecordValues(
            credit_notes,
            [
                {
                    "move_type": "out_refund",
                    "state": "draft",
                    "amount_total": 250.0,
                    "reversed_entry_id": self.invoice.id,
                    "partner_id": self.customer.id,
                },
                {
                    "move_type": "out_refund",
                    "state": "draft",
                    "amount_total": 400.0,
                    "reversed_entry_id": second.id,
                    "partner_id": self.customer.id,
                },
            ],
        )
        self.assertEqual(str(credit_notes[0].invoice_date), "2026-02-20")
        self.assertRecordValues(
            dispute,
            [{"state": "resolved", "outcome": "credit_note", "verdict": "founded"}],
        )
        self.assertEqual(
            self.invoice.amount_residual, 1000.0, "credit notes are drafts"
        )

    def test_credit_amount_above_open_amount_is_refused(self):
        dispute = self._dispute(self.customer, self.invoice, amounts=[300.0])
        dispute.line_ids.amount_credit = 1200.0
        with self.assertRaisesRolledBack(UserError, "between zero and the open amount"):
            dispute.action_resolve_credit_note()
        self.assertEqual(dispute.state, "open")
        self.assertFalse(dispute.credit_note_ids)
        self.assertFalse(
            self.env["account.move"].search(
                [("reversed_entry_id", "=", self.invoice.id)]
            )
        )

    @freeze_time("2026-02-15")
    def test_payment_plan_resolution(self):
        dispute = self._dispute(self.customer, self.invoice)
        action = dispute.action_resolve_payment_plan()
        self.assertEqual(action["context"]["default_move_ids"], self.invoice.ids)
        self.assertRecordValues(
            dispute, [{"state": "resolved", "outcome": "payment_plan"}]
        )
        # The dialog the action opens offers the plan on the disputed invoice.
        form = Form(self.env[action["res_model"]].with_context(**action["context"]))
        self.assertEqual(form.move_ids.ids, self.invoice.ids)
        self.assertEqual(form.partner_id, self.customer)
        self.assertEqual(str(form.first_due_date), "2026-03-01", "today + 14 days")
        form.installment_number = 2
        plan = self.env["account.dunning.payment.plan"].browse(
            form.save().action_create_plan()["res_id"]
        )
        # 1,000.00 in two installments of 500.00 (2026-03-01, 2026-04-01).
        self.assertRecordValues(
            plan,
            [
                {
                    "partner_id": self.customer.id,
                    "state": "draft",
                    "amount_open": 1000.0,
                    "amount_total": 1000.0,
                }
            ],
        )
        self.assertEqual(plan.move_ids, self.invoice)
        self.assertRecordValues(
            plan.installment_ids,
            [
                {"due_date": self._date("2026-03-01"), "amount": 500.0},
                {"due_date": self._date("2026-04-01"), "amount": 500.0},
            ],
        )

    # ------------------------------------------------------------------
    # Relationship score
    # ------------------------------------------------------------------
    def test_score_counts_open_and_unfounded_not_won_disputes(self):
        invoices = [
            self._invoice(self.customer, 100.0, "2026-01-01", "2026-01-31")
            for _i in range(3)
        ]
        self._dispute(self.customer, invoices[0])  # open
        withdrawn = self._dispute(self.customer, invoices[1])
        withdrawn.action_withdraw()  # unfounded
        won = self._dispute(self.customer, invoices[2])
        won.action_resolve_credit_note()  # the customer was right

        def count():
            values = self.Profile._compute_profile_values(
                self.company, self.customer, self._date("2026-03-01")
            )
            return values[self.customer.id]["open_dispute_count"]

        self.assertEqual(count(), 2)
        self.company.dunning_score_unfounded_disputes = False
        self.assertEqual(count(), 1)
        self.company.dunning_score_open_disputes = False
        self.assertEqual(count(), 0)
        self.company.dunning_score_unfounded_disputes = True
        won.verdict = "unfounded"  # a manager corrects the verdict
        self.assertEqual(count(), 2)
