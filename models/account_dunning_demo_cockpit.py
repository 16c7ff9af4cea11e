import logging
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


class AccountDunningDemo(models.AbstractModel):
    """Demo records for every screen of the cockpit: a dispute in mediation,
    an active and an at-risk payment plan, a promise to pay and a legal
    handover."""

    _inherit = "account.dunning.demo"

    @api.model
    def _demo_generate(self, company, journal, partners):
        invoices = super()._demo_generate(company, journal, partners)
        today = fields.Date.context_today(self)
        for seed in (
            self._demo_seed_mediation,
            self._demo_seed_plans,
            self._demo_seed_promise,
            self._demo_seed_handover,
        ):
            try:
                with self.env.cr.savepoint():
                    seed(company, today, partners)
            except Exception as error:  # noqa: BLE001 - a missing example must not stop the demo
                _logger.warning("Dunning demo: %s skipped: %s", seed.__name__, error)
        return invoices

    @api.model
    def _demo_open_invoices(self, company, partner, taken=None):
        """Open invoices of ``partner``, oldest first, that no dispute, plan,
        promise or handover holds yet."""
        moves = self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("commercial_partner_id", "=", partner.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            order="invoice_date_due, id",
        )
        return moves - (taken or moves.browse())

    @api.model
    def _demo_seed_mediation(self, company, today, partners):
        partner = partners["demo_partner_brightwater"]
        invoice = self._demo_open_invoices(company, partner).filtered(
            lambda move: not move.dunning_blocked_until
        )[-1:]
        mediator = self.env["res.partner"].create(
            {
                "name": "Schlichtungsstelle der IHK Berlin",
                "is_company": True,
                "city": "Berlin",
                "country_id": self.env.ref("base.de").id,
            }
        )
        dispute = self.env["account.dunning.dispute"].create(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "reason": "quality",
                "description": "The customer says the delivered parts do not meet "
                "the agreed tolerances; both sides asked the chamber's mediation "
                "office for help.",
                "line_ids": [Command.create({"move_id": invoice.id})],
                "mediator_id": mediator.id,
                "date_deadline": today + timedelta(days=14),
            }
        )
        dispute.action_start_mediation()

    @api.model
    def _demo_seed_plans(self, company, today, partners):
        Wizard = self.env["account.dunning.payment.plan.wizard"]
        plans = self.env["account.dunning.payment.plan"]
        for key, first_due in (
            ("demo_partner_meyer", today + timedelta(days=10)),
            ("demo_partner_hoffmann", today + timedelta(days=1)),
        ):
            moves = self._demo_open_invoices(company, partners[key]).filtered(
                lambda move: not move.dunning_excluded
            )[:2]
            action = (
                Wizard.with_context(default_move_ids=moves.ids)
                .create({"first_due_date": first_due, "installment_number": 3})
                .action_create_plan()
            )
            plan = plans.browse(action["res_id"])
            plan.action_propose()
            plan.action_accept()
            plans |= plan
        # The second plan is at risk: its first installment fell due five
        # days ago and nothing was paid (the schedule is moved back).
        at_risk = plans[1]
        self.env["account.dunning.payment.plan.installment"].flush_model()
        self.env.cr.execute(
            SQL(
                "UPDATE account_dunning_payment_plan_installment "
                "SET due_date = due_date - 6 WHERE plan_id = %s",
                at_risk.id,
            )
        )
        self.env["account.dunning.payment.plan.installment"].invalidate_model()
        at_risk.invalidate_recordset()

    @api.model
    def _demo_seed_promise(self, company, today, partners):
        partner = partners["demo_partner_schwarzwald"]
        moves = self._demo_open_invoices(company, partner).filtered(
            lambda move: (
                move.invoice_date_due < today
                and not move.dunning_blocked_until
                and not move.dunning_excluded
            )
        )[:2]
        self.env["account.dunning.promise"].create(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "move_ids": [Command.set(moves.ids)],
                "date_promised": today + timedelta(days=7),
                "amount": sum(moves.mapped("amount_residual_signed")),
                "note": "The managing director promised the transfer by phone once "
                "their customer's payment is in.",
            }
        )

    @api.model
    def _demo_seed_handover(self, company, today, partners):
        final = self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("dunning_level_id.is_final", "=", True),
            ],
            order="invoice_date_due, id",
        )
        held = (
            self.env["account.dunning.dispute.line"]
            .search([("dispute_id.is_open", "=", True)])
            .move_id
            | self.env["account.dunning.payment.plan"]
            .search([("state", "in", ("draft", "proposed", "active"))])
            .move_ids
        )
        final -= held
        if not final:
            _logger.info("Dunning demo: no invoice at the final level to hand over.")
            return
        partner = final[0].commercial_partner_id
        moves = final.filtered(lambda move: move.commercial_partner_id == partner)
        # Court dunning (Mahnbescheid) is for claims in EUR only; others go
        # to a collection agency.
        in_euro = moves.currency_id.name == "EUR"
        agency = company.dunning_collection_agency_id
        if not in_euro and not agency:
            agency = self.env["res.partner"].create(
                {"name": "Inkasso Nord GmbH", "is_company": True, "city": "Hamburg"}
            )
        handover = self.env["account.dunning.handover"].create(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "channel": "court" if in_euro else "agency",
                "agency_id": False if in_euro else agency.id,
                "move_ids": [Command.set(moves.ids)],
            }
        )
        handover.action_hand_over()
