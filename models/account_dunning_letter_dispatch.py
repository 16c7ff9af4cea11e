"""Sending dunning letters: by e-mail, or printed in one file for post.

The checks before sending (ready state and channel, a complete postal
address, a valid e-mail address) and the two actions of the letter list. The
sending itself (documents, e-mails, chatter) is the service model
``account.dunning.letter.send``; ``account_dunning_letter_isolation.py`` and
``account_dunning_letter_sending.py`` extend these actions.
"""

from markupsafe import Markup

from odoo import models
from odoo.exceptions import UserError
from odoo.tools import email_normalize

POSTAL_FIELDS = ("street", "zip", "city", "country_id")


class AccountDunningLetter(models.Model):
    """Sending refuses outdated letters instead of silently changing them: when
    an invoice of the letter was paid or its open amount changed after the
    run prepared the letter, the letter is cancelled with a message saying
    why (its invoices get their previous level back), so the next dunning
    run prepares an up-to-date letter. A letter therefore never states
    amounts that differ from the database at the time it is sent.
    """

    _inherit = "account.dunning.letter"

    # ------------------------------------------------------------------
    # Checks before sending
    # ------------------------------------------------------------------
    def _get_outdated_message(self):
        """Why the letter may no longer be sent as prepared, or ``None``."""
        self.ensure_one()
        currency = self.company_id.currency_id
        paid, changed = [], []
        for line in self.line_ids:
            move = line.move_id
            current = move.amount_residual_signed if move.state == "posted" else 0.0
            if currency.is_zero(current):
                paid.append(line.move_name)
            elif currency.compare_amounts(current, line.amount_residual_company):
                changed.append(
                    self.env._(
                        "%(invoice)s: %(before)s → %(now)s",
                        invoice=line.move_name,
                        before=self._format_amount(
                            line.amount_residual_company, currency
                        ),
                        now=self._format_amount(current, currency),
                    )
                )
        if paid and len(paid) == len(self.line_ids):
            return self.env._(
                "Not sent: all invoices of this letter were paid in the meantime "
                "(%(invoices)s). The letter was cancelled.",
                invoices=", ".join(paid),
            )
        if paid or changed:
            changes = [
                self.env._("%(invoice)s: paid", invoice=name) for name in paid
            ] + changed
            return self.env._(
                "Not sent: the open amounts changed since the letter was prepared "
                "(%(changes)s). The letter was cancelled so that it never states "
                "outdated amounts; the next dunning run prepares an up-to-date "
                "letter.",
                changes="; ".join(changes),
            )
        return None

    def _cancel_outdated(self):
        """Cancel (with a message) the letters whose amounts are outdated."""
        cancelled = self.browse()
        for letter in self:
            message = letter._get_outdated_message()
            if message:
                letter.action_cancel()
                letter.message_post(body=message)
                cancelled |= letter
        return cancelled

    def _check_postal_address(self):
        missing = []
        Partner = self.env["res.partner"]
        for letter in self:
            partner = letter.partner_id
            fields_missing = [
                Partner._fields[name]._description_string(self.env)
                for name in POSTAL_FIELDS
                if not partner[name]
            ]
            if fields_missing:
                missing.append(
                    self.env._(
                        "%(letter)s, %(customer)s: %(fields)s",
                        letter=letter.name,
                        customer=partner.display_name,
                        fields=", ".join(fields_missing),
                    )
                )
        if missing:
            raise UserError(
                self.env._(
                    "These letters cannot be printed because the customer's postal "
                    "address is incomplete (street, ZIP, city and country are "
                    "needed). Complete the addresses and print again; nothing was "
                    "printed or marked as sent.\n%(letters)s",
                    letters="\n".join(missing),
                )
            )

    def _switch_to_post(self):
        """E-mail letters whose customer has no valid address go by post."""
        for letter in self:
            note = self.env._(
                "No valid e-mail address for %(customer)s: switched to post.",
                customer=letter.partner_id.display_name,
            )
            letter.write({"channel": "post", "channel_note": note})
            letter.message_post(
                body=self.env._("%(note)s Print it with the post letters.", note=note)
            )

    def _check_sendable(self, channel):
        letters = self.filtered(
            lambda letter: letter.state == "ready" and letter.channel == channel
        )
        if not letters:
            if channel == "post":
                message = self.env._(
                    "None of the selected letters is ready to be printed for post. "
                    "Only approved letters (state Ready) of the channel Post can be "
                    "printed."
                )
            else:
                message = self.env._(
                    "None of the selected letters is ready to be sent by e-mail. "
                    "Only approved letters (state Ready) of the channel E-mail can "
                    "be sent."
                )
            raise UserError(message)
        return letters

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    def _mark_sent(self):
        self.write({"state": "done"})
        self._on_done()

    def _log_sent(self, body_by_letter):
        """Note the sending on the customers' and the invoices' chatter."""
        partner_bodies, move_bodies = {}, {}
        for letter in self:
            body = body_by_letter(letter)
            partner_bodies.setdefault(letter.partner_id.id, []).append(body)
            for move in letter.line_ids.move_id:
                move_bodies.setdefault(move.id, []).append(body)
        for model, bodies in (
            ("res.partner", partner_bodies),
            ("account.move", move_bodies),
        ):
            self.env[model].browse(list(bodies))._message_log_batch(
                bodies={
                    res_id: Markup("<br/>").join(texts)
                    for res_id, texts in bodies.items()
                }
            )

    def _notify_result(self, title, lines, next_action=None, sticky=False):
        params = {
            "title": title,
            "message": "\n".join(lines),
            "type": "warning" if sticky else "success",
            "sticky": sticky,
        }
        if next_action:
            params["next"] = next_action
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": params,
        }

    def action_send_email(self):
        """Send the ready e-mail letters of ``self`` and mark them as sent.

        Customers without a valid e-mail address are switched to post, and
        outdated letters are cancelled; both are reported, never sent.
        """
        letters = self._check_sendable("email")
        no_email = letters.filtered(
            lambda letter: not email_normalize(letter.partner_id.email)
        )
        no_email._switch_to_post()
        letters -= no_email
        cancelled = letters._cancel_outdated()
        letters -= cancelled
        failed = self.browse()
        if letters:
            letters, failed = self.env["account.dunning.letter.send"]._send_letters(
                letters, "email"
            )
        lines = []
        if letters:
            lines.append(
                self.env._(
                    "%(count)s letter(s) queued for sending by e-mail.",
                    count=len(letters),
                )
            )
        if no_email:
            lines.append(
                self.env._(
                    "%(count)s letter(s) switched to post (no valid e-mail "
                    "address): %(letters)s",
                    count=len(no_email),
                    letters=", ".join(no_email.mapped("name")),
                )
            )
        if cancelled:
            lines.append(
                self.env._(
                    "%(count)s letter(s) cancelled because their invoices were "
                    "paid or changed: %(letters)s",
                    count=len(cancelled),
                    letters=", ".join(cancelled.mapped("name")),
                )
            )
        lines += self._failed_lines(failed)
        return self._notify_result(
            self.env._("Dunning e-mails"),
            lines,
            next_action={"type": "ir.actions.client", "tag": "soft_reload"},
            sticky=bool(no_email or cancelled or failed),
        )

    def action_print_post_letters(self):
        """Print the ready post letters of ``self`` as one PDF, mark them sent.

        All or nothing for addresses: one incomplete postal address stops
        the whole batch before anything changes.
        """
        letters = self._check_sendable("post")
        letters._check_postal_address()
        cancelled = letters._cancel_outdated()
        letters -= cancelled
        cancel_lines = []
        if cancelled:
            cancel_lines.append(
                self.env._(
                    "%(count)s letter(s) cancelled because their invoices were "
                    "paid or changed: %(letters)s",
                    count=len(cancelled),
                    letters=", ".join(cancelled.mapped("name")),
                )
            )
        if not letters:
            return self._notify_result(
                self.env._("Nothing to print"),
                cancel_lines,
                next_action={"type": "ir.actions.client", "tag": "soft_reload"},
                sticky=True,
            )
        letters = letters.sorted(
            lambda letter: (letter.partner_id.name or "", letter.id)
        )
        letters, failed = self.env["account.dunning.letter.send"]._send_letters(
            letters, "post"
        )
        cancel_lines += self._failed_lines(failed)
        if not letters:
            return self._notify_result(
                self.env._("Nothing to print"),
                cancel_lines,
                next_action={"type": "ir.actions.client", "tag": "soft_reload"},
                sticky=True,
            )
        attachment = letters._create_print_batch()
        url = "/web/content/%s?download=true" % attachment.id
        # Download the batch, then reload the view: the letters are now sent.
        download = {
            "type": "ir.actions.client",
            "tag": "account_relationship_dunning.download_reload",
            "params": {"url": url},
            "url": url,
        }
        if not cancel_lines:
            return download
        return self._notify_result(
            self.env._("Dunning letters printed"),
            [
                self.env._("%(count)s letter(s) printed.", count=len(letters)),
                *cancel_lines,
            ],
            next_action=download,
            sticky=True,
        )
