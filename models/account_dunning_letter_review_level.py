"""A letter in review whose highest invoice was removed falls back to the
highest level of the invoices it still escalates (loaded after the review
code, whose ``_remove_lines`` it extends)."""

from odoo import fields, models


class AccountDunningLetter(models.Model):
    """A letter in review whose highest invoice was removed falls back to
    the highest level of the invoices it still escalates."""

    _inherit = "account.dunning.letter"

    def _remove_lines(self, lines, reason):
        result = super()._remove_lines(lines, reason)
        if self.state in ("draft", "to_approve"):
            self._lower_level_to_lines()
        return result

    def _lower_level_to_lines(self):
        """Heading level and payment deadline from the remaining lines: the
        highest level an invoice reaches in this letter (as the run chose
        it), else the highest level of the invoices it lists."""
        for letter in self:
            lines = letter.line_ids.filtered("escalated") or letter.line_ids
            levels = lines.level_id
            if not levels:
                continue
            level = max(levels, key=lambda lvl: (lvl.days_overdue, lvl.id))
            if level == letter.level_id:
                continue
            # sudo: heading level and deadline are protected letter fields;
            # _remove_lines checked group, access and state before.
            letter._as_dunning_process().write(
                {
                    "level_id": level.id,
                    "payment_deadline": fields.Date.add(
                        letter.date, days=level.payment_deadline_days
                    ),
                }
            )
            letter.message_post(
                body=self.env._(
                    "Level lowered to %(level)s: the invoice(s) of the higher "
                    "level were removed.",
                    level=level.name,
                )
            )
            if not letter.claims_frozen:
                # Fees and claims depend on the level.
                letter.action_compute_claims()
