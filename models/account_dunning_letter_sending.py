"""What is sent is what is true on the day it is sent: the letter date, the
payment deadline and the claims of an unsent letter are brought to the day it
is approved, previewed, printed or e-mailed, and a letter whose invoices were
blocked, excluded, disputed, put in a payment plan or handed over since the
run is cancelled instead of sent."""

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date


class AccountDunningLetter(models.Model):
    _inherit = "account.dunning.letter"

    def _refresh_to_today(self):
        """Date unsent letters today: new payment deadline, invoices' dunning
        date and claims as of today (interest up to today)."""
        if self.env.context.get("dunning_keep_letter_date"):
            # Recording letters sent in the past (history imports, demo).
            return self.browse()
        today = fields.Date.context_today(self)
        letters = self.filtered(
            lambda letter: (
                letter.state in ("draft", "to_approve", "ready")
                and not letter.claims_frozen
                and letter.date != today
            )
        )
        if not letters:
            return letters
        # Dating a letter today writes its protected date, deadline and
        # claims: only for users who may act on the letters (group, access).
        letters._check_letter_action()
        clashes = self.search(
            [
                ("id", "not in", letters.ids),
                ("partner_id", "in", letters.partner_id.ids),
                ("date", "=", today),
                ("state", "!=", "cancel"),
            ]
        )
        for letter in letters:
            if letter.partner_id in clashes.partner_id:
                raise UserError(
                    self.env._(
                        "Letter %(letter)s cannot be dated today: %(customer)s "
                        "already has a dunning letter of today. Cancel one of them.",
                        letter=letter.name,
                        customer=letter.partner_id.display_name,
                    )
                )
        self.env.flush_all()
        for letter in letters:
            old_date = letter.date
            moves = letter.line_ids.filtered(
                lambda line: not line.notified_letter_id
            ).move_id
            letter._as_dunning_process().write(
                {
                    "date": today,
                    "payment_deadline": fields.Date.add(
                        today, days=letter.level_id.payment_deadline_days
                    ),
                }
            )
            if moves:
                # The invoices carry the date of the letter that dunned them
                # (restored on cancellation): follow the new date.
                self.env["account.dunning.move.state"]._write_states(
                    moves.ids, {"last_date": today}, only_if_last_date=old_date
                )
        # One note per letter (message_post works on one record only).
        note = self.env._(
            "Letter dated %(date)s: new payment deadline and claims as of today.",
            date=format_date(self.env, today),
        )
        letters._message_log_batch(bodies=dict.fromkeys(letters.ids, note))
        letters._as_dunning_process()._compute_claims()
        return letters

    def action_date_today(self):
        """Show an unsent letter as it would be sent today: date, payment
        deadline, interest and fees as of today."""
        self._refresh_to_today()
        return True

    def _get_send_blocks(self):
        """``{move_id: reason}`` for the invoices of ``self`` that may not be
        dunned today: blocked, excluded, customer blocked, or blocked by a
        dispute, mediation, payment plan or legal handover (set-based)."""
        today = fields.Date.context_today(self)
        moves = self.line_ids.move_id
        blocks = {}
        if not moves:
            return blocks
        Run = self.env["account.dunning.run"]
        reasons = dict(
            self.env["account.dunning.run.line"]
            ._fields["reason"]
            ._description_selection(self.env)
        )
        for company, company_moves in moves.grouped("company_id").items():
            for model_name in Run._get_block_providers():
                provided = self.env[model_name]._get_dunning_blocks(
                    company, company_moves.ids, today
                )
                for move_id, (reason, note) in provided.items():
                    blocks.setdefault(move_id, note or reasons.get(reason, reason))
        profiles = self.env["account.dunning.profile"].search(
            [
                ("partner_id", "in", moves.commercial_partner_id.ids),
                ("company_id", "in", moves.company_id.ids),
                ("block_until", ">=", today),
            ]
        )
        blocked_customers = {
            (profile.partner_id.id, profile.company_id.id) for profile in profiles
        }
        for move in moves:
            if move.dunning_excluded:
                blocks.setdefault(move.id, self.env._("excluded from dunning"))
            elif move.dunning_blocked_until and move.dunning_blocked_until >= today:
                blocks.setdefault(
                    move.id,
                    self.env._(
                        "blocked until %(date)s",
                        date=format_date(self.env, move.dunning_blocked_until),
                    ),
                )
            elif (move.commercial_partner_id.id, move.company_id.id) in (
                blocked_customers
            ):
                blocks.setdefault(move.id, self.env._("customer blocked"))
        return blocks

    def _get_blocked_message(self, blocks):
        """Why the letter may not be sent because of ``blocks``, or ``None``."""
        self.ensure_one()
        reasons = [
            self.env._("%(invoice)s: %(reason)s", invoice=line.move_name, reason=reason)
            for line in self.line_ids
            if (reason := blocks.get(line.move_id.id))
        ]
        if not reasons:
            return None
        return self.env._(
            "Not sent: invoices of this letter may no longer be dunned "
            "(%(reasons)s). The letter was cancelled and the invoices got their "
            "previous level back; the next dunning run prepares an up-to-date "
            "letter.",
            reasons="; ".join(reasons),
        )

    def _cancel_outdated(self):
        """Also cancel letters whose invoices were blocked since the run."""
        blocks = self._get_send_blocks()
        cancelled = self.browse()
        for letter in self:
            message = letter._get_blocked_message(blocks)
            if message:
                letter.action_cancel()
                letter.message_post(body=message)
                cancelled |= letter
        return (
            cancelled | super(AccountDunningLetter, self - cancelled)._cancel_outdated()
        )

    def _check_sendable(self, channel):
        letters = super()._check_sendable(channel)
        letters._refresh_to_today()
        return letters

    def action_approve(self):
        res = super().action_approve()
        self._refresh_to_today()
        return res

    def action_preview(self):
        self._refresh_to_today()
        return super().action_preview()

    def action_mark_done(self):
        """Mark ready letters as sent, dated today; a letter whose invoices
        were blocked since the run is refused (cancelled, with the reason)."""
        ready = self.filtered(lambda letter: letter.state == "ready")
        ready._refresh_to_today()
        blocks = ready._get_send_blocks()
        cancelled = self.browse()
        messages = []
        for letter in ready:
            message = letter._get_blocked_message(blocks)
            if message:
                letter.action_cancel()
                letter.message_post(body=message)
                cancelled |= letter
                messages.append(f"{letter.name}: {message}")
        if self - cancelled:
            super(AccountDunningLetter, self - cancelled).action_mark_done()
        if cancelled:
            return self._notify_result(
                self.env._("Dunning letters cancelled"), messages, sticky=True
            )
        return True
