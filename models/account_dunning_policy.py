from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

CUSTOMER_TYPES = [
    ("all", "All customers"),
    ("b2b", "Businesses"),
    ("consumer", "Consumers"),
]


class AccountDunningPolicy(models.Model):
    """A dunning ladder: the levels a customer of one segment climbs."""

    _name = "account.dunning.policy"
    _description = "Dunning Policy"
    _inherit = ["mail.thread"]
    _order = "company_id, segment_id, customer_type, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    segment_id = fields.Many2one(
        "account.dunning.segment",
        required=True,
        ondelete="restrict",
        tracking=True,
        domain="['|', ('company_id', '=', False), ('company_id', '=', company_id)]",
    )
    customer_type = fields.Selection(
        CUSTOMER_TYPES,
        required=True,
        default="all",
        tracking=True,
        help="A policy for businesses or consumers takes precedence over the "
        "policy for all customers of the same segment.",
    )
    grace_days = fields.Integer(
        help="Days after the due date during which nothing happens.",
        tracking=True,
    )
    responsible_user_id = fields.Many2one(
        "res.users",
        string="Dunning Responsible",
        help="Receives phone-call activities when the customer has no salesperson.",
    )
    compensation_mode = fields.Selection(
        [("invoice", "Per invoice"), ("letter", "Once per letter")],
        string="Flat Compensation",
        default="invoice",
        required=True,
        help="Whether the flat B2B compensation is claimed for every overdue "
        "invoice or once per letter.",
    )
    interest_start = fields.Selection(
        [
            ("due", "Day after the due date"),
            ("letter", "Day after the first dunning letter"),
            ("default", "Default: first letter received"),
        ],
        string="Interest From",
        default="due",
        required=True,
        tracking=True,
        help="A due date agreed by contract puts the customer in default "
        "without a reminder (§ 286 (2) BGB): interest from the day after it. "
        "A due date merely printed on the invoice does not put a consumer in "
        "default: choose 'Default' to claim interest (and treat the customer "
        "as in default) only from the day after the first letter was "
        "received, i.e. its date plus the delivery allowance.",
    )
    interest_delivery_days = fields.Integer(
        string="Delivery Allowance (days)",
        default=3,
        tracking=True,
        help="Days assumed for a letter to reach the customer: default begins "
        "after the first letter's date plus these days (interest from "
        "'Default').",
    )
    waive_interest = fields.Boolean(
        tracking=True,
        help="Interest is computed and shown on the letters but not claimed.",
    )
    waive_compensation = fields.Boolean(
        tracking=True,
        help="The flat compensation is computed and shown on the letters but "
        "not claimed.",
    )
    waive_fees = fields.Boolean(
        tracking=True,
        help="Dunning fees are computed and shown on the letters but not claimed.",
    )
    charge_invoice = fields.Boolean(
        string="Invoice Charges",
        tracking=True,
        help="When a letter is sent, its interest, compensation and fees (except "
        "waived ones) are posted as a customer invoice, collected like any "
        "invoice. Interest is never invoiced twice for the same days.",
    )
    charge_journal_id = fields.Many2one(
        "account.journal",
        string="Charges Journal",
        check_company=True,
        domain="[('type', '=', 'sale')]",
        help="Sales journal of the charges invoices; the first sales journal "
        "of the company when empty.",
    )
    interest_product_id = fields.Many2one(
        "product.product",
        check_company=True,
        help="Optional product of the interest lines (its income account is "
        "used unless an account is set below).",
    )
    interest_account_id = fields.Many2one(
        "account.account",
        string="Interest Income Account",
        check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]",
    )
    fee_product_id = fields.Many2one(
        "product.product",
        string="Fees Product",
        check_company=True,
        help="Optional product of the dunning fee and flat compensation lines.",
    )
    fee_account_id = fields.Many2one(
        "account.account",
        string="Fees Income Account",
        check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Account of the dunning fee and flat compensation lines.",
    )
    level_ids = fields.One2many(
        "account.dunning.level", "policy_id", string="Levels", copy=True
    )
    level_count = fields.Integer(compute="_compute_level_count")
    dispute_dun_undisputed = fields.Boolean(
        string="Dun Undisputed Parts",
        help="When an invoice is disputed only in part, keep dunning the "
        "undisputed amount (the minimum amount of a level applies to it). "
        "Otherwise the whole invoice waits until the dispute is settled.",
    )
    claim_type_id = fields.Many2one(
        "account.dunning.claim.type",
        help="Claim type (court dunning catalogue) of this policy's invoices "
        "when their product categories do not name one. Default: purchase "
        "contract.",
    )

    _sql_constraints = [
        (
            "segment_company_type_uniq",
            "unique(segment_id, company_id, customer_type)",
            "There can be only one policy per segment, company and customer type.",
        ),
    ]

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    @api.constrains("grace_days", "interest_delivery_days")
    def _check_grace_days(self):
        for policy in self:
            if policy.grace_days < 0:
                raise ValidationError(
                    self.env._(
                        "Policy %(name)s: grace days cannot be negative.",
                        name=policy.name,
                    )
                )
            if policy.interest_delivery_days < 0:
                raise ValidationError(
                    self.env._(
                        "Policy %(name)s: the delivery allowance cannot be negative.",
                        name=policy.name,
                    )
                )

    @api.constrains("level_ids")
    def _check_levels(self):
        for policy in self:
            days = policy.level_ids.mapped("days_overdue")
            if len(days) != len(set(days)):
                raise ValidationError(
                    self.env._(
                        "Policy %(name)s: two levels start at the same number of "
                        "days overdue. Each level must start strictly later than "
                        "the previous one.",
                        name=policy.name,
                    )
                )

    def _get_sorted_levels(self):
        self.ensure_one()
        return self.level_ids.sorted(lambda level: (level.days_overdue, level.id))

    @api.model
    def _get_policy_map(self, company):
        """Return ``{(segment_id, customer_type): policy}`` for ``company``."""
        policies = self.search([("company_id", "=", company.id)])
        return {(p.segment_id.id, p.customer_type): p for p in policies}

    @api.model
    def _pick_policy(self, policy_map, segment, is_consumer):
        """Most specific policy of ``segment`` for the customer type."""
        specific = "consumer" if is_consumer else "b2b"
        return policy_map.get((segment.id, specific)) or policy_map.get(
            (segment.id, "all")
        )

    @api.model
    def _create_default_policies(self, companies):
        """Give companies without a policy a copy of the shipped defaults."""
        if isinstance(companies, list):
            companies = self.env["res.company"].browse(companies)
        # sudo: the shipped defaults belong to the main company, whatever the
        # current user's companies are; one query for all of their xml ids.
        shipped = (
            self.env["ir.model.data"]
            .sudo()
            .search_fetch(
                [
                    ("module", "=", "account_relationship_dunning"),
                    ("model", "=", self._name),
                ],
                ["res_id"],
            )
        )
        templates = (
            self.sudo()
            .browse(shipped.mapped("res_id"))
            .exists()
            .filtered(lambda p: p.company_id == self.env.ref("base.main_company"))
        )
        having = self.sudo().search([("company_id", "in", companies.ids)]).company_id
        todo = companies - having - templates.company_id
        if not todo or not templates:
            return True
        # One create for all companies, policies and levels (copy() would
        # create and translate them one policy at a time); shipped copies need
        # no chatter message, follower or tracking.
        templates = templates.with_context(
            active_test=False,
            tracking_disable=True,
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
        )
        vals_list = []
        for company in todo:
            vals_list += templates.copy_data({"company_id": company.id})
        copies = templates.create(vals_list)
        self._copy_translations_batch(
            templates.browse(templates.ids * len(todo)), copies
        )
        return True

    @api.model
    def _copy_translations_batch(self, originals, copies):
        """Give ``copies`` (of ``originals``, pair by pair) the translations
        of their originals, with one UPDATE per table, like copy() does record
        by record. Levels pair up by id, as copy_data() creates them."""
        pairs = {self._name: list(zip(copies.ids, originals.ids, strict=True))}
        level_pairs = []
        for original, copy in zip(originals, copies, strict=True):
            level_pairs += zip(
                copy.level_ids.sorted("id").ids,
                original.level_ids.sorted("id").ids,
                strict=True,
            )
        pairs["account.dunning.level"] = level_pairs
        for model_name, model_pairs in pairs.items():
            model = self.env[model_name]
            names = [
                name
                for name, field in model._fields.items()
                if field.translate and field.store and field.copy
            ]
            if not names or not model_pairs:
                continue
            model.flush_model(names)
            new_ids, old_ids = zip(*model_pairs, strict=True)
            self.env.cr.execute(
                SQL(
                    """UPDATE %(table)s AS new SET %(assign)s
                         FROM %(table)s AS old,
                              unnest(%(new_ids)s, %(old_ids)s) AS map(new_id, old_id)
                        WHERE new.id = map.new_id AND old.id = map.old_id""",
                    table=SQL.identifier(model._table),
                    assign=SQL(", ").join(
                        SQL("%s = old.%s", SQL.identifier(name), SQL.identifier(name))
                        for name in names
                    ),
                    new_ids=list(new_ids),
                    old_ids=list(old_ids),
                )
            )
            model.browse(new_ids).invalidate_recordset(names)
