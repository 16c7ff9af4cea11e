from odoo import api, models

from .dunning_guard import (
    DUNNING_USER_GROUP,
    check_group,
    check_protected_fields,
)

# Set by the actions (hand over, close, cancel) and the claim snapshot.
HANDOVER_PROTECTED_FIELDS = {
    "name",
    "state",
    "user_id",
    "date_handover",
    "date_closed",
    "creditor_name",
    "creditor_address",
    "debtor_name",
    "debtor_address",
    "debtor_legal_form",
    "interest_points",
    "line_ids",
    "cost_ids",
    "letter_ids",
    "amount_principal",
    "amount_fees",
    "amount_compensation",
    "amount_total",
    "suspension_ids",
}


class AccountDunningHandover(models.Model):
    _inherit = "account.dunning.handover"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_protected_fields(self, vals, HANDOVER_PROTECTED_FIELDS)
        return super().create(vals_list)

    def write(self, vals):
        check_protected_fields(self, vals, HANDOVER_PROTECTED_FIELDS)
        return super().write(vals)

    def _check_handover_action(self):
        if self.env.su:
            return
        check_group(self.env, DUNNING_USER_GROUP)
        self.check_access("write")

    def _as_dunning_process(self):
        # sudo: the state and the claim snapshot are protected against direct
        # writes, and the notes go on the debtor's chatter, which dunning users
        # without the right to edit contacts could not post on. The action
        # checked the user's group, access and the handover's state.
        return self.sudo()

    def action_hand_over(self):
        self._check_handover_action()
        # the manager check of the action still applies: sudo() keeps the user
        self._check_manager()
        return super(
            AccountDunningHandover, self._as_dunning_process()
        ).action_hand_over()

    def action_close(self):
        self._check_handover_action()
        return super(AccountDunningHandover, self._as_dunning_process()).action_close()

    def action_cancel(self):
        self._check_handover_action()
        return super(AccountDunningHandover, self._as_dunning_process()).action_cancel()


class AccountDunningHandoverLine(models.Model):
    _name = "account.dunning.handover.line"
    _inherit = ["account.dunning.handover.line", "account.dunning.engine.record"]

    def _get_engine_only_message(self):
        return self.env._(
            "The claim data of a legal handover is recorded when the claim "
            "is handed over and cannot be changed directly."
        )


class AccountDunningHandoverCost(models.Model):
    _name = "account.dunning.handover.cost"
    _inherit = ["account.dunning.handover.cost", "account.dunning.engine.record"]

    def _get_engine_only_message(self):
        return self.env._(
            "The claim data of a legal handover is recorded when the claim "
            "is handed over and cannot be changed directly."
        )
