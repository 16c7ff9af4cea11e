"""What disputes, legal handovers, payment plans and promises to pay share.

Each of them is a "dunning case" on a customer's invoices: a reference drawn
from the company's sequence, the customer (always the commercial partner),
the company, a responsible user, a chatter. The mixin holds those header
fields and the helpers around them, the way ``sequence.mixin`` and
``mail.activity.mixin`` serve several document models. A model redefines a
header field only where its label or rules differ (e.g. "Debtor" on the
handover); the database columns stay those of the model.
"""

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount

from .dunning_guard import DUNNING_MANAGER_GROUP

DEADLINE_ACTIVITY = "account_relationship_dunning.mail_activity_type_dunning_deadline"


class AccountDunningCompanyMessage(models.AbstractModel):
    _name = "account.dunning.company.message.mixin"
    _description = "Company Check without Other Companies' Names"

    def _check_company(self, fnames=None):
        try:
            return super()._check_company(fnames)
        except UserError:
            if self.env.su:
                raise
            raise UserError(
                self.env._(
                    "Some of the chosen records belong to a company you are not "
                    "working in. Choose records of %(company)s only.",
                    company=self.env.company.name,
                )
            ) from None


class AccountDunningCaseMixin(models.AbstractModel):
    _name = "account.dunning.case.mixin"
    _description = "Dunning Case"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "account.dunning.reference.mixin",
        "account.dunning.company.message.mixin",
    ]
    _check_company_auto = True

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
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        tracking=True,
        domain="[('share', '=', False)]",
    )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._prepare_case_vals(vals)
        return super().create(vals_list)

    @api.model
    def _prepare_case_vals(self, vals):
        """A case is always opened on the commercial partner and gets its
        reference from the company's sequence; return ``vals``."""
        if vals.get("partner_id"):
            partner = self.env["res.partner"].browse(vals["partner_id"])
            vals["partner_id"] = partner.commercial_partner_id.id
        return self._assign_reference(vals)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_view_invoices(self):
        self.ensure_one()
        return self._get_moves_action(self._get_case_moves())

    def _get_moves_action(self, moves, xmlid="account.action_move_out_invoice_type"):
        """The accounting action ``xmlid`` on ``moves`` (the form of the only
        one, else the list)."""
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("id", "in", moves.ids)]
        action["context"] = {"create": False}
        if len(moves) == 1:
            action.update(view_mode="form", views=[(False, "form")], res_id=moves.id)
        return action

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _get_case_moves(self):
        """The invoices the case is about."""
        self.ensure_one()
        return self.move_ids

    def _format_amount(self, amount, currency=None):
        """``amount`` in the case's currency, formatted for the user's
        language (e.g. "1.234,50 €")."""
        self.ensure_one()
        return format_amount(self.env, amount, currency or self.currency_id)

    def _label(self, field_name, value=None):
        """The label of a selection value (by default the record's own)."""
        if value is None:
            self.ensure_one()
            value = self[field_name]
        selection = self._fields[field_name]._description_selection(self.env)
        return dict(selection).get(value, value or "")

    def _check_manager(self, message=None):
        """Refuse users who are not dunning managers."""
        if not self.env.user.has_group(DUNNING_MANAGER_GROUP):
            raise AccessError(
                message or self.env._("This action is reserved to dunning managers.")
            )

    def _post_on_customer_and_invoices(self, body):
        """Log ``body`` as a note on the case's customer and, in one batch,
        on each of its invoices."""
        self.ensure_one()
        # sudo: dunning users without the right to edit contacts may still log
        # the case on its customer (the author stays the user).
        self.partner_id.sudo().message_post(body=body, subtype_xmlid="mail.mt_note")
        moves = self._get_case_moves()
        # The invoices are readable by the user (they belong to the case);
        # _message_log_batch writes the notes without notifying anybody.
        moves._message_log_batch(bodies=dict.fromkeys(moves.ids, body))

    # ------------------------------------------------------------------
    # Deadline activity
    # ------------------------------------------------------------------
    def _is_deadline_pending(self):
        """Whether the case still waits for its ``date_deadline``."""
        self.ensure_one()
        return bool(self.date_deadline)

    def _get_deadline_summary(self):
        self.ensure_one()
        return self.env._("Deadline of %(name)s", name=self.name)

    def _schedule_deadline_activity(self):
        """One deadline activity per pending case, for its responsible."""
        self.activity_unlink([DEADLINE_ACTIVITY])
        for case in self:
            if case._is_deadline_pending():
                case.activity_schedule(
                    DEADLINE_ACTIVITY,
                    date_deadline=case.date_deadline,
                    summary=case._get_deadline_summary(),
                    user_id=(case.user_id or self.env.user).id,
                )

    # ------------------------------------------------------------------
    # Limitation suspensions
    # ------------------------------------------------------------------
    def _sync_suspension_periods(self, inverse_name, periods):
        """Make the case's limitation suspensions match ``periods``:
        ``{(case, kind): (date_start, date_end) or None}``. A period with no
        start removes the suspension of that kind; a new one covers the
        case's invoices."""
        Suspension = self.env["account.dunning.suspension"]
        existing = {
            (suspension[inverse_name], suspension.kind): suspension
            for suspension in Suspension.search([(inverse_name, "in", self.ids)])
        }
        kinds = dict(Suspension._fields["kind"]._description_selection(self.env))
        to_create = []
        for (case, kind), period in periods.items():
            suspension = existing.get((case, kind))
            if not period or not period[0]:
                if suspension:
                    suspension.unlink()
                continue
            vals = {"date_start": period[0], "date_end": period[1] or False}
            if suspension:
                suspension.write(vals)
                continue
            to_create.append(
                {
                    **vals,
                    "name": case._get_suspension_name(kind, kinds[kind]),
                    "kind": kind,
                    "company_id": case.company_id.id,
                    inverse_name: case.id,
                    "move_ids": [Command.set(case._get_case_moves().ids)],
                }
            )
        return Suspension.create(to_create) if to_create else Suspension

    def _get_suspension_name(self, kind, kind_label):
        self.ensure_one()
        return self.env._(
            "%(kind)s of %(name)s", kind=kind_label, name=self.display_name
        )
