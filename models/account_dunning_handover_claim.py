"""Legal handover: the checks before a claim is handed over and the snapshot
of parties, invoices, interest and pre-court costs it records."""

from collections import defaultdict
from datetime import timedelta

from odoo import Command, fields, models
from odoo.exceptions import UserError

from .account_dunning_dispute import OPEN_STATES as DISPUTE_OPEN_STATES
from .account_dunning_handover import (
    INTEREST_POINTS_B2B,
    INTEREST_POINTS_CONSUMER,
    PLAN_BLOCKING_STATES,
)


class AccountDunningHandover(models.Model):
    _inherit = "account.dunning.handover"

    def _check_manager(self, message=None):
        return super()._check_manager(
            message
            or self.env._(
                "Only a dunning manager can hand a claim over to court dunning "
                "or a collection agency."
            )
        )

    def _check_can_hand_over(self):
        self.ensure_one()
        _ = self.env._
        if self.state != "draft":
            raise UserError(
                _("Handover %(name)s was already handed over.", name=self.name)
            )
        moves = self.move_ids
        if not moves:
            raise UserError(_("Choose the invoices to hand over."))
        for move in moves:
            if not move._is_dunning_open() or move.currency_id.is_zero(
                move.amount_residual
            ):
                raise UserError(
                    _(
                        "Invoice %(invoice)s is not an open customer invoice.",
                        invoice=move.display_name,
                    )
                )
            if move.commercial_partner_id != self.partner_id:
                raise UserError(
                    _(
                        "Invoice %(invoice)s belongs to another customer.",
                        invoice=move.name,
                    )
                )
            if not move.dunning_level_id.is_final:
                raise UserError(
                    _(
                        "Invoice %(invoice)s has not reached the final dunning "
                        "level yet: a claim is handed over only after the final "
                        "notice.",
                        invoice=move.name,
                    )
                )
        if len(moves.currency_id) > 1:
            raise UserError(_("Hand over invoices of one currency at a time."))
        if self.channel == "court" and moves.currency_id.name != "EUR":
            raise UserError(_("Court dunning is only available for claims in EUR."))
        if self.channel == "agency" and not self.agency_id:
            raise UserError(_("Choose the collection agency."))
        self._check_no_blocking_records(moves)

    def _check_no_blocking_records(self, moves):
        """Refuse invoices with an open dispute, a payment plan being honoured
        or another handover."""
        _ = self.env._
        disputed = self.env["account.dunning.dispute.line"].search(
            [
                ("move_id", "in", moves.ids),
                ("dispute_state", "in", DISPUTE_OPEN_STATES),
            ],
            limit=1,
        )
        if disputed:
            raise UserError(
                _(
                    "Invoice %(invoice)s is disputed (%(dispute)s): a disputed claim "
                    "cannot be handed over. Resolve the dispute first, or record "
                    "that it failed.",
                    invoice=disputed.move_id.name,
                    dispute=disputed.dispute_id.name,
                )
            )
        if "account.dunning.payment.plan" in self.env:
            plan = self.env["account.dunning.payment.plan"].search(
                [("move_ids", "in", moves.ids), ("state", "in", PLAN_BLOCKING_STATES)],
                limit=1,
            )
            if plan:
                raise UserError(
                    _(
                        "The invoices are covered by payment plan %(plan)s: cancel "
                        "it or wait until it is broken before handing them over.",
                        plan=plan.display_name,
                    )
                )
        other = self.env["account.dunning.handover.line"].search(
            [
                ("move_id", "in", moves.ids),
                ("handover_id.state", "=", "handed_over"),
                ("handover_id", "!=", self.id),
            ],
            limit=1,
        )
        if other:
            raise UserError(
                _(
                    "Invoice %(invoice)s is already handed over in %(handover)s.",
                    invoice=other.move_id.name,
                    handover=other.handover_id.name,
                )
            )

    def _prepare_handover_vals(self, today):
        self.ensure_one()
        company = self.company_id
        debtor = self.partner_id
        consumer = debtor._is_dunning_consumer()
        letters = self._get_letters_sent()
        costs = self._prepare_cost_vals(letters)
        costs_by_move = defaultdict(lambda: defaultdict(float))
        for cost in costs:
            costs_by_move[cost["move_id"]][cost["kind"]] += cost["amount"]
        claim_types = self._get_claim_types(self.move_ids)
        points = INTEREST_POINTS_CONSUMER if consumer else INTEREST_POINTS_B2B
        # Interest runs from default: the day after the due date, or (policy,
        # e.g. consumers) after the first letter was received.
        starts = {
            move_id: result["date_from"]
            for move_id, result in self.move_ids._get_dunning_interest(today).items()
        }
        lines = [
            Command.create(
                {
                    "move_id": move.id,
                    "move_name": move.name,
                    "invoice_date": move.invoice_date,
                    "date_due": move.invoice_date_due,
                    "amount_principal": move.amount_residual,
                    "interest_points": points,
                    # after the interest already invoiced by a charges invoice
                    "interest_date_from": max(
                        max(
                            move.invoice_date_due,
                            move.dunning_interest_charged_until
                            or move.invoice_date_due,
                        )
                        + timedelta(days=1),
                        starts.get(move.id) or move.invoice_date_due,
                    ),
                    "claim_type_id": claim_types[move.id].id,
                    "fee_amount": costs_by_move[move.id]["fee"],
                    "compensation_amount": costs_by_move[move.id]["compensation"],
                }
            )
            for move in self.move_ids.sorted(lambda m: (m.invoice_date_due, m.id))
        ]
        return {
            "state": "handed_over",
            "user_id": self.env.uid,
            "date_handover": today,
            "date_filed": self.date_filed
            or (today if self.channel == "court" else False),
            "creditor_name": company.partner_id.name,
            "creditor_address": _one_line_address(company.partner_id),
            "debtor_name": debtor.name,
            "debtor_address": _one_line_address(debtor),
            "debtor_legal_form": debtor._get_dunning_legal_form(),
            "interest_points": points,
            "letter_ids": [Command.set(letters.ids)],
            "line_ids": [Command.clear(), *lines],
            "cost_ids": [Command.clear()] + [Command.create(cost) for cost in costs],
        }

    def _get_letters_sent(self):
        """Letters sent to the debtor about the invoices of the handover."""
        self.ensure_one()
        return self.env["account.dunning.letter"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("partner_id", "=", self.partner_id.id),
                ("state", "=", "done"),
                ("line_ids.move_id", "in", self.move_ids.ids),
            ],
            order="date, id",
        )

    def _prepare_cost_vals(self, letters):
        """Pre-court costs itemised per letter: the fee and the per-letter
        compensation on the letter's earliest-due invoice of the handover, the
        per-invoice compensation on its invoice."""
        self.ensure_one()
        currency = self.currency_id
        costs = []
        for letter in letters:
            if letter.charge_move_id:
                # Its charges were invoiced: that invoice is a claim of its own.
                continue
            # Invoices only listed as already notified carry none of the
            # letter's costs.
            lines = letter.line_ids.filtered(
                lambda ln: ln.move_id in self.move_ids and not ln.notified_letter_id
            ).sorted(lambda ln: (ln.date_due or fields.Date.today(), ln.id))
            if not lines:
                continue

            def convert(amount, letter=letter):
                return letter.currency_id._convert(
                    amount, currency, self.company_id, letter.date
                )

            first_move = lines[0].move_id
            # Waived amounts (policy) were shown on the letter, never claimed.
            # Net of the part credited against the flat compensation.
            fee = (
                0.0
                if letter.fees_waived
                else letter.fee_amount - letter.fee_offset_amount
            )
            waive = letter.compensation_waived
            items = [
                ("fee", first_move, fee),
                (
                    "compensation",
                    first_move,
                    0.0 if waive else letter.letter_compensation_amount,
                ),
            ] + [
                (
                    "compensation",
                    line.move_id,
                    0.0 if waive else line.compensation_amount,
                )
                for line in lines
            ]
            for kind, move, amount in items:
                if letter.currency_id.is_zero(amount or 0.0):
                    continue
                costs.append(
                    {
                        "letter_id": letter.id,
                        "move_id": move.id,
                        "kind": kind,
                        "date": letter.date,
                        "amount": convert(amount),
                    }
                )
        return costs

    def _get_claim_types(self, moves):
        """``{move_id: claim type}``: the claim type of the product category
        with the largest amount on the invoice, else the customer policy's,
        else purchase contract (11)."""
        ClaimType = self.env["account.dunning.claim.type"]
        fallback = self._get_policy_claim_type() or ClaimType._get_default()
        result = {}
        for move in moves:
            amounts = defaultdict(float)
            for line in move.invoice_line_ids.filtered(
                lambda ln: ln.display_type == "product" and ln.product_id
            ):
                claim_type = line.product_id.categ_id._get_dunning_claim_type()
                if claim_type:
                    amounts[claim_type] += abs(line.price_subtotal)
            result[move.id] = (
                max(amounts, key=lambda ct: (amounts[ct], -ct.id))
                if amounts
                else fallback
            )
        return result

    def _get_policy_claim_type(self):
        self.ensure_one()
        profile = self.env["account.dunning.profile"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("partner_id", "=", self.partner_id.id),
            ],
            limit=1,
        )
        if not profile.segment_id:
            return self.env["account.dunning.claim.type"]
        Policy = self.env["account.dunning.policy"]
        policy = Policy._pick_policy(
            Policy._get_policy_map(self.company_id),
            profile.segment_id,
            self.partner_id._is_dunning_consumer(),
        )
        return (
            policy.claim_type_id if policy else self.env["account.dunning.claim.type"]
        )


def _one_line_address(partner):
    parts = [
        partner.street,
        partner.street2,
        " ".join(filter(None, [partner.zip, partner.city])),
        partner.country_id.name,
    ]
    return ", ".join(part for part in parts if part)
