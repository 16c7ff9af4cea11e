"""Freezing and invoicing the claims of sent dunning letters.

Once a letter is sent its interest, compensation and fees are final; when
the policy says so they are invoiced to the customer (one invoice per
letter, no taxes: damages, not consideration for a supply), and the
invoices record how far interest and compensation were charged so that no
later letter claims them again.
"""

from collections import defaultdict

from odoo import Command, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date


class AccountDunningLetter(models.Model):
    _inherit = "account.dunning.letter"

    def _freeze_claims(self):
        """Make the claims of sent letters final and, when the policy says
        so, invoice them. Idempotent: frozen letters are left alone."""
        letters = self.filtered(
            lambda letter: letter.state == "done" and not letter.claims_frozen
        )
        if not letters:
            return True
        letters._check_and_charge_claims()
        letters.write({"claims_frozen": True})
        return True

    def _check_and_charge_claims(self):
        """What freezing the claims of the sent letters ``self`` checks and
        does besides setting the flag: refuse claims that could not be
        computed or that repeat earlier ones, and invoice the charges when
        the policy says so. The dunning run calls it for the phone calls it
        inserts with their claims final."""
        letters = self
        for letter in letters.filtered("claims_error"):
            raise UserError(
                self.env._(
                    "The interest of letter %(name)s could not be computed: "
                    "%(error)s Recompute its claims before sending it.",
                    name=letter.name,
                    error=letter.claims_error,
                )
            )
        to_charge = letters.filtered(
            lambda letter: (
                letter.policy_id.charge_invoice
                and not letter.charge_move_id
                and not letter.currency_id.is_zero(
                    letter.amount_charges - letter.previous_costs_amount
                )
            )
        )
        letters._check_claims_not_repeated()
        to_charge._create_charge_moves()

    def _check_claims_not_repeated(self):
        """Refuse to claim invoiced interest days or a flat compensation a
        second time, e.g. when an older unsent letter is sent after a newer
        one (also between the letters of ``self``)."""
        # browsed anew (not prefetching through all lines) and read at once
        moves = self.env["account.move"].browse(self.line_ids.move_id.ids)
        moves.fetch(["dunning_charge_letter_id"])
        claimed = moves._get_dunning_compensation_claimed(exclude_letters=self)
        claimed |= set(moves.filtered("dunning_compensation_charged").ids)
        charged_until = {move: move.dunning_interest_charged_until for move in moves}
        for letter in self.sorted(lambda letter: (letter.date, letter.id)):
            invoices = letter.line_ids.move_id.filtered(
                lambda move: not move.dunning_charge_letter_id
            )
            if (
                not letter.compensation_waived
                and letter.letter_compensation_amount
                and invoices
                and set(invoices.ids) <= claimed
            ):
                letter._raise_repeated_claim(invoices[0])
            for line in letter.line_ids:
                move = line.move_id
                charged = charged_until[move]
                if (
                    line.interest_amount
                    and charged
                    and line.interest_date_from <= charged
                ):
                    raise UserError(
                        self.env._(
                            "Letter %(letter)s claims interest on %(invoice)s from "
                            "%(date)s, but the interest up to %(charged)s was "
                            "already invoiced. Recompute the letter's claims "
                            "before sending it.",
                            letter=letter.name,
                            invoice=move.name,
                            date=format_date(self.env, line.interest_date_from),
                            charged=format_date(self.env, charged),
                        )
                    )
                if (
                    not letter.compensation_waived
                    and line.compensation_amount
                    and move.id in claimed
                ):
                    letter._raise_repeated_claim(move)
                if (
                    letter.policy_id.charge_invoice
                    and not letter.interest_waived
                    and line.interest_amount
                ):
                    charged_until[move] = line.interest_date_to
            if not letter.compensation_waived:
                if letter.letter_compensation_amount:
                    claimed |= set(invoices.ids)
                claimed |= set(
                    letter.line_ids.filtered("compensation_amount").move_id.ids
                )

    def _raise_repeated_claim(self, move):
        self.ensure_one()
        raise UserError(
            self.env._(
                "The flat compensation for %(invoice)s was already claimed by a "
                "letter that was sent. Recompute the claims of letter %(letter)s "
                "before sending it.",
                letter=self.name,
                invoice=move.name,
            )
        )

    def _create_charge_moves(self):
        """Post one customer invoice per letter with its claimed charges and
        record on the invoices what was charged."""
        moves = self.env["account.move"]
        letters = self.browse()
        for company, company_letters in self.grouped("company_id").items():
            moves |= (
                self.env["account.move"]
                .with_company(company)
                .create(
                    [letter._prepare_charge_move_vals() for letter in company_letters]
                )
            )
            letters |= company_letters
        moves.action_post()
        charged_until = {}
        compensated = []
        for letter, move in zip(letters, moves, strict=True):
            letter.charge_move_id = move
            if not letter.interest_waived:
                for line in letter.line_ids.filtered("interest_amount"):
                    invoice = line.move_id
                    charged_until[invoice] = max(
                        filter(
                            None,
                            [
                                line.interest_date_to,
                                charged_until.get(invoice),
                                invoice.dunning_interest_charged_until,
                            ],
                        )
                    )
            if not letter.compensation_waived:
                if letter.letter_compensation_amount:
                    compensated += letter.line_ids.move_id.filtered(
                        lambda invoice: not invoice.dunning_charge_letter_id
                    ).ids
                compensated += letter.line_ids.filtered(
                    "compensation_amount"
                ).move_id.ids
        by_date = defaultdict(list)
        for invoice, until in charged_until.items():
            by_date[until].append(invoice.id)
        for until, invoice_ids in by_date.items():
            self.env["account.move"].browse(invoice_ids).write(
                {"dunning_interest_charged_until": until}
            )
        self.env["account.move"].browse(list(dict.fromkeys(compensated))).write(
            {"dunning_compensation_charged": True}
        )
        return moves

    def _get_charge_journal(self):
        self.ensure_one()
        journal = self.policy_id.charge_journal_id or self.env[
            "account.journal"
        ].search(
            [
                *self.env["account.journal"]._check_company_domain(self.company_id),
                ("type", "=", "sale"),
            ],
            limit=1,
        )
        if not journal:
            raise UserError(
                self.env._(
                    "Company %(company)s has no sales journal for the charges of "
                    "dunning letter %(letter)s.",
                    company=self.company_id.name,
                    letter=self.name,
                )
            )
        return journal

    def _prepare_charge_move_vals(self):
        self.ensure_one()
        today = fields.Date.context_today(self)
        return {
            "move_type": "out_invoice",
            "company_id": self.company_id.id,
            "partner_id": self.partner_id.id,
            "journal_id": self._get_charge_journal().id,
            "currency_id": self.currency_id.id,
            "invoice_date": today,
            "invoice_payment_term_id": False,
            "invoice_date_due": max(self.payment_deadline or today, today),
            "invoice_origin": self.name,
            "dunning_charge_letter_id": self.id,
            "invoice_line_ids": [
                Command.create(vals) for vals in self._prepare_charge_line_vals()
            ],
        }

    def _prepare_charge_line_vals(self):
        """Invoice lines of the claimed (not waived) charges, labelled in the
        customer's language. Default interest, compensation and dunning fees
        are damages, not consideration for a supply: no taxes."""
        self.ensure_one()
        env = self.with_context(lang=self.partner_id.lang).env
        policy = self.policy_id
        currency = self.currency_id
        vals_list = []

        def charge(name, amount, product, account):
            vals = {
                "name": name,
                "quantity": 1.0,
                "price_unit": amount,
                "tax_ids": [Command.clear()],
            }
            if product:
                vals["product_id"] = product.id
            if account:
                vals["account_id"] = account.id
            vals_list.append(vals)

        if not self.interest_waived:
            for line in self.line_ids:
                if currency.is_zero(line.interest_amount):
                    continue
                charge(
                    env._(
                        "Default interest on %(invoice)s from %(date_from)s to "
                        "%(date_to)s (%(points)s points above the base rate)",
                        invoice=line.move_name,
                        date_from=format_date(env, line.interest_date_from),
                        date_to=format_date(env, line.interest_date_to),
                        points=f"{line.interest_points:g}",
                    ),
                    line.interest_amount,
                    policy.interest_product_id,
                    policy.interest_account_id,
                )
        if not self.compensation_waived:
            for line in self.line_ids:
                if currency.is_zero(line.compensation_amount):
                    continue
                charge(
                    env._(
                        "Flat compensation (§ 288 (5) BGB) for %(invoice)s",
                        invoice=line.move_name,
                    ),
                    line.compensation_amount,
                    policy.fee_product_id,
                    policy.fee_account_id,
                )
            if not currency.is_zero(self.letter_compensation_amount):
                charge(
                    env._(
                        "Flat compensation (§ 288 (5) BGB), dunning letter %(letter)s",
                        letter=self.name,
                    ),
                    self.letter_compensation_amount,
                    policy.fee_product_id,
                    policy.fee_account_id,
                )
        net_fee = self.fee_amount - self.fee_offset_amount
        if not self.fees_waived and not currency.is_zero(net_fee):
            charge(
                env._("Dunning fee, letter %(letter)s", letter=self.name),
                net_fee,
                policy.fee_product_id,
                policy.fee_account_id,
            )
        return vals_list
