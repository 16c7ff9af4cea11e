from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    dunning_manager_user_id = fields.Many2one(
        "res.users",
        string="Dunning Manager",
        help="Receives the reminders of the limitation watch. When empty, the "
        "first dunning manager of the company.",
    )
    dunning_responsible_user_id = fields.Many2one(
        "res.users",
        string="Dunning Responsible",
        help="Receives the phone-call activities of customers without a "
        "salesperson when their policy names no dunning responsible. Needed "
        "once a policy uses phone calls.",
    )
    dunning_collection_agency_id = fields.Many2one(
        "res.partner",
        string="Collection Agency",
        help="Default agency for legal handovers to a collection agency.",
    )
    dunning_limitation_warning_days = fields.Integer(
        string="Limitation Warning (days)",
        default=90,
        help="Claims that become time-barred within this many days, or before "
        "the end of the year, are on the limitation watch list.",
    )
    dunning_score_open_disputes = fields.Boolean(
        string="Open Disputes Lower the Score",
        default=True,
        help="Disputes still being clarified count in the relationship score.",
    )
    dunning_score_unfounded_disputes = fields.Boolean(
        string="Unfounded Disputes Lower the Score",
        default=True,
        help="Disputes judged unfounded (customer withdrew, claim confirmed) "
        "in the last 24 months count in the relationship score. Disputes the "
        "customer won never count.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        self.env["account.dunning.policy"]._create_default_policies(companies)
        return companies

    def _get_dunning_limitation_horizon(self):
        """Last limitation date on the watch list: the end of the year or the
        end of the warning period, whichever is later."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        return max(
            today.replace(month=12, day=31),
            fields.Date.add(today, days=self.dunning_limitation_warning_days),
        )

    def _get_dunning_manager_user(self):
        self.ensure_one()
        if self.dunning_manager_user_id:
            return self.dunning_manager_user_id
        group = self.env.ref("account_relationship_dunning.group_dunning_manager")
        return self.env["res.users"].search(
            [
                ("groups_id", "in", group.ids),
                ("company_ids", "in", self.ids),
                ("share", "=", False),
            ],
            order="id",
            limit=1,
        )
