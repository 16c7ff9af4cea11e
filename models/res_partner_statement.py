from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

STATEMENT_REPORT = "account_relationship_dunning.res_partner_dunning_statement_report"
STATEMENT_MAIL_TEMPLATE = "account_relationship_dunning.mail_template_dunning_statement"


class ResPartner(models.Model):
    """Customer statement (open items): every open receivable of the
    customer, not yet due ones included, with payments and credits, per
    currency; printable, e-mailable, attachable to a dunning e-mail."""

    _inherit = "res.partner"

    @api.model
    def _get_dunning_statement_items(self, company, partners, today):
        """``{partner_id: {currency_id: [item, ...]}}`` of the open receivable
        lines of the commercial ``partners`` (one query)."""
        self.env.flush_all()
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT l.partner_id, l.id AS line_id, m.id AS move_id,
                       m.name AS move_name, m.move_type, m.ref,
                       l.date, l.date_maturity,
                       COALESCE(l.currency_id, c.currency_id) AS currency_id,
                       l.amount_currency, l.amount_residual_currency,
                       l.balance, l.amount_residual
                  FROM account_move_line l
                  JOIN account_move m ON m.id = l.move_id
                  JOIN account_account a ON a.id = l.account_id
                  JOIN res_company c ON c.id = l.company_id
                 WHERE l.company_id = %(company)s
                   AND l.partner_id = ANY(%(partners)s)
                   AND l.parent_state = 'posted'
                   AND a.account_type = 'asset_receivable'
                   AND NOT l.reconciled
                   AND l.amount_residual != 0
              ORDER BY l.partner_id, l.date_maturity NULLS FIRST, l.date, l.id
                """,
                company=company.id,
                partners=partners.commercial_partner_id.ids,
            )
        )
        result = defaultdict(lambda: defaultdict(list))
        for row in rows:
            row["days_overdue"] = (
                max(0, (today - row["date_maturity"]).days)
                if row["date_maturity"] and row["balance"] > 0
                else 0
            )
            row["kind"] = self._dunning_statement_kind(row)
            result[row["partner_id"]][row["currency_id"]].append(row)
        return result

    @api.model
    def _dunning_statement_kind(self, row):
        if row["move_type"] == "out_invoice":
            return "invoice"
        if row["move_type"] == "out_refund":
            return "credit_note"
        if row["balance"] < 0:
            return "payment"
        return "other"

    def _get_dunning_statement_values(self, company=None, today=None):
        """Report values of the statement of one customer."""
        self.ensure_one()
        company = company or self.env.company
        today = today or fields.Date.context_today(self)
        partner = self.commercial_partner_id
        items = self._get_dunning_statement_items(company, partner, today).get(
            partner.id, {}
        )
        currencies = self.env["res.currency"].browse(sorted(items))
        sections = []
        for currency in currencies:
            rows = items[currency.id]
            total = sum(row["amount_residual_currency"] for row in rows)
            overdue = sum(
                row["amount_residual_currency"] for row in rows if row["days_overdue"]
            )
            sections.append(
                {
                    "currency": currency,
                    "rows": rows,
                    "total": currency.round(total),
                    "overdue": currency.round(overdue),
                    "not_due": currency.round(
                        sum(
                            row["amount_residual_currency"]
                            for row in rows
                            if row["balance"] > 0 and not row["days_overdue"]
                        )
                    ),
                    "credits": currency.round(
                        sum(
                            row["amount_residual_currency"]
                            for row in rows
                            if row["balance"] < 0
                        )
                    ),
                }
            )
        return {
            "partner": partner,
            "company": company,
            "date": today,
            "sections": sections,
        }

    def _dunning_statement_kind_label(self, kind):
        return {
            "invoice": self.env._("Invoice"),
            "credit_note": self.env._("Credit note"),
            "payment": self.env._("Payment"),
            "other": self.env._("Other"),
        }[kind]

    def _dunning_statement_attachment(self, res_model=None, res_id=0):
        """The statement rendered as a file, attached to ``res_model``."""
        self.ensure_one()
        partner = self.commercial_partner_id
        content, report_type = self.env["ir.actions.report"]._render_qweb_pdf(
            STATEMENT_REPORT, res_ids=partner.ids
        )
        extension = "pdf" if report_type == "pdf" else "html"
        return self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "Statement %(partner)s %(date)s.%(ext)s",
                    partner=partner.name,
                    date=fields.Date.to_string(fields.Date.context_today(self)),
                    ext=extension,
                ),
                "raw": content,
                "res_model": res_model or partner._name,
                "res_id": res_id if res_model else partner.id,
            }
        )

    def action_print_dunning_statement(self):
        """Show the statement in the browser, ready to print or download."""
        action = self.env.ref(STATEMENT_REPORT).report_action(
            self.commercial_partner_id, config=False
        )
        action["report_type"] = "qweb-html"
        return action

    def action_send_dunning_statement(self):
        self.ensure_one()
        partner = self.commercial_partner_id
        template = self.env.ref(STATEMENT_MAIL_TEMPLATE)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send Statement"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": partner._name,
                "default_res_ids": partner.ids,
                "default_composition_mode": "comment",
                "default_template_id": template.id,
                "default_email_layout_xmlid": "mail.mail_notification_light",
            },
        }

    def action_dunning_promise(self):
        self.ensure_one()
        return self.env["account.dunning.promise"]._action_new_promise(
            self.commercial_partner_id
        )
