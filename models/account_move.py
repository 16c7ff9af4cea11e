from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError


class AccountMove(models.Model):
    _inherit = "account.move"

    # Written by the dunning process into their own table, not onto the
    # invoice (account_move_dunning_state.py): a run never locks invoices.
    dunning_level_id = fields.Many2one(
        "account.dunning.level",
        compute="_compute_dunning_state",
        inverse="_inverse_dunning_state",
        search="_search_dunning_level_id",
        readonly=True,
        copy=False,
        help="The last dunning level this invoice reached.",
    )
    dunning_last_date = fields.Date(
        string="Last Dunning Date",
        compute="_compute_dunning_state",
        inverse="_inverse_dunning_state",
        search="_search_dunning_last_date",
        readonly=True,
        copy=False,
    )
    dunning_next_date = fields.Date(
        string="Next Dunning Date",
        compute="_compute_dunning_next_date",
        help="Earliest date on which the next level can be reached, given the "
        "customer's current policy.",
    )
    # Not tracked: block changes are logged as notes
    # (account_move_dunning_block.py), so the fields uninstall cleanly on
    # databases with the accounting audit trail.
    dunning_blocked_until = fields.Date(
        copy=False,
        help="No dunning for this invoice up to and including this date.",
    )
    dunning_block_reason = fields.Char(copy=False)
    dunning_excluded = fields.Boolean(
        string="Excluded from Dunning",
        copy=False,
        help="Never include this invoice in a dunning run.",
    )
    dunning_letter_line_ids = fields.One2many(
        "account.dunning.letter.line",
        "move_id",
        string="Dunning History",
        readonly=True,
    )
    dunning_dispute_line_ids = fields.One2many(
        "account.dunning.dispute.line", "move_id", string="Disputes", readonly=True
    )
    dunning_dispute_count = fields.Integer(
        string="Dispute Count", compute="_compute_dunning_dispute_count"
    )
    dunning_handover_line_ids = fields.One2many(
        "account.dunning.handover.line",
        "move_id",
        string="Legal Handovers",
        readonly=True,
    )
    dunning_suspension_ids = fields.Many2many(
        "account.dunning.suspension",
        "account_dunning_suspension_move_rel",
        "move_id",
        "suspension_id",
        string="Limitation Suspensions",
        readonly=True,
        copy=False,
    )

    @api.depends("dunning_level_id", "dunning_last_date", "invoice_date_due")
    def _compute_dunning_next_date(self):
        profiles = self.env["account.dunning.profile"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "in", self.company_id.ids),
            ]
        )
        profile_map = {(p.partner_id.id, p.company_id.id): p for p in profiles}
        policy_maps = {}
        for move in self:
            move.dunning_next_date = False
            if (
                move.move_type != "out_invoice"
                or move.state != "posted"
                or move.payment_state not in ("not_paid", "partial")
                or not move.invoice_date_due
            ):
                continue
            profile = profile_map.get(
                (move.commercial_partner_id.id, move.company_id.id)
            )
            if not profile or not profile.segment_id:
                continue
            if move.company_id not in policy_maps:
                policy_maps[move.company_id] = self.env[
                    "account.dunning.policy"
                ]._get_policy_map(move.company_id)
            policy = self.env["account.dunning.policy"]._pick_policy(
                policy_maps[move.company_id],
                profile.segment_id,
                move.commercial_partner_id._is_dunning_consumer(),
            )
            move.dunning_next_date = move._get_dunning_next_date(policy)

    def _get_dunning_next_date(self, policy):
        self.ensure_one()
        if not policy:
            return False
        levels = policy._get_sorted_levels()
        current = self.dunning_level_id
        following = (
            levels.filtered(lambda lvl: lvl.days_overdue > current.days_overdue)
            if current
            else levels
        )
        if not following:
            return False
        level = following[0]
        by_days = fields.Date.add(
            self.invoice_date_due, days=max(level.days_overdue, policy.grace_days + 1)
        )
        if self.dunning_last_date:
            by_interval = fields.Date.add(
                self.dunning_last_date, days=level.min_days_since_previous
            )
            return max(by_days, by_interval)
        return by_days

    def _compute_dunning_dispute_count(self):
        groups = self.env["account.dunning.dispute.line"]._read_group(
            [("move_id", "in", self.ids)], ["move_id"], ["dispute_id:count_distinct"]
        )
        counts = {move.id: count for move, count in groups}
        for move in self:
            move.dunning_dispute_count = counts.get(move.id, 0)

    @api.constrains("dunning_blocked_until", "dunning_block_reason")
    def _check_dunning_block(self):
        today = fields.Date.context_today(self)
        for move in self:
            if not move.dunning_blocked_until:
                continue
            if move.dunning_blocked_until < today:
                raise ValidationError(
                    self.env._(
                        "The dunning block of %(invoice)s ends on %(date)s, which is "
                        "in the past. Choose today or a later date.",
                        invoice=move.display_name,
                        date=move.dunning_blocked_until,
                    )
                )
            if not (move.dunning_block_reason or "").strip():
                raise ValidationError(
                    self.env._(
                        "Please give a reason for blocking dunning on %(invoice)s.",
                        invoice=move.display_name,
                    )
                )

    def action_view_dunning_letters(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_relationship_dunning.account_dunning_letter_action"
        )
        action["domain"] = [("line_ids.move_id", "=", self.id)]
        return action

    def action_view_dunning_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_relationship_dunning.account_dunning_dispute_action"
        )
        action["domain"] = [("line_ids.move_id", "=", self.id)]
        action["context"] = {
            "default_partner_id": self.commercial_partner_id.id,
            "default_company_id": self.company_id.id,
            "default_move_ids": self.ids,
        }
        return action

    def action_dunning_dispute(self):
        """Open a new dispute on the selected invoices."""
        moves = self._check_dunning_same_customer()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Dispute"),
            "res_model": "account.dunning.dispute",
            "view_mode": "form",
            "target": "current",
            "context": {
                "default_partner_id": moves.commercial_partner_id.id,
                "default_company_id": moves.company_id.id,
                "default_move_ids": moves.ids,
            },
        }

    def action_dunning_handover(self):
        """Prepare a legal handover of the selected invoices."""
        moves = self._check_dunning_same_customer()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Legal Handover"),
            "res_model": "account.dunning.handover",
            "view_mode": "form",
            "target": "current",
            "context": {
                "default_partner_id": moves.commercial_partner_id.id,
                "default_company_id": moves.company_id.id,
                "default_move_ids": moves.ids,
            },
        }

    # ------------------------------------------------------------------
    # Disputes, legal handover, limitation
    # ------------------------------------------------------------------
    def _is_dunning_open(self):
        """An open, posted customer invoice (a receivable that can be dunned)."""
        self.ensure_one()
        return (
            self.move_type == "out_invoice"
            and self.state == "posted"
            and self.payment_state in ("not_paid", "partial")
        )

    def _dunning_scale_to(self, amount):
        """Scale the price of a draft credit note so that its total becomes
        ``amount`` (the rest of a cent is put on the largest line)."""
        self.ensure_one()
        currency = self.currency_id
        lines = self.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        )
        if not lines or not self.amount_total:
            return
        if currency.compare_amounts(self.amount_total, amount) == 0:
            return
        ratio = amount / self.amount_total
        self.write(
            {
                "invoice_line_ids": [
                    Command.update(line.id, {"price_unit": line.price_unit * ratio})
                    for line in lines
                ]
            }
        )
        difference = currency.round(amount - self.amount_total)
        largest = max(lines, key=lambda line: abs(line.price_total))
        if not currency.is_zero(difference) and largest.quantity:
            net_share = (
                largest.price_subtotal / largest.price_total
                if largest.price_total
                else 1.0
            )
            largest.price_unit += difference * net_share / largest.quantity

    def _check_dunning_same_customer(self):
        moves = self.filtered(lambda move: move._is_dunning_open())
        if not moves or moves != self:
            raise UserError(self.env._("Select open, posted customer invoices only."))
        if len(moves.commercial_partner_id) > 1 or len(moves.company_id) > 1:
            raise UserError(
                self.env._("Select invoices of one customer and one company.")
            )
        return moves
