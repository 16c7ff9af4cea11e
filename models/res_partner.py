from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_customer_type = fields.Selection(
        [
            ("auto", "Automatic"),
            ("b2b", "Business"),
            ("consumer", "Consumer"),
        ],
        default="auto",
        required=True,
        help="Automatic: a company is a business customer, an individual a "
        "consumer. Consumers get the lower statutory interest rate and no flat "
        "compensation.",
    )
    dunning_profile_ids = fields.One2many(
        "account.dunning.profile", "partner_id", string="Relationship Profiles"
    )
    dunning_profile_id = fields.Many2one(
        "account.dunning.profile",
        compute="_compute_dunning_profile_id",
        string="Relationship Profile",
    )
    dunning_letter_count = fields.Integer(compute="_compute_dunning_letter_count")
    dunning_segment_id = fields.Many2one(
        "account.dunning.segment",
        compute="_compute_dunning_profile_id",
    )
    dunning_score = fields.Float(compute="_compute_dunning_profile_id")
    dunning_score_breakdown = fields.Html(
        compute="_compute_dunning_profile_id", string="Score Breakdown"
    )
    dunning_block_until = fields.Date(
        compute="_compute_dunning_profile_id", string="Dunning Blocked Until"
    )
    dunning_block_reason = fields.Char(compute="_compute_dunning_profile_id")
    dunning_override_reason = fields.Char(
        compute="_compute_dunning_profile_id", string="Override Reason"
    )
    dunning_letter_ids = fields.Many2many(
        "account.dunning.letter",
        compute="_compute_dunning_profile_id",
        string="Dunning History",
    )
    dunning_legal_form = fields.Char(
        string="Legal Form",
        help="Legal form of a company customer (e.g. GmbH, AG, GmbH & Co. KG), "
        "as stated in court dunning applications.",
    )
    dunning_dispute_count = fields.Integer(
        string="Disputes", compute="_compute_dunning_dispute_count"
    )

    def _compute_dunning_profile_id(self):
        profiles = self.env["account.dunning.profile"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = {profile.partner_id.id: profile for profile in profiles}
        for partner in self:
            profile = by_partner.get(
                partner.commercial_partner_id.id, self.env["account.dunning.profile"]
            )
            partner.dunning_profile_id = profile
            partner.dunning_segment_id = profile.segment_id
            partner.dunning_score = profile.score
            partner.dunning_score_breakdown = profile.score_breakdown
            partner.dunning_block_until = profile.block_until
            partner.dunning_block_reason = profile.block_reason
            partner.dunning_override_reason = profile.override_reason
            partner.dunning_letter_ids = profile.letter_ids

    def _compute_dunning_letter_count(self):
        groups = self.env["account.dunning.letter"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids)],
            ["partner_id"],
            ["__count"],
        )
        counts = {partner.id: count for partner, count in groups}
        for partner in self:
            partner.dunning_letter_count = counts.get(
                partner.commercial_partner_id.id, 0
            )

    def _compute_dunning_dispute_count(self):
        groups = self.env["account.dunning.dispute"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids)],
            ["partner_id"],
            ["__count"],
        )
        counts = {partner.id: count for partner, count in groups}
        for partner in self:
            partner.dunning_dispute_count = counts.get(
                partner.commercial_partner_id.id, 0
            )

    def _is_dunning_consumer(self):
        self.ensure_one()
        partner = self.commercial_partner_id
        if partner.dunning_customer_type == "auto":
            return not partner.is_company
        return partner.dunning_customer_type == "consumer"

    def action_dunning_profile(self):
        """Open (creating and scoring it when needed) the customer's profile."""
        self.ensure_one()
        profile = self.env["account.dunning.profile"]._get_profiles(
            self.env.company, self.commercial_partner_id
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.dunning.profile",
            "res_id": profile.id,
            "view_mode": "form",
        }

    def action_view_dunning_letters(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_relationship_dunning.account_dunning_letter_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        return action

    def action_view_dunning_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_relationship_dunning.account_dunning_dispute_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def _get_dunning_legal_form(self):
        """Legal form for court dunning: the recorded one, else "natural
        person" for individuals, else empty (unknown)."""
        self.ensure_one()
        partner = self.commercial_partner_id
        if partner.dunning_legal_form:
            return partner.dunning_legal_form
        if not partner.is_company:
            return self.env._("natural person")
        return ""
