from odoo import models


class AccountDunningRun(models.Model):
    """Hooks of the credit controller's cockpit around the engine: promises
    due are closed before the decisions, review-before-sending keeps new
    letters in draft."""

    _inherit = "account.dunning.run"

    def _execute(self):
        if not self.simulation:
            self.env["account.dunning.promise"]._close_due_promises(
                self.company_id, self.date
            )
        return super()._execute()

    def _prepare_context(self, invoices):
        context = super()._prepare_context(invoices)
        if context["partners"]:
            # Letters waiting for review hold back new letters, like approvals.
            drafts = self.env["account.dunning.letter"]._read_group(
                [
                    ("company_id", "=", self.company_id.id),
                    ("partner_id", "in", list(context["partners"])),
                    ("state", "=", "draft"),
                ],
                ["partner_id"],
                ["__count"],
            )
            context["pending_approval"] |= {partner.id for partner, _c in drafts}
        return context

    def _prepare_letter_vals(
        self, partner, profile, segment, policy, level, listed, context=None
    ):
        vals = super()._prepare_letter_vals(
            partner, profile, segment, policy, level, listed, context
        )
        # Review before sending: letters (and those needing approval, which
        # are approved once reviewed) wait in draft; calls are not reviewed.
        if (
            vals["state"] in ("ready", "to_approve")
            and self.company_id.dunning_review_before_sending
        ):
            vals["state"] = "draft"
        return vals
