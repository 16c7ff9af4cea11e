from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_payment_plan_count = fields.Integer(
        compute="_compute_dunning_payment_plan_count"
    )

    def _compute_dunning_payment_plan_count(self):
        groups = self.env["account.dunning.payment.plan"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids)],
            ["partner_id"],
            ["__count"],
        )
        counts = {partner.id: count for partner, count in groups}
        for partner in self:
            partner.dunning_payment_plan_count = counts.get(
                partner.commercial_partner_id.id, 0
            )

    def action_view_dunning_payment_plans(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_relationship_dunning.account_dunning_payment_plan_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action
