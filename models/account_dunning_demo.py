import logging
from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Invoice and payment history of the demo customers, relative to the day the
# demo data is installed (day 0). Deterministic: no randomness.
#
# "segment": the segment the relationship score puts the customer in (code).
# "history": invoices from ``first`` down to ``last`` days ago, every ``every``
#   days (every 120 days at least before the last 24 months), of ``net`` (net
#   amount, varied by AMOUNT_FACTORS), due ``term`` days after the invoice date
#   and paid ``late`` days after the due date (cycled; negative = early).
# "open": invoices still open today as ``(days overdue, net amount, options)``;
#   options: ``paid`` share paid on the due date, ``left`` amount left open
#   after a payment on the due date, ``excluded`` excluded from dunning,
#   ``block_days`` + ``block_reason`` an invoice block.
# "block": a customer block for that many days from today, with a reason.
DEMO_CUSTOMERS = {
    # Strategic partners: years of business, > 50,000 revenue, pay on time.
    "demo_partner_hanse": {
        "segment": "strategic",
        "history": {
            "first": 1480,
            "last": 70,
            "every": 60,
            "net": 16000,
            "term": 30,
            "late": (0, -2, 0, 0, -3, -5, 0, 0, 0, -1, 0, -1),
        },
        "open": [(28, 6000), (12, 4000), (40, 4800, {"paid": 0.5}), (0, 6200)],
    },
    "demo_partner_rhein": {
        "segment": "strategic",
        "history": {
            "first": 1900,
            "last": 90,
            "every": 45,
            "net": 11000,
            "term": 30,
            "late": (0, -1, 0, -2, 0, 0, -3, 0),
        },
        "open": [(80, 2400), (52, 3100), (33, 1500), (18, 4000), (5, 3000)],
    },
    "demo_partner_thames": {
        "segment": "strategic",
        "history": {
            "first": 1150,
            "last": 60,
            "every": 60,
            "net": 13000,
            "term": 30,
            "late": (0, 0, -4, 0, -1, 0),
        },
        "open": [(22, 3000), (15, 4500), (8, 6500), (3, 4000)],
    },
    # Established: more than a year, reliable, smaller revenue.
    "demo_partner_schwarzwald": {
        "segment": "established",
        "history": {
            "first": 950,
            "last": 60,
            "every": 45,
            "net": 3200,
            "term": 14,
            "late": (0, 0, -1, 0, 0, -2, 0, 3),
        },
        "open": [(20, 3200), (35, 2800), (48, 1900, {"paid": 0.4}), (2, 3100)],
    },
    "demo_partner_brightwater": {
        "segment": "established",
        "history": {
            "first": 640,
            "last": 60,
            "every": 60,
            "net": 2800,
            "term": 30,
            "late": (0, 0, -2, 0, 0, 0),
        },
        "open": [
            (8, 1400),
            (16, 1400),
            (33, 1200),
            (
                62,
                900,
                {
                    "block_days": 10,
                    "block_reason": "Hours disputed: waiting for the timesheet "
                    "review with the project lead.",
                },
            ),
        ],
    },
    "demo_partner_weber": {
        "segment": "established",
        "history": {
            "first": 1100,
            "last": 90,
            "every": 60,
            "net": 420,
            "term": 14,
            "late": (0, 0, -3, 0, 0, -1),
        },
        "open": [(16, 420), (45, 380, {"paid": 0.5}), (6, 400)],
    },
    # Standard: often somewhat late, or not long enough a customer.
    "demo_partner_meyer": {
        "segment": "standard",
        "history": {
            "first": 560,
            "last": 50,
            "every": 56,
            "net": 3000,
            "term": 14,
            "late": (5, 0, 12, 0, 8, 0, -2, 15),
        },
        "open": [
            (7, 1500),
            (21, 1500),
            (36, 1600),
            (50, 1450, {"paid": 0.3}),
            (64, 900, {"excluded": True}),
            (3, 1400),
        ],
    },
    "demo_partner_hoffmann": {
        "segment": "standard",
        "history": {
            "first": 420,
            "last": 60,
            "every": 45,
            "net": 260,
            "term": 14,
            "late": (0, 6, 0, 0, 10),
        },
        "open": [(30, 260), (12, 310), (58, 280), (2, 240)],
    },
    "demo_partner_clarke": {
        "segment": "standard",
        "history": {
            "first": 270,
            "last": 60,
            "every": 30,
            "net": 180,
            "term": 14,
            "late": (0, 0, -2, 0),
        },
        "open": [(12, 180), (40, 240, {"left": 3.0}), (1, 190)],
    },
    "demo_partner_alpenblick": {
        "segment": "standard",
        "history": {
            "first": 700,
            "last": 60,
            "every": 60,
            "net": 2200,
            "term": 14,
            "late": (0, 12, 0, 8, 0),
        },
        "open": [(26, 2200), (40, 1800), (9, 2100)],
        "block": (
            21,
            "Complaint about the delivered furniture under review; no reminders "
            "until it is settled.",
        ),
    },
    # New customers: first invoice less than six months ago.
    "demo_partner_kraftwerk": {
        "segment": "new",
        "history": {
            "first": 110,
            "last": 80,
            "every": 30,
            "net": 2800,
            "term": 14,
            "late": (0, -2),
        },
        "open": [(19, 2800), (5, 2600)],
    },
    "demo_partner_oakridge": {
        "segment": "new",
        "history": {
            "first": 75,
            "last": 75,
            "every": 30,
            "net": 3000,
            "term": 30,
            "late": (0,),
        },
        "open": [(30, 2400, {"paid": 0.5}), (6, 1800)],
    },
    "demo_partner_schneider": {
        "segment": "new",
        "history": {
            "first": 40,
            "last": 40,
            "every": 30,
            "net": 300,
            "term": 14,
            "late": (-1,),
        },
        "open": [(12, 350)],
    },
    # At risk: habitually 40 days late and more.
    "demo_partner_krueger": {
        "segment": "at_risk",
        "history": {
            "first": 820,
            "last": 100,
            "every": 60,
            "net": 5000,
            "term": 30,
            "late": (45, 60, 38, 52, 70, 41, 48),
        },
        "open": [
            (200, 2500),
            (140, 2100, {"paid": 0.4}),
            (120, 1900),
            (95, 2600),
            (61, 2400),
            (33, 2500),
            (9, 2300),
            (1, 2200),
        ],
    },
    "demo_partner_quickfix": {
        "segment": "at_risk",
        "history": {
            "first": 480,
            "last": 90,
            "every": 40,
            "net": 900,
            "term": 30,
            "late": (40, 55, 35, 62, 44),
        },
        "open": [
            (170, 900),
            (110, 850),
            (75, 920, {"paid": 0.5}),
            (44, 880),
            (14, 950),
            (0, 700),
        ],
    },
    "demo_partner_becker": {
        "segment": "at_risk",
        "history": {
            "first": 600,
            "last": 120,
            "every": 75,
            "net": 300,
            "term": 14,
            "late": (42, 50, 65, 38),
        },
        "open": [(185, 300), (150, 260), (120, 280), (70, 310), (23, 290)],
    },
}
AMOUNT_FACTORS = (1.0, 0.85, 1.15, 0.95, 1.1, 0.9, 1.05)
# Past dunning runs, in days before day 0 (weekly, like a dunning clerk).
PAST_RUNS = tuple(range(91, 0, -7))


class AccountDunningDemo(models.AbstractModel):
    """Generates the demo customers' invoices, payments and past dunning runs."""

    _name = "account.dunning.demo"
    _description = "Dunning Demo Data Generator"

    @api.model
    def _create_demo_history(self, company=None):
        """Invoices, payments and weekly dunning runs of the demo customers,
        in date order, so that every letter sees the invoices as they were on
        its day; then today's scores and the demo blocks.

        Called by the demo data; does nothing while the company has no chart
        of accounts yet (the chart template hook calls it again) or when the
        history exists already.
        """
        company = company or self.env.ref("base.main_company")
        partners = self._demo_partners()
        if not partners:
            return False
        journal = self.env["account.journal"].search(
            [
                *self.env["account.journal"]._check_company_domain(company),
                ("type", "=", "sale"),
            ],
            limit=1,
        )
        if not company.chart_template or not journal:
            _logger.info("Dunning demo: no chart of accounts yet, history postponed.")
            return False
        partner_ids = [partner.id for partner in partners.values()]
        if self.env["account.move"].search_count(
            [("partner_id", "in", partner_ids), ("company_id", "=", company.id)],
            limit=1,
        ):
            return False
        demo = self.with_company(company).with_context(
            tracking_disable=True, mail_notrack=True, mail_create_nolog=True
        )
        demo._demo_generate(company, journal, partners)
        _logger.info("Dunning demo: history of %s customers created.", len(partners))
        return True

    @api.model
    def _demo_generate(self, company, journal, partners):
        """Replay the history period by period: the invoices and payments up
        to a past run's day, then that run."""
        today = fields.Date.context_today(self)
        run_days = sorted(today - timedelta(days=days) for days in PAST_RUNS)
        periods = defaultdict(lambda: {"invoices": [], "payments": []})
        for kind, day, item in self._demo_events(today):
            period_end = next((run for run in run_days if run >= day), today)
            periods[period_end][kind].append((day, item))
        invoices = {}
        for period_end in sorted(set(periods) | set(run_days)):
            period = periods[period_end]
            self._demo_post_invoices(
                company, journal, partners, period["invoices"], invoices
            )
            self._demo_refresh_statistics()
            self._demo_register_payments(company, period["payments"], invoices)
            if period_end in run_days:
                self._demo_past_run(company, period_end)
        self._demo_apply_options(today, invoices)
        self.env["account.dunning.profile"]._recompute_scores(company)
        self._demo_apply_blocks(company, today, partners)
        return invoices

    @api.model
    def _demo_refresh_statistics(self):
        """Let PostgreSQL plan with the rows just created.

        The history is built in one transaction on tables that were nearly
        empty; without fresh statistics the planner may pick nested loops for
        the payment-state queries of the reconciliation and take minutes.
        ANALYZE counts the rows this transaction inserted.
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "ANALYZE account_move, account_move_line, account_partial_reconcile, "
                "account_payment"
            )
        )

    @api.model
    def _demo_partners(self):
        """``{key: partner}`` of the demo customers (all of them or none)."""
        partners = {
            key: self.env.ref(
                f"account_relationship_dunning.{key}", raise_if_not_found=False
            )
            for key in DEMO_CUSTOMERS
        }
        return partners if all(partners.values()) else {}

    @api.model
    def _demo_events(self, today):
        """``(kind, date, item)`` for every invoice and payment of the demo
        customers; kind ``invoices`` with ``(ref, net, due date)`` and kind
        ``payments`` with ``(ref, options)`` (no options: paid in full)."""
        events = []
        for key, spec in DEMO_CUSTOMERS.items():
            history = spec["history"]
            age, number = history["first"], 0
            while age >= history["last"]:
                invoice_date = today - timedelta(days=age)
                due = invoice_date + timedelta(days=history["term"])
                late = history["late"][number % len(history["late"])]
                paid_on = min(due + timedelta(days=late), today - timedelta(days=1))
                ref = (key, "history", number)
                net = history["net"] * AMOUNT_FACTORS[number % len(AMOUNT_FACTORS)]
                events.append(("invoices", invoice_date, (ref, net, due)))
                events.append(("payments", max(paid_on, invoice_date), (ref, {})))
                number += 1
                age -= history["every"] if age <= 730 else max(history["every"], 180)
            for index, (overdue, net, *options) in enumerate(spec["open"]):
                options = options[0] if options else {}
                due = today - timedelta(days=overdue)
                invoice_date = due - timedelta(days=history["term"])
                ref = (key, "open", index)
                events.append(("invoices", invoice_date, (ref, net, due)))
                if options.get("paid") or options.get("left"):
                    events.append(("payments", due, (ref, options)))
        return events

    @api.model
    def _demo_post_invoices(self, company, journal, partners, todo, invoices):
        """Create and post the invoices of ``todo`` (``(date, (ref, net,
        due))``) in one batch; numbers follow the invoice dates."""
        if not todo:
            return
        tax = company.account_sale_tax_id
        vals_list = []
        for invoice_date, (ref, net, due) in todo:
            partner = partners[ref[0]]
            vals_list.append(
                {
                    "move_type": "out_invoice",
                    "company_id": company.id,
                    "journal_id": journal.id,
                    "partner_id": partner.id,
                    "invoice_date": invoice_date,
                    "invoice_date_due": due,
                    "invoice_payment_term_id": False,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": self._demo_line_label(partner, ref),
                                "quantity": 1,
                                "price_unit": company.currency_id.round(net),
                                "tax_ids": [Command.set(tax.ids)],
                            }
                        )
                    ],
                }
            )
        moves = self.env["account.move"].create(vals_list)
        moves.action_post()
        for (_date, (ref, *_values)), move in zip(todo, moves, strict=True):
            invoices[ref] = move

    @api.model
    def _demo_line_label(self, partner, ref):
        if partner.is_company:
            labels = (
                "Maintenance contract",
                "Spare parts",
                "Consulting services",
                "Installation and commissioning",
                "Service call",
            )
        else:
            labels = ("Repair service", "Annual inspection", "Spare parts")
        return labels[ref[2] % len(labels)]

    @api.model
    def _demo_register_payments(self, company, todo, invoices):
        """Customer payments for ``todo`` (``(date, (ref, options))``), each
        reconciled with its invoice, in one batch (what the register payment
        wizard does one date at a time)."""
        if not todo:
            return
        bank = self.env["account.journal"].search(
            [
                *self.env["account.journal"]._check_company_domain(company),
                ("type", "=", "bank"),
            ],
            limit=1,
        )
        vals_list, receivables = [], []
        for day, (ref, options) in todo:
            invoice = invoices[ref]
            receivable = invoice.line_ids.filtered(
                lambda line: line.account_type == "asset_receivable"
            )
            if options.get("left"):
                amount = invoice.amount_residual - options["left"]
            elif options.get("paid"):
                amount = invoice.amount_total * options["paid"]
            else:
                amount = invoice.amount_residual
            vals_list.append(
                {
                    "date": day,
                    "amount": invoice.currency_id.round(amount),
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": invoice.commercial_partner_id.id,
                    "journal_id": bank.id,
                    "company_id": company.id,
                    "currency_id": invoice.currency_id.id,
                    "memo": invoice.name,
                    "destination_account_id": receivable.account_id.id,
                    "invoice_ids": [Command.link(invoice.id)],
                }
            )
            receivables.append(receivable)
        payments = self.env["account.payment"].create(vals_list)
        payments.action_post()
        self.env["account.move.line"]._reconcile_plan(
            [
                receivable
                + payment.move_id.line_ids.filtered(
                    lambda line, account=receivable.account_id: (
                        line.account_id == account
                    )
                )
                for payment, receivable in zip(payments, receivables, strict=True)
            ]
        )

    @api.model
    def _demo_past_run(self, company, day):
        """A dunning run on a past day whose letters were sent (and whose
        calls were made) back then."""
        run = self.env["account.dunning.run"]._run_dunning(company, day)
        letters = run.letter_ids
        letters.filtered(lambda letter: letter.state == "to_approve").with_context(
            dunning_keep_letter_date=True
        ).action_approve()
        # Past letters are recorded as sent without producing documents or
        # e-mails again: write the state instead of action_mark_done() (sudo:
        # the state is protected against direct writes; this is demo history).
        letters.filtered(lambda letter: letter.state == "ready").sudo().write(
            {"state": "done"}
        )
        for activity in letters.activity_ids:
            activity.action_feedback(
                feedback=self.env._("Customer reached; payment promised.")
            )
        return run

    @api.model
    def _demo_apply_options(self, today, invoices):
        for key, spec in DEMO_CUSTOMERS.items():
            for index, (_overdue, _net, *options) in enumerate(spec["open"]):
                options = options[0] if options else {}
                invoice = invoices[(key, "open", index)]
                if options.get("excluded"):
                    invoice.dunning_excluded = True
                if options.get("block_days"):
                    invoice.write(
                        {
                            "dunning_blocked_until": today
                            + timedelta(days=options["block_days"]),
                            "dunning_block_reason": options["block_reason"],
                        }
                    )

    @api.model
    def _demo_apply_blocks(self, company, today, partners):
        for key, partner in partners.items():
            block = DEMO_CUSTOMERS[key].get("block")
            if not block:
                continue
            profile = self.env["account.dunning.profile"]._get_profiles(
                company, partner
            )
            profile.write(
                {
                    "block_until": today + timedelta(days=block[0]),
                    "block_reason": block[1],
                }
            )
