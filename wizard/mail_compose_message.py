from odoo import Command, models


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    def _action_send_mail(self, auto_commit=False):
        """A dunning letter sent from the composer: marked sent first (its PDF
        archived and attached), then the edited e-mail goes out."""
        dunning = self.filtered(
            lambda composer: (
                composer.model == "account.dunning.letter"
                and composer.env.context.get("dunning_letter_composer")
                and composer.composition_mode == "comment"
            )
        )
        letters_by_composer = {}
        for composer in dunning:
            letters = self.env["account.dunning.letter"].browse(
                composer._evaluate_res_ids()
            )
            pdfs = letters._send_from_composer()
            composer.attachment_ids = [Command.link(pdf.id) for pdf in pdfs]
            letters_by_composer[composer.id] = letters
        result = super()._action_send_mail(auto_commit=auto_commit)
        for letters in letters_by_composer.values():
            letters._log_composer_sent()
        return result
