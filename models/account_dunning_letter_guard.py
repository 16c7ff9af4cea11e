from markupsafe import Markup

from odoo import api, models
from odoo.exceptions import AccessError, UserError

from .dunning_guard import (
    DUNNING_MANAGER_GROUP,
    DUNNING_USER_GROUP,
    check_group,
    check_protected_fields,
    field_labels,
)

# Fields a sent letter keeps for ever, even in superuser mode: what the
# customer received and who approved it.
SENT_LETTER_FIELDS = {
    "name",
    "company_id",
    "partner_id",
    "level_id",
    "date",
    "payment_deadline",
    "currency_id",
    "line_ids",
    "fee_amount",
    "letter_compensation_amount",
    "interest_waived",
    "compensation_waived",
    "fees_waived",
    "is_first_letter",
    "approved_by_id",
    "approved_date",
}
# Fields of a letter line that are part of what was sent.
SENT_LINE_FIELDS = {
    "letter_id",
    "move_id",
    "move_name",
    "invoice_date",
    "date_due",
    "currency_id",
    "amount_total",
    "amount_paid",
    "amount_residual",
    "amount_residual_company",
    "interest_amount",
    "compensation_amount",
    "interest_date_from",
    "interest_date_to",
    "interest_points",
    "interest_segments",
    "days_overdue",
    "level_id",
    "escalated",
}
# Attachment fields that make up the archived document.
ATTACHMENT_CONTENT_FIELDS = {
    "datas",
    "raw",
    "db_datas",
    "store_fname",
    "url",
    "type",
    "res_model",
    "res_id",
    "res_field",
    "name",
    "mimetype",
    "checksum",
    "file_size",
}


def _mixin_fields(env):
    """Fields of the chatter and activity mixins: users may change them."""
    names = set(models.MAGIC_COLUMNS) | {"display_name", "id"}
    for mixin in ("mail.thread", "mail.activity.mixin"):
        names |= set(env[mixin]._fields)
    return names


class AccountDunningLetter(models.Model):
    """Server-side rules of letters: only the dunning run creates letters,
    only the action methods change them, a sent letter never changes."""

    _inherit = "account.dunning.letter"

    def _dunning_user_writable_fields(self):
        """Fields users may write directly (extension point)."""
        return set()

    def _dunning_protected_fields(self):
        return (
            set(self._fields)
            - _mixin_fields(self.env)
            - self._dunning_user_writable_fields()
        )

    def _check_sent_unchanged(self, vals):
        touched = SENT_LETTER_FIELDS.intersection(vals)
        if not touched:
            return
        sent = self.filtered(lambda letter: letter.state == "done")
        if sent and any(
            letter.claims_frozen or letter.pdf_attachment_id for letter in sent
        ):
            raise UserError(
                self.env._(
                    "A sent dunning letter cannot be changed (%(fields)s). Cancel "
                    "it with a reason and let the next dunning run reissue it.",
                    fields=field_labels(self, touched),
                )
            )

    @api.model
    def _check_letter_create(self):
        if not self.env.su:
            raise AccessError(
                self.env._(
                    "Dunning letters are created by the dunning run only; run the "
                    "dunning to prepare letters."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_letter_create()
        return super().create(vals_list)

    def write(self, vals):
        check_protected_fields(self, vals, self._dunning_protected_fields())
        if "pdf_attachment_id" in vals and any(
            letter.pdf_attachment_id for letter in self
        ):
            raise UserError(
                self.env._(
                    "The archived document of a dunning letter cannot be replaced."
                )
            )
        self._check_sent_unchanged(vals)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_cancelled(self):
        if self.env.su:
            return
        if any(letter.state not in ("draft", "cancel") for letter in self):
            raise UserError(
                self.env._(
                    "Only draft or cancelled dunning letters can be deleted; "
                    "cancel the letter first."
                )
            )

    # ------------------------------------------------------------------
    # Actions: check group and state, then write as superuser
    # ------------------------------------------------------------------
    def _check_letter_action(self, manager=False):
        """The user may act on ``self``: dunning group and write access."""
        if self.env.su:
            return
        if manager:
            check_group(
                self.env,
                DUNNING_MANAGER_GROUP,
                self.env._("Only a dunning manager can do this."),
            )
        else:
            check_group(self.env, DUNNING_USER_GROUP)
        self.check_access("write")

    def _as_dunning_process(self):
        # sudo: letter fields are protected against direct writes; the action
        # checked the user's group, access and the letters' state before.
        return self.sudo()

    def action_approve(self):
        self._check_letter_action(manager=True)
        # The approval records the real user (sudo() keeps env.uid).
        return super(AccountDunningLetter, self._as_dunning_process()).action_approve()

    def action_cancel(self):
        self._check_letter_action()
        return super(AccountDunningLetter, self._as_dunning_process()).action_cancel()

    def action_mark_done(self):
        self._check_letter_action()
        return super(
            AccountDunningLetter, self._as_dunning_process()
        ).action_mark_done()

    def action_compute_claims(self):
        self._check_letter_action()
        return super(
            AccountDunningLetter, self._as_dunning_process()
        ).action_compute_claims()

    def action_send_email(self):
        self._check_letter_action()
        return super(
            AccountDunningLetter, self._as_dunning_process()
        ).action_send_email()

    def action_print_post_letters(self):
        self._check_letter_action()
        return super(
            AccountDunningLetter, self._as_dunning_process()
        ).action_print_post_letters()

    def action_cancel_sent(self, reason):
        """Correct a sent letter: cancel it with a reason logged in the
        chatter; its document, lines and amounts stay as they were sent, its
        invoices get their previous level back and the next dunning run
        reissues a letter (dunning managers only)."""
        self._check_letter_action(manager=True)
        reason = (reason or "").strip()
        if not reason:
            raise UserError(
                self.env._("Give a reason for cancelling a sent dunning letter.")
            )
        for letter in self:
            if letter.state != "done":
                raise UserError(
                    self.env._(
                        "Letter %(name)s was not sent: cancel it directly.",
                        name=letter.name,
                    )
                )
            if letter.charge_move_id.state == "posted" and (
                letter.charge_move_id.payment_state != "reversed"
            ):
                raise UserError(
                    self.env._(
                        "Letter %(name)s was invoiced with %(invoice)s: reverse that "
                        "invoice with a credit note before cancelling the letter.",
                        name=letter.name,
                        invoice=letter.charge_move_id.name,
                    )
                )
        letters = self._as_dunning_process()
        letters.write({"state": "cancel"})
        letters.line_ids._revert_invoice_levels()
        for letter in self:
            letter.message_post(
                body=Markup("%s")
                % self.env._(
                    "Sent letter cancelled by %(user)s, to be reissued: %(reason)s",
                    user=self.env.user.name,
                    reason=reason,
                )
            )
        return True


class AccountDunningLetterLine(models.Model):
    """Letter lines are the engine's snapshot of the invoices."""

    _inherit = "account.dunning.letter.line"

    def _check_line_access(self):
        if not self.env.su:
            raise AccessError(
                self.env._(
                    "The invoices of a dunning letter are listed by the dunning run "
                    "and cannot be changed directly."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_line_access()
        lines = super().create(vals_list)
        lines.letter_id._check_sent_unchanged({"line_ids": True})
        return lines

    def write(self, vals):
        self._check_line_access()
        touched = SENT_LINE_FIELDS.intersection(vals)
        if touched and any(
            line.letter_id.state == "done"
            and (line.letter_id.claims_frozen or line.letter_id.pdf_attachment_id)
            for line in self
        ):
            raise UserError(
                self.env._(
                    "A line of a sent dunning letter cannot be changed (%(fields)s).",
                    fields=field_labels(self, touched),
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_engine(self):
        self._check_line_access()
        if any(line.letter_id.state == "done" for line in self):
            raise UserError(
                self.env._("A line of a sent dunning letter cannot be deleted.")
            )


class IrAttachment(models.Model):
    """The archived document of a sent letter cannot be altered or deleted."""

    _inherit = "ir.attachment"

    def _check_dunning_archive(self):
        candidates = self.filtered(
            lambda att: att.res_model == "account.dunning.letter"
        )
        if not candidates:
            return
        # sudo: the check must see the letters whatever the user's rules.
        archived = (
            self.env["account.dunning.letter"]
            .sudo()
            .search_count([("pdf_attachment_id", "in", candidates.ids)], limit=1)
        )
        if archived:
            raise UserError(
                self.env._(
                    "This file is the archived document of a dunning letter as it "
                    "was sent: it cannot be changed or deleted."
                )
            )

    def write(self, vals):
        if not self.env.su and ATTACHMENT_CONTENT_FIELDS.intersection(vals):
            self._check_dunning_archive()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_dunning_archive(self):
        if not self.env.su:
            self._check_dunning_archive()
