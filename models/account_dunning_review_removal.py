from odoo import api, fields, models
from odoo.tools import SQL


class AccountDunningReviewRemoval(models.Model):
    """An invoice a reviewer removed from a letter before it was sent.

    The invoice keeps its previous level and the next runs skip it (skip
    reason "Removed in review") as long as its open amount and due date stay
    as they were when it was removed.
    """

    _name = "account.dunning.review.removal"
    _description = "Invoice Removed in Review"
    _order = "id desc"
    _check_company_auto = True

    # Extension point of the dunning engine.
    _dunning_blocks_invoices = True
    _dunning_block_priority = 60

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    letter_id = fields.Many2one(
        "account.dunning.letter", readonly=True, ondelete="set null", index=True
    )
    letter_name = fields.Char(string="Letter Reference", readonly=True)
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    partner_id = fields.Many2one(
        related="move_id.commercial_partner_id", string="Customer"
    )
    level_id = fields.Many2one(
        "account.dunning.level",
        string="Level Kept",
        readonly=True,
        help="The level the invoice had before the letter and keeps.",
    )
    reason = fields.Char(required=True, readonly=True)
    user_id = fields.Many2one(
        "res.users", string="Reviewer", readonly=True, default=lambda s: s.env.user
    )
    date = fields.Date(readonly=True, default=fields.Date.context_today)
    amount_residual = fields.Float(
        string="Open Amount When Removed",
        readonly=True,
        digits=(16, 2),
        help="In company currency. The invoice is dunned again once it changes.",
    )
    date_due = fields.Date(string="Due Date When Removed", readonly=True)

    @api.model
    def _get_dunning_blocks(self, company, move_ids, date):
        """Invoices removed in review and unchanged since (one query)."""
        self.flush_model()
        self.env["account.move"].flush_model(
            ["amount_residual_signed", "invoice_date_due"]
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (r.move_id) r.move_id, r.reason, r.letter_name
                  FROM account_dunning_review_removal r
                  JOIN account_move m ON m.id = r.move_id
                 WHERE r.company_id = %s
                   AND r.move_id = ANY(%s)
                   AND ROUND(m.amount_residual_signed, 2) = ROUND(r.amount_residual, 2)
                   AND m.invoice_date_due IS NOT DISTINCT FROM r.date_due
              ORDER BY r.move_id, r.id DESC
                """,
                company.id,
                list(move_ids),
            )
        )
        return {
            move_id: (
                "review",
                self.env._(
                    "Removed from letter %(letter)s in review: %(reason)s",
                    letter=letter_name or "",
                    reason=reason,
                ),
            )
            for move_id, reason, letter_name in rows
        }
