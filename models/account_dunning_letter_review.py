from odoo import api, fields, models
from odoo.exceptions import UserError

from .account_dunning_letter_document import LETTER_MAIL_TEMPLATE


class AccountDunningLetter(models.Model):
    """Review before sending: draft letters are checked by a reviewer, who
    can remove invoices (with a reason) and edit the e-mail in the composer;
    promises to pay are recorded from the letter."""

    _inherit = "account.dunning.letter"

    # The work queue shows its three columns even when one is empty.
    state = fields.Selection(group_expand="_read_group_expand_state")

    @api.model
    def _read_group_expand_state(self, states, domain):
        work = {"draft", "to_approve", "ready"}
        return [
            key
            for key, _label in self._fields["state"].selection
            if key in work or key in states
        ]

    def _check_dunning_user(self):
        if not self.env.user.has_group(
            "account_relationship_dunning.group_dunning_user"
        ):
            raise UserError(
                self.env._("Only dunning users can review dunning letters.")
            )

    # ------------------------------------------------------------------
    # Review
    # ------------------------------------------------------------------
    def action_review_done(self):
        """The reviewer releases draft letters: they become ready to send."""
        self._check_dunning_user()
        self._check_letter_action()
        for letter in self:
            if letter.state != "draft":
                raise UserError(
                    self.env._(
                        "Letter %(name)s is not waiting for review.", name=letter.name
                    )
                )
        letters = self._as_dunning_process()
        to_approve = letters.filtered("level_id.approval_required")
        to_approve.write({"state": "to_approve"})
        (letters - to_approve).write({"state": "ready"})
        for letter in self:
            letter.message_post(
                body=self.env._("Reviewed by %(user)s.", user=self.env.user.name)
            )
        return True

    def action_open_remove_invoice(self):
        self.ensure_one()
        self._check_dunning_user()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Remove Invoice from Letter"),
            "res_model": "account.dunning.letter.remove.invoice",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_letter_id": self.id},
        }

    def _remove_lines(self, lines, reason):
        """Take ``lines`` out of the letter: their invoices keep their
        previous level and are skipped by the next runs until they change."""
        self.ensure_one()
        self._check_dunning_user()
        self._check_letter_action()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(
                self.env._("Please give a reason for removing the invoice.")
            )
        if self.state not in ("draft", "to_approve"):
            raise UserError(
                self.env._(
                    "Invoices can only be removed from letters in review or waiting "
                    "for approval; %(name)s is %(state)s.",
                    name=self.name,
                    state=dict(self._fields["state"]._description_selection(self.env))[
                        self.state
                    ],
                )
            )
        lines = lines.filtered(lambda line: line.letter_id == self)
        if not lines:
            raise UserError(self.env._("Choose an invoice of this letter."))
        self.env["account.dunning.review.removal"].create(
            [
                {
                    "company_id": self.company_id.id,
                    "letter_id": self.id,
                    "letter_name": self.name,
                    "move_id": line.move_id.id,
                    "level_id": line.previous_level_id.id,
                    "reason": reason,
                    "amount_residual": line.move_id.amount_residual_signed,
                    "date_due": line.move_id.invoice_date_due,
                }
                for line in lines
            ]
        )
        names = ", ".join(lines.mapped("move_name"))
        # The invoices' levels and the letter's lines belong to the dunning
        # process: written as it, after the checks above (group, write access,
        # state of the letter, lines of this letter).
        lines = lines.with_env(self._as_dunning_process().env)
        lines._revert_invoice_levels()
        lines.unlink()
        body = self.env._(
            "Invoice(s) %(invoices)s removed in review by %(user)s: %(reason)s",
            invoices=names,
            user=self.env.user.name,
            reason=reason,
        )
        self.message_post(body=body)
        if not self.line_ids:
            self.action_cancel()
        elif not self.claims_frozen:
            self.action_compute_claims()
        return True

    # ------------------------------------------------------------------
    # E-mail in the composer
    # ------------------------------------------------------------------
    def _get_email_recipients(self):
        """The customer and its invoice contacts (child contacts of type
        invoice with an e-mail address), copied in on dunning e-mails."""
        self.ensure_one()
        commercial = self.partner_id.commercial_partner_id
        contacts = commercial.child_ids.filtered(
            lambda child: child.type == "invoice" and child.email and child.active
        )
        return self.partner_id | contacts

    def action_send_composer(self):
        """Open Odoo's composer with the letter's e-mail, to edit it before
        sending; sending marks the letter sent and attaches the archived PDF."""
        self.ensure_one()
        self._check_dunning_user()
        letter = self._check_sendable("email")
        template = self.env.ref(LETTER_MAIL_TEMPLATE)
        values = template._generate_template(
            letter.ids, ("subject", "body_html", "email_from")
        )[letter.id]
        attachments = self.env["ir.attachment"]
        if letter.company_id.dunning_attach_statement:
            attachments = letter.partner_id._dunning_statement_attachment(
                res_model="mail.compose.message"
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send Dunning Letter"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": letter._name,
                "default_res_ids": letter.ids,
                "default_composition_mode": "comment",
                "default_subject": values["subject"],
                "default_body": values["body_html"],
                "default_email_from": values.get("email_from") or False,
                "default_partner_ids": letter._get_email_recipients().ids,
                "default_attachment_ids": attachments.ids,
                "default_email_layout_xmlid": "mail.mail_notification_light",
                "dunning_letter_composer": True,
            },
        }

    def _send_from_composer(self):
        """Mark the letters of a composer sent (archiving their PDF) right
        before the composer posts the e-mail; return the PDFs to attach."""
        self._check_dunning_user()
        self._check_letter_action()
        letters = self._check_sendable("email")
        cancelled = letters._cancel_outdated()
        if cancelled:
            raise UserError(
                self.env._(
                    "Letter %(letters)s was cancelled because its invoices were paid "
                    "or changed; nothing was sent.",
                    letters=", ".join(cancelled.mapped("name")),
                )
            )
        letters._as_dunning_process()._mark_sent()
        return letters.pdf_attachment_id

    def _log_composer_sent(self):
        self._log_sent(
            lambda letter: self.env._(
                "Dunning letter %(letter)s (%(level)s) sent by e-mail.",
                letter=letter._get_html_link(),
                level=letter.level_id.name,
            )
        )

    # ------------------------------------------------------------------
    # Promise to pay
    # ------------------------------------------------------------------
    def action_record_promise(self):
        self.ensure_one()
        return self.env["account.dunning.promise"]._action_new_promise(
            self.partner_id, moves=self.line_ids.move_id, letter=self
        )
