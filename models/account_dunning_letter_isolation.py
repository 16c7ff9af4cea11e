import logging

from odoo import models
from odoo.exceptions import UserError

from .account_dunning_letter_document import LETTER_MAIL_TEMPLATE
from .dunning_batch import batch_then_one_by_one

_logger = logging.getLogger(__name__)


class AccountDunningLetter(models.Model):
    """Sending and printing isolate each letter: a letter that cannot be
    rendered (customer language not installed, mail template deleted or
    broken, a level text that cannot be rendered, a document that fails to
    render) stays ready with a message saying why, and the other letters go
    out."""

    _inherit = "account.dunning.letter"

    def _get_sending_problem(self, channel):
        """Why the letter cannot be sent by ``channel`` now, or ``None``:
        the checks that need no rendering."""
        self.ensure_one()
        lang = self.partner_id.lang
        if lang and not self.env["res.lang"]._lang_get(lang):
            return self.env._(
                "The customer's language (%(lang)s) is not installed. Install it "
                "or change the customer's language, then send the letter again.",
                lang=lang,
            )
        letter = self.with_context(lang=lang) if lang else self
        try:
            letter._get_letter_body()
        except UserError as error:
            return self.env._(
                "%(error)s Correct the level's text, then send the letter again.",
                error=error.args[0],
            )
        if channel == "email" and not self.env.ref(
            LETTER_MAIL_TEMPLATE, raise_if_not_found=False
        ):
            return self.env._(
                "The e-mail template of dunning letters was deleted. Update "
                "the dunning module to restore it, then send the letter again."
            )
        return None

    def _get_email_render_problems(self):
        """``{letter: problem}`` for the letters of ``self`` whose e-mail
        cannot be rendered: all e-mails at once, one by one only when that
        fails. (The documents are rendered, and isolated the same way, when
        the letters are sent.)"""
        problems = {}
        template = self.env.ref(LETTER_MAIL_TEMPLATE, raise_if_not_found=False)
        if not self or not template:
            return problems

        def note(letter, error):
            _logger.info("Dunning letter %s cannot be rendered: %s", letter.name, error)
            problems[letter] = self.env._(
                "The letter or %(what)s could not be rendered: %(error)s",
                what=self.env._("its e-mail"),
                error=str(error),
            )

        # (the template renders each e-mail in its customer's language)
        batch_then_one_by_one(
            self.env,
            self,
            lambda part: template._generate_template(
                part.ids, ("subject", "body_html", "email_from")
            ),
            note,
        )
        return problems

    def _isolate_unsendable(self, channel):
        """Split ``self``: ``(sendable, failed)``; each failed letter gets a
        message saying why."""
        failed = self.browse()
        candidates = self.filtered(
            lambda letter: letter.state == "ready" and letter.channel == channel
        )
        problems = {}
        for letter in candidates:
            problem = letter._get_sending_problem(channel)
            if problem:
                problems[letter] = problem
        if channel == "email":
            problems.update(
                candidates.filtered(
                    lambda letter: letter not in problems
                )._get_email_render_problems()
            )
        for letter, problem in problems.items():
            letter.message_post(
                body=self.env._("Not sent: %(problem)s", problem=problem)
            )
            failed |= letter
        return self - failed, failed

    def _failed_lines(self, failed):
        if not failed:
            return []
        return [
            self.env._(
                "%(count)s letter(s) not sent, see the message on each letter: "
                "%(letters)s",
                count=len(failed),
                letters=", ".join(failed.mapped("name")),
            )
        ]

    def _merge_failures(self, result, failed, title):
        """Add the failed letters to the notification ``result`` of sending."""
        lines = self._failed_lines(failed)
        if not lines:
            return result
        if result and result.get("tag") == "display_notification":
            params = dict(result["params"])
            params["message"] = "\n".join(filter(None, [params["message"], *lines]))
            params.update(type="warning", sticky=True)
            return dict(result, params=params)
        return self._notify_result(title, lines, next_action=result, sticky=True)

    def action_send_email(self):
        self._check_letter_action()
        letters, failed = self._isolate_unsendable("email")
        if failed and not letters._has_sendable("email"):
            return self._merge_failures(None, failed, self.env._("Dunning e-mails"))
        result = super(AccountDunningLetter, letters).action_send_email()
        return self._merge_failures(result, failed, self.env._("Dunning e-mails"))

    def action_print_post_letters(self):
        self._check_letter_action()
        letters, failed = self._isolate_unsendable("post")
        if failed and not letters._has_sendable("post"):
            return self._merge_failures(
                None, failed, self.env._("Dunning letters printed")
            )
        result = super(AccountDunningLetter, letters).action_print_post_letters()
        return self._merge_failures(
            result, failed, self.env._("Dunning letters printed")
        )

    def _has_sendable(self, channel):
        return any(
            letter.state == "ready" and letter.channel == channel for letter in self
        )
