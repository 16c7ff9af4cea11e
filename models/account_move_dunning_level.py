from datetime import timedelta

from odoo import fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    """Manual level control and promises to pay from the invoice."""

    _inherit = "account.move"

    def _compute_dunning_next_date(self):
        """The next dunning date respects blocks: none while the invoice is
        excluded or held by a dispute, plan, handover or review; after the
        end of a block by date or of a promise to pay."""
        super()._compute_dunning_next_date()
        moves = self.filtered(lambda move: move.id and move.dunning_next_date)
        if not moves:
            return
        today = fields.Date.context_today(self)
        profiles = self.env["account.dunning.profile"].search(
            [
                ("partner_id", "in", moves.commercial_partner_id.ids),
                ("company_id", "in", moves.company_id.ids),
                ("block_until", ">=", today),
            ]
        )
        customer_blocks = {
            (p.partner_id.id, p.company_id.id): p.block_until for p in profiles
        }
        Run = self.env["account.dunning.run"]
        blocks = {}
        for company in moves.company_id:
            company_moves = moves.filtered(lambda m, c=company: m.company_id == c)
            for model_name in Run._get_block_providers():
                provided = self.env[model_name]._get_dunning_blocks(
                    company, company_moves.ids, today
                )
                for move_id, block in provided.items():
                    blocks.setdefault(move_id, block)
        promises = self.env["account.dunning.promise"].search(
            [
                ("move_ids", "in", moves.ids),
                ("state", "=", "open"),
                ("date_promised", ">=", today),
            ]
        )
        promised = {}
        for promise in promises:
            for move in promise.move_ids:
                promised[move.id] = max(
                    promised.get(move.id, promise.date_promised), promise.date_promised
                )
        for move in moves:
            if move.dunning_excluded:
                move.dunning_next_date = False
                continue
            block = blocks.get(move.id)
            if block and block[0] != "promise":
                move.dunning_next_date = False
                continue
            candidates = [move.dunning_next_date]
            ends = [
                move.dunning_blocked_until,
                customer_blocks.get(
                    (move.commercial_partner_id.id, move.company_id.id)
                ),
                promised.get(move.id),
            ]
            candidates += [
                end + timedelta(days=1) for end in ends if end and end >= today
            ]
            move.dunning_next_date = max(candidates)

    def _dunning_change_level(self, mode, level, hold_until, reason):
        """Raise, lower or hold the dunning level of one invoice, with a
        reason logged on its chatter. Raising and lowering are for dunning
        managers; holding for dunning users."""
        self.ensure_one()
        group = (
            "account_relationship_dunning.group_dunning_user"
            if mode == "hold"
            else "account_relationship_dunning.group_dunning_manager"
        )
        if not self.env.user.has_group(group):
            raise UserError(
                self.env._("Only dunning managers can raise or lower a dunning level.")
                if mode != "hold"
                else self.env._(
                    "Only dunning users can hold the dunning of an invoice."
                )
            )
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Please give a reason for the change."))
        if self.move_type != "out_invoice" or self.state != "posted":
            raise UserError(
                self.env._("Only posted customer invoices have a dunning level.")
            )
        current = self.dunning_level_id
        current_days = current.days_overdue if current else -1
        if mode == "raise":
            if not level or level.days_overdue <= current_days:
                raise UserError(
                    self.env._("Choose a level above the current one to raise it.")
                )
        elif mode == "lower":
            if not current or (level and level.days_overdue >= current_days):
                raise UserError(
                    self.env._(
                        "Choose a level below the current one (or none) to lower it."
                    )
                )
        elif mode == "hold":
            if not hold_until or hold_until < fields.Date.context_today(self):
                raise UserError(
                    self.env._("Choose today or a later date to hold dunning until.")
                )
        else:
            raise UserError(self.env._("Unknown change of dunning level."))
        if level and level.company_id != self.company_id:
            raise UserError(self.env._("The level belongs to another company."))
        if mode == "hold":
            self.write(
                {"dunning_blocked_until": hold_until, "dunning_block_reason": reason}
            )
            body = self.env._(
                "Dunning held until %(date)s by %(user)s: %(reason)s",
                date=hold_until,
                user=self.env.user.name,
                reason=reason,
            )
        else:
            self.check_access("write")
            # sudo: the dunning level is protected against direct writes; the
            # group, the reason, the invoice and the new level were checked above.
            self.sudo().write({"dunning_level_id": level.id if level else False})
            body = self.env._(
                "Dunning level changed from %(old)s to %(new)s by %(user)s: %(reason)s",
                old=current.name or self.env._("none"),
                new=level.name or self.env._("none"),
                user=self.env.user.name,
                reason=reason,
            )
        self.message_post(body=body)
        return True

    def action_dunning_change_level(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Change Dunning Level"),
            "res_model": "account.dunning.level.change",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_move_id": self.id},
        }

    def action_dunning_promise(self):
        moves = self._check_dunning_same_customer()
        return self.env["account.dunning.promise"]._action_new_promise(
            moves.commercial_partner_id, moves=moves
        )
