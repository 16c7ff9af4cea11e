from odoo import api, models

from .account_dunning_letter_document import LETTER_MAIL_TEMPLATE


class AccountDunningLetterSend(models.AbstractModel):
    """Printing and e-mailing dunning letters as a service, in small steps
    that a later module (a queue, another channel) overrides one at a time,
    the way ``account.move.send`` is built:

    1. ``_prepare_document``: render the documents of all letters in batches;
       a letter that cannot be rendered stays ready with a message saying
       why, the others go on;
    2. ``_mark_sent``: the letters become sent, their claims are frozen and
       the documents archived (the letter report's ``attachment``);
    3. ``_send_mail`` per e-mail letter, ``_log_sent`` on the customers'
       and invoices' chatter.
    """

    _name = "account.dunning.letter.send"
    _description = "Dunning Letter Sending"

    @api.model
    def _prepare_document(self, letters):
        """``(documents, errors)``: ``{letter_id: bytes}`` of the letters that
        could be rendered, ``{letter_id: exception}`` of the others."""
        errors = {}
        documents = letters._render_letter_documents(errors=errors)
        return documents, errors

    @api.model
    def _hook_if_errors(self, letters, errors):
        """Each letter that could not be rendered gets a message; returns
        them (they stay ready)."""
        failed = letters.browse(list(errors))
        for letter in failed:
            what = (
                self.env._("its e-mail")
                if letter.channel == "email"
                else self.env._("its document")
            )
            problem = self.env._(
                "The letter or %(what)s could not be rendered: %(error)s",
                what=what,
                error=str(errors[letter.id]),
            )
            letter.message_post(
                body=self.env._("Not sent: %(problem)s", problem=problem)
            )
        return failed

    @api.model
    def _mark_sent(self, letters, documents):
        """Mark ``letters`` sent and archive the documents rendered for them."""
        letters.with_context(dunning_letter_archive_later=True)._mark_sent()
        letters.filtered(
            lambda letter: not letter.pdf_attachment_id
        )._archive_documents(documents)

    @api.model
    def _get_mail_template(self, letter):
        return self.env.ref(LETTER_MAIL_TEMPLATE)

    @api.model
    def _get_mail_params(self, letter):
        """What the e-mail of ``letter`` carries besides the template."""
        return {
            "partner_ids": letter._get_email_recipients().ids,
            "attachment_ids": letter.pdf_attachment_id.ids,
            "email_layout_xmlid": "mail.mail_notification_light",
        }

    @api.model
    def _send_mail(self, letter, mail_template, **kwargs):
        """Post the e-mail of ``letter`` from ``mail_template``; queued, the
        mail cron sends it."""
        return letter.with_context(
            mail_notify_force_send=False
        ).message_post_with_source(
            mail_template,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            **kwargs,
        )

    @api.model
    def _send_mails(self, letters):
        for letter in letters:
            self._send_mail(
                letter,
                self._get_mail_template(letter),
                **self._get_mail_params(letter),
            )

    @api.model
    def _log_sent(self, letters, channel):
        if channel == "email":
            letters._log_sent(
                lambda letter: self.env._(
                    "Dunning letter %(letter)s (%(level)s) sent by e-mail.",
                    letter=letter._get_html_link(),
                    level=letter.level_id.name,
                )
            )
        else:
            letters._log_sent(
                lambda letter: self.env._(
                    "Dunning letter %(letter)s (%(level)s) printed for dispatch "
                    "by post.",
                    letter=letter._get_html_link(),
                    level=letter.level_id.name,
                )
            )

    @api.model
    def _send_letters(self, letters, channel):
        """Render, mark sent, archive and (e-mail) queue ``letters``, which
        passed the checks before sending. Returns ``(sent, failed)``."""
        documents, errors = self._prepare_document(letters)
        failed = self._hook_if_errors(letters, errors)
        sent = letters - failed
        if not sent:
            return sent, failed
        self._mark_sent(sent, documents)
        if channel == "email":
            self._send_mails(sent)
        self._log_sent(sent, channel)
        return sent, failed
