from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    dunning_payment_plan_ids = fields.Many2many(
        "account.dunning.payment.plan",
        "account_dunning_payment_plan_move_rel",
        "move_id",
        "plan_id",
        string="Payment Plans",
        readonly=True,
        copy=False,
    )
    dunning_payment_plan_count = fields.Integer(
        compute="_compute_dunning_payment_plan_count"
    )

    def _compute_dunning_payment_plan_count(self):
        groups = self.env["account.dunning.payment.plan"]._read_group(
            [("move_ids", "in", self.ids)], ["move_ids"], ["__count"]
        )
        counts = {move.id: count for move, count in groups}
        for move in self:
            move.dunning_payment_plan_count = counts.get(move.id, 0)

    def action_view_dunning_payment_plans(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_relationship_dunning.account_dunning_payment_plan_action"
        )
        plans = self.dunning_payment_plan_ids
        if len(plans) == 1:
            action.update(views=[(False, "form")], res_id=plans.id)
        else:
            action["domain"] = [("id", "in", plans.ids)]
        return action
