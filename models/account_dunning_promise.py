from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_compare

PROMISE_STATES = [
    ("open", "Open"),
    ("kept", "Kept"),
    ("broken", "Broken"),
    ("cancel", "Cancelled"),
]
# Kept and broken promises of this many days count in the relationship score.
SCORE_WINDOW_DAYS = 730


class AccountDunningPromise(models.Model):
    """A customer's promise to pay an amount by a date.

    While it is open and its date has not passed, its invoices are skipped by
    the dunning run (skip reason "Promise to pay"). The first real run after
    the date closes it: kept when the promised amount was paid on its invoices
    since the promise, broken otherwise (the collector gets an activity and
    dunning resumes).
    """

    _name = "account.dunning.promise"
    _description = "Promise to Pay"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "account.dunning.reference.mixin",
    ]
    _order = "date_promised desc, id desc"
    _check_company_auto = True

    # Extension points of the dunning engine and the relationship profile.
    _dunning_blocks_invoices = True
    _dunning_block_priority = 40
    _dunning_profile_metrics = True

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/"
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('parent_id', '=', False)]",
    )
    move_ids = fields.Many2many(
        "account.move",
        "account_dunning_promise_move_rel",
        "promise_id",
        "move_id",
        string="Invoices",
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('payment_state', 'in', ('not_paid', 'partial')), "
        "('commercial_partner_id', '=', partner_id)]",
        help="The invoices the promise covers. Left empty, it covers all open "
        "invoices of the customer.",
    )
    letter_id = fields.Many2one(
        "account.dunning.letter",
        string="Recorded on Letter",
        check_company=True,
        ondelete="set null",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        default=lambda self: self.env.user,
        tracking=True,
        domain="[('share', '=', False)]",
        help="Gets an activity when the promise is broken.",
    )
    date_recorded = fields.Date(
        required=True, default=fields.Date.context_today, readonly=True
    )
    date_promised = fields.Date(
        string="Promised Payment Date", required=True, tracking=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(
        string="Promised Amount",
        required=True,
        tracking=True,
        help="In company currency; by default the open amount of the invoices.",
    )
    amount_open_at_promise = fields.Monetary(
        string="Open When Promised",
        readonly=True,
        copy=False,
        help="Open amount of the invoices when the promise was recorded.",
    )
    amount_paid = fields.Monetary(
        string="Paid Since",
        compute="_compute_amount_paid",
        help="How much of the open amount was paid since the promise.",
    )
    state = fields.Selection(
        PROMISE_STATES,
        required=True,
        default="open",
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    date_closed = fields.Date(readonly=True, copy=False)
    note = fields.Text()

    @api.depends("move_ids.amount_residual_signed", "amount_open_at_promise")
    def _compute_amount_paid(self):
        for promise in self:
            promise.amount_paid = promise.currency_id.round(
                max(
                    0.0,
                    promise.amount_open_at_promise
                    - sum(promise.move_ids.mapped("amount_residual_signed")),
                )
            )

    @api.constrains("amount", "date_promised", "date_recorded")
    def _check_promise(self):
        for promise in self:
            if float_compare(promise.amount, 0.0, precision_digits=2) <= 0:
                raise ValidationError(
                    self.env._("The promised amount must be positive.")
                )
            if promise.date_promised < promise.date_recorded:
                raise ValidationError(
                    self.env._(
                        "The promised payment date cannot be before the day the "
                        "promise is recorded (%(date)s).",
                        date=promise.date_recorded,
                    )
                )

    @api.constrains("partner_id", "move_ids")
    def _check_moves(self):
        for promise in self:
            wrong = promise.move_ids.filtered(
                lambda move, p=promise: (
                    move.commercial_partner_id != p.partner_id.commercial_partner_id
                )
            )
            if wrong:
                raise ValidationError(
                    self.env._(
                        "Invoice %(invoice)s is not an invoice of %(partner)s.",
                        invoice=wrong[0].display_name,
                        partner=promise.partner_id.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model
    def _check_dunning_user(self):
        if not self.env.su and not self.env.user.has_group(
            "account_relationship_dunning.group_dunning_user"
        ):
            raise UserError(
                self.env._("Only dunning users can record promises to pay.")
            )

    @api.model
    def _get_open_invoices(self, company, partner):
        return self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("commercial_partner_id", "=", partner.commercial_partner_id.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ]
        )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        move_ids = self.env.context.get("default_move_ids")
        if "amount" in fields_list and not values.get("amount"):
            if move_ids:
                moves = self.env["account.move"].browse(move_ids)
            elif values.get("partner_id"):
                moves = self._get_open_invoices(
                    self.env.company,
                    self.env["res.partner"].browse(values["partner_id"]),
                )
            else:
                moves = self.env["account.move"]
            values["amount"] = sum(moves.mapped("amount_residual_signed"))
        return values

    @api.model_create_multi
    def create(self, vals_list):
        self._check_dunning_user()
        for vals in vals_list:
            partner = self.env["res.partner"].browse(vals.get("partner_id"))
            if partner:
                vals["partner_id"] = partner.commercial_partner_id.id
            self._assign_reference(vals)
        promises = super().create(vals_list)
        for promise in promises:
            if not promise.move_ids:
                promise.move_ids = [
                    Command.set(
                        self._get_open_invoices(
                            promise.company_id, promise.partner_id
                        ).ids
                    )
                ]
            if not promise.move_ids:
                raise UserError(
                    self.env._(
                        "%(partner)s has no open invoice a promise to pay could cover.",
                        partner=promise.partner_id.display_name,
                    )
                )
            promise.amount_open_at_promise = sum(
                promise.move_ids.mapped("amount_residual_signed")
            )
            promise._post_on_customer_and_invoices(
                self.env._(
                    "Promise to pay %(promise)s recorded: %(amount)s by %(date)s.",
                    promise=promise._get_html_link(),
                    amount=promise.currency_id.format(promise.amount),
                    date=promise.date_promised,
                )
            )
        return promises

    def write(self, vals):
        if {"move_ids", "partner_id", "company_id"}.intersection(vals) and any(
            promise.state != "open" for promise in self
        ):
            raise UserError(self.env._("A closed promise to pay cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_closed(self):
        if any(promise.state in ("kept", "broken") for promise in self):
            raise UserError(
                self.env._(
                    "A kept or broken promise to pay is part of the customer's "
                    "history and cannot be deleted."
                )
            )

    @api.depends("partner_id", "date_promised")
    def _compute_display_name(self):
        for promise in self:
            promise.display_name = (
                f"{promise.name} ({promise.partner_id.name})"
                if promise.partner_id and promise.name and promise.name != "/"
                else promise.name or ""
            )

    def _post_on_customer_and_invoices(self, body):
        self.ensure_one()
        self.message_post(body=body)
        # sudo: dunning users may lack write access to contacts, which posting
        # on the customer's chatter needs; the note is the promise's own.
        self.partner_id.sudo().message_post(body=body)
        self.move_ids._message_log_batch(
            bodies={move.id: body for move in self.move_ids}
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_cancel(self):
        self._check_dunning_user()
        for promise in self:
            if promise.state != "open":
                raise UserError(
                    self.env._("Promise %(name)s is already closed.", name=promise.name)
                )
        self.write({"state": "cancel", "date_closed": fields.Date.context_today(self)})
        return True

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.move_ids.ids)]
        action["context"] = {"default_move_type": "out_invoice"}
        return action

    @api.model
    def _action_new_promise(self, partner, moves=None, letter=None):
        """The form of a new promise, filled from where it is recorded."""
        self._check_dunning_user()
        context = {
            "default_partner_id": partner.commercial_partner_id.id,
            "default_company_id": self.env.company.id,
        }
        if moves:
            context["default_move_ids"] = moves.ids
        if letter:
            context["default_letter_id"] = letter.id
            context["default_company_id"] = letter.company_id.id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Promise to Pay"),
            "res_model": self._name,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": context,
        }

    # ------------------------------------------------------------------
    # Dunning engine
    # ------------------------------------------------------------------
    @api.model
    def _get_dunning_blocks(self, company, move_ids, date):
        """Invoices of open promises whose date has not passed (one query)."""
        self.flush_model(["state", "company_id", "date_promised", "move_ids", "amount"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (r.move_id) r.move_id, p.name, p.date_promised
                  FROM account_dunning_promise_move_rel r
                  JOIN account_dunning_promise p ON p.id = r.promise_id
                 WHERE p.company_id = %s
                   AND p.state = 'open'
                   AND p.date_promised >= %s
                   AND r.move_id = ANY(%s)
              ORDER BY r.move_id, p.date_promised DESC, p.id DESC
                """,
                company.id,
                date,
                list(move_ids),
            )
        )
        return {
            move_id: (
                "promise",
                self.env._(
                    "Promise to pay %(promise)s until %(date)s",
                    promise=name,
                    date=date_promised,
                ),
            )
            for move_id, name, date_promised in rows
        }

    @api.model
    def _close_due_promises(self, company, date):
        """Close the open promises of ``company`` whose date is before
        ``date``: kept when the promised amount was paid, else broken."""
        due = self.search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "open"),
                ("date_promised", "<", date),
            ]
        )
        kept = due.filtered(
            lambda promise: (
                float_compare(
                    promise.amount_paid,
                    promise.amount,
                    precision_rounding=promise.currency_id.rounding,
                )
                >= 0
                or all(
                    move.payment_state in ("paid", "in_payment", "reversed")
                    for move in promise.move_ids
                )
            )
        )
        broken = due - kept
        kept.write({"state": "kept", "date_closed": date})
        broken.write({"state": "broken", "date_closed": date})
        for promise in kept:
            promise._post_on_customer_and_invoices(
                self.env._(
                    "Promise to pay %(promise)s kept: %(paid)s paid by %(date)s.",
                    promise=promise._get_html_link(),
                    paid=promise.currency_id.format(promise.amount_paid),
                    date=promise.date_promised,
                )
            )
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        for promise in broken:
            promise._post_on_customer_and_invoices(
                self.env._(
                    "Promise to pay %(promise)s broken: %(paid)s of %(amount)s paid "
                    "by %(date)s. Dunning resumes.",
                    promise=promise._get_html_link(),
                    paid=promise.currency_id.format(promise.amount_paid),
                    amount=promise.currency_id.format(promise.amount),
                    date=promise.date_promised,
                )
            )
            promise.activity_schedule(
                activity_type_id=activity_type.id,
                summary=self.env._(
                    "Promise to pay broken: contact %(customer)s",
                    customer=promise.partner_id.name,
                ),
                user_id=(promise.user_id or self.env.user).id,
                date_deadline=date,
            )
        return kept, broken

    # ------------------------------------------------------------------
    # Relationship profile
    # ------------------------------------------------------------------
    @api.model
    def _add_dunning_metrics(self, company, metrics):
        """Kept and broken promises (last 24 months) per commercial partner,
        with one grouped query."""
        if not metrics:
            return metrics
        self.flush_model(["state", "company_id", "partner_id", "date_closed"])
        since = fields.Date.context_today(self) - timedelta(days=SCORE_WINDOW_DAYS)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id,
                       COUNT(*) FILTER (WHERE state = 'kept'),
                       COUNT(*) FILTER (WHERE state = 'broken')
                  FROM account_dunning_promise
                 WHERE company_id = %(company)s
                   AND partner_id = ANY(%(partners)s)
                   AND state IN ('kept', 'broken')
                   AND date_closed > %(since)s
              GROUP BY partner_id
                """,
                company=company.id,
                partners=list(metrics),
                since=since,
            )
        )
        for partner_id, kept, broken in rows:
            metrics[partner_id]["kept_promise_count"] = kept
            metrics[partner_id]["broken_promise_count"] = broken
        return metrics
