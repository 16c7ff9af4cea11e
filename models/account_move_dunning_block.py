from markupsafe import Markup

from odoo import models
from odoo.tools import format_date

DUNNING_BLOCK_FIELDS = (
    "dunning_blocked_until",
    "dunning_block_reason",
    "dunning_excluded",
)


class AccountMove(models.Model):
    """Block and exclusion changes of an invoice, logged as chatter notes.

    The fields are not tracked (``tracking=True``): on a database with the
    accounting audit trail (e.g. with ``l10n_de``) Odoo may never delete the
    tracking values of an invoice, so tracked fields of this addon could not
    be removed when it is uninstalled. A note keeps the same information as
    plain text.
    """

    _inherit = "account.move"

    def write(self, vals):
        if not any(name in vals for name in DUNNING_BLOCK_FIELDS) or (
            self.env.context.get("tracking_disable")
            or self.env.context.get("mail_notrack")
        ):
            return super().write(vals)
        before = {
            move.id: (
                move.dunning_blocked_until,
                move.dunning_block_reason,
                move.dunning_excluded,
            )
            for move in self
        }
        result = super().write(vals)
        self._log_dunning_block_changes(before)
        return result

    def _log_dunning_block_changes(self, before):
        """Post one note per invoice whose block or exclusion changed;
        ``before`` maps invoice ids to (blocked until, reason, excluded)."""
        bodies = {}
        for move in self:
            old_until, old_reason, old_excluded = before[move.id]
            lines = []
            old_block = (old_until, old_reason if old_until else False)
            new_block = (
                move.dunning_blocked_until,
                move.dunning_block_reason if move.dunning_blocked_until else False,
            )
            if new_block != old_block:
                if move.dunning_blocked_until:
                    lines.append(
                        self.env._(
                            "Dunning blocked until %(date)s. Reason: %(reason)s",
                            date=format_date(self.env, move.dunning_blocked_until),
                            reason=move.dunning_block_reason or "",
                        )
                    )
                else:
                    lines.append(
                        self.env._(
                            "Dunning block (until %(date)s) removed.",
                            date=format_date(self.env, old_until),
                        )
                    )
            if move.dunning_excluded != old_excluded:
                lines.append(
                    self.env._("Excluded from dunning.")
                    if move.dunning_excluded
                    else self.env._("Included in dunning again.")
                )
            if lines:
                bodies[move.id] = Markup("<br/>").join(lines)
        if bodies:
            # the user could write the invoices: they may log on them
            self.browse(list(bodies))._message_log_batch(bodies=bodies)
