"""What the dunning run creates from its decisions: the letters with their
lines and claims, the call activities, the next-step activities and the
decision rows (one INSERT per 10,000)."""

import logging
from collections import defaultdict
from datetime import timedelta

import psycopg2

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every

from . import dunning_sql

_logger = logging.getLogger(__name__)

# Letters whose claims are computed together (bounds the run's memory).
CLAIMS_CHUNK = 1000
# The claims of a letter line its letter's totals add up.
CLAIM_TOTAL_FIELDS = ("interest_amount", "compensation_amount")


class AccountDunningRun(models.Model):
    _inherit = "account.dunning.run"

    def _check_call_responsibles(self, letters_vals, context):
        """A phone call nobody can make is a visible warning on the run and
        on the decisions, never an activity for OdooBot."""
        warnings = []
        levels = self.env["account.dunning.level"]
        for vals, partner_decisions in letters_vals:
            level = levels.browse(vals["level_id"])
            if not level.action_call or vals["user_id"]:
                continue
            # the name, not display_name: that is computed for all customers
            # of the run at once (a third of a second per 5,000)
            partner = context["partners"][vals["partner_id"]]
            warning = self.env._(
                "No responsible for the phone call to %(customer)s: set a "
                "salesperson, the policy's dunning responsible or the company's "
                "dunning responsible.",
                customer=partner.name,
            )
            warnings.append(warning)
            for decision in partner_decisions:
                if decision["decision"] in ("letter", "call"):
                    decision["note"] = warning
        return warnings

    def _schedule_next_step_activities(self, decisions, context):
        """One activity per customer for the dunning manager proposing the
        legal handover, when invoices at the last level passed their deadline
        (not again while such an activity is open)."""
        partner_ids = sorted(
            {d["partner_id"] for d in decisions if d["decision"] == "next_step"}
        )
        if not partner_ids or self.env.context.get("mail_activity_automation_skip"):
            return
        activity_type = self.env.ref(
            "account_relationship_dunning.mail_activity_type_dunning_handover"
        )
        existing = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partner_ids),
                ("activity_type_id", "=", activity_type.id),
            ]
        )
        partner_ids = [
            pid for pid in partner_ids if pid not in existing.mapped("res_id")
        ]
        manager = self.company_id._get_dunning_manager_user()
        if not manager._is_dunning_assignable():
            manager = self.env["res.users"]
        invoices = defaultdict(list)
        for decision in decisions:
            if decision["decision"] == "next_step":
                invoices[decision["partner_id"]].append(
                    decision["invoice"]["move_name"]
                )
        model_id = self.env["ir.model"]._get_id("res.partner")
        self.env["mail.activity"].create(
            [
                {
                    "activity_type_id": activity_type.id,
                    "summary": self.env._(
                        "Legal step due for %(customer)s: propose the handover",
                        customer=context["partners"][partner_id].name,
                    ),
                    "note": self.env._(
                        "The deadline of the final notice passed for %(invoices)s. "
                        "Prepare the legal handover (court dunning, collection "
                        "agency or lawyer) or decide otherwise.",
                        invoices=", ".join(invoices[partner_id]),
                    ),
                    "automated": True,
                    "date_deadline": self.date,
                    "res_model_id": model_id,
                    "res_id": partner_id,
                    "user_id": manager.id or False,
                }
                for partner_id in partner_ids
            ]
        )

    def _prepare_letter_vals(
        self, partner, profile, segment, policy, level, listed, context=None
    ):
        company = self.company_id
        currencies = {d["invoice"]["currency_id"] for d in listed}
        currency_id = (
            currencies.pop() if len(currencies) == 1 else company.currency_id.id
        )
        in_invoice_currency = currency_id != company.currency_id.id or all(
            d["invoice"]["currency_id"] == currency_id for d in listed
        )
        channel, channel_note = self._choose_channel(partner, level)
        if level.approval_required:
            state = "to_approve"
        elif channel == "phone":
            state = "done"
        else:
            state = "ready"
        lines = []
        for decision in sorted(listed, key=lambda d: (d["invoice"]["date_due"],)):
            invoice = decision["invoice"]
            if in_invoice_currency:
                total, residual = invoice["amount_total"], invoice["amount_residual"]
            else:
                total = invoice["amount_total_company"]
                residual = invoice["amount_residual_company"]
            target = decision.get("target_level")
            notified = (
                not target
                and invoice["level_id"]
                and (context or {}).get("notified_letters", {}).get(invoice["move_id"])
            )
            lines.append(
                {
                    "move_id": invoice["move_id"],
                    "move_name": invoice["move_name"],
                    "invoice_date": invoice["invoice_date"],
                    "date_due": invoice["date_due"],
                    "currency_id": currency_id,
                    "amount_total": total,
                    "amount_paid": total - residual,
                    "amount_residual": residual,
                    "amount_residual_company": invoice["amount_residual_company"],
                    "days_overdue": invoice["days_overdue"],
                    "level_id": target.id if target else invoice["level_id"],
                    "escalated": bool(target),
                    "previous_level_id": invoice["level_id"],
                    "previous_last_date": invoice["last_date"],
                    "notified_letter_id": notified or False,
                }
            )
        # The responsible depends on the salesperson and the policy only: it
        # is looked up once per pair, not for every customer of the run.
        responsibles = (context or {}).get("responsibles", {})
        key = (partner.user_id.id, policy.id)
        if key not in responsibles:
            responsibles[key] = self._get_responsible(partner, policy).id
        return {
            "company_id": company.id,
            "partner_id": partner.id,
            "run_id": self.id,
            "policy_id": policy.id,
            "level_id": level.id,
            "segment_id": segment.id,
            "channel": channel,
            "channel_note": channel_note,
            "state": state,
            "date": self.date,
            "payment_deadline": self.date + timedelta(days=level.payment_deadline_days),
            "user_id": responsibles[key],
            "currency_id": currency_id,
            "line_ids": [fields.Command.create(vals) for vals in lines],
        }

    def _get_responsible(self, partner, policy):
        """Who calls the customer and is named as contact: the salesperson,
        else the policy's dunning responsible, else the company's; never
        OdooBot, an archived or a portal user (empty when none qualifies)."""
        for user in (
            partner.user_id,
            policy.responsible_user_id,
            self.company_id.dunning_responsible_user_id,
        ):
            if user and user._is_dunning_assignable():
                return user
        return self.env["res.users"]

    def _choose_channel(self, partner, level):
        channel = level._get_channel()
        if channel == "email" and not partner.email:
            if level.action_letter:
                return "post", self.env._("No e-mail address: sent by post.")
            return "post", self.env._(
                "No e-mail address: printed for post instead of e-mail."
            )
        return channel, False

    def _create_letters(self, letters_vals, context):
        """Create the letters in one batch; on failure, one customer at a time
        so that a broken record never blocks the others."""
        Letter = self.env["account.dunning.letter"]
        try:
            with self.env.cr.savepoint():
                letters, lines, pending = self._create_letters_bulk(
                    [vals for vals, _decisions in letters_vals]
                )
        except Exception:  # noqa: BLE001 - retried one by one just below
            letters = Letter
            for vals, decisions in letters_vals:
                try:
                    with self.env.cr.savepoint():
                        letters |= Letter._create_from_run([vals])
                except psycopg2.IntegrityError:
                    self._mark_failed(decisions, "concurrent", None)
                except Exception as error:  # noqa: BLE001
                    _logger.warning("Dunning letter failed: %s", error)
                    self._mark_failed(decisions, "error", str(error))
            pending = letters
            lines = letters.line_ids
        by_partner = {letter.partner_id.id: letter for letter in letters}
        for _vals, decisions in letters_vals:
            for decision in decisions:
                letter = by_partner.get(decision["partner_id"])
                if letter and decision["decision"] != "skip":
                    decision["letter_id"] = letter.id
        # Letters not created with their claims: the totals are computed
        # once, after their lines and claims are written, instead of after
        # each step (3 to 4 passes over all letters otherwise).
        if pending:
            totals = [Letter._fields[name] for name in Letter._get_total_fields()]
            with self.env.protecting(totals, pending):
                claims = self._compute_letter_claims(pending)
            pending._store_amounts(claims)
        # Phone calls are created done: their claims are final at once (those
        # inserted with their claims are frozen already, the others now).
        letters.fetch(["state", "claims_error", "claims_frozen"])
        calls = letters.filtered(
            lambda letter: letter.state == "done" and not letter.claims_error
        )
        calls.filtered("claims_frozen")._check_and_charge_claims()
        calls._freeze_claims()
        lines._apply_invoice_levels()
        self._update_profiles_last_date(letters)
        self._schedule_calls(letters)
        return letters

    def _create_letters_bulk(self, vals_list):
        """Create the letters with their lines, claims and totals, 1,000
        letters at a time, each row inserted once (bulk INSERTs): through
        create() the ORM took about half of a run over 50,000 invoices for
        ~48,000 lines and most of a run over 5,000 invoices for ~4,800
        letters, and updating the rows just inserted for their claims and
        totals checked all their foreign keys again. Returns the letters,
        their lines and the letters whose claims and totals the caller still
        has to compute."""
        Letter = self.env["account.dunning.letter"]
        if any(
            command[0] != fields.Command.CREATE
            for vals in vals_list
            for command in vals.get("line_ids", [])
        ):
            letters = Letter._create_from_run(vals_list)
            return letters, letters.line_ids, letters
        rows = Letter._prepare_from_run(
            [{k: v for k, v in vals.items() if k != "line_ids"} for vals in vals_list]
        )
        lines = [
            [command[2] for command in vals.get("line_ids", [])] for vals in vals_list
        ]
        letter_ids, line_ids, pending_ids = [], [], []
        for start in range(0, len(rows), CLAIMS_CHUNK):
            end = start + CLAIMS_CHUNK
            letters, new_lines, computed = self._insert_letters_with_claims(
                rows[start:end], lines[start:end]
            )
            letter_ids += letters.ids
            line_ids += new_lines.ids
            if not computed:
                pending_ids += letters.ids
        return (
            Letter.browse(letter_ids),
            self.env["account.dunning.letter.line"].browse(line_ids),
            Letter.browse(pending_ids),
        )

    def _insert_letters_with_claims(self, letter_rows, lines_rows):
        """Insert letters (``letter_rows``) and their lines (``lines_rows``,
        a list of line values per letter) with their interest, compensation,
        fees and totals, computed on the letters in memory first. Returns the
        letters, their lines and whether their claims could be computed: if
        not (e.g. a base rate is missing) they are inserted without, for the
        caller to compute letter by letter (``_compute_letter_claims``)."""
        Letter = self.env["account.dunning.letter"]
        Line = self.env["account.dunning.letter.line"]
        new_letters = dunning_sql.new_in_cache(Letter, letter_rows)
        line_rows = [
            dict(vals, letter_id=new_letter.id)
            for new_letter, vals_list in zip(new_letters, lines_rows, strict=True)
            for vals in vals_list
        ]
        new_lines = dunning_sql.new_in_cache(Line, line_rows)
        line_ids = Letter._fields["line_ids"]
        position = 0
        for new_letter, vals_list in zip(new_letters, lines_rows, strict=True):
            ids = new_lines._ids[position : position + len(vals_list)]
            self.env.cache.set(new_letter, line_ids, ids)
            position += len(vals_list)
        claimed_lines = {letter: letter._get_claimed_lines() for letter in new_letters}
        try:
            line_claims, letter_claims = new_letters._prepare_claims_values(
                claimed_lines
            )
            # the letters' totals add up their lines' claims (only the
            # amounts: copying the interest periods into the cache is slow)
            dunning_sql.cache_values(
                Line.browse([line.id for line in line_claims]),
                [
                    {name: vals[name] for name in CLAIM_TOTAL_FIELDS}
                    for vals in line_claims.values()
                ],
            )
            amounts = new_letters._get_amount_values(letter_claims, claimed_lines)
            computed = True
        except UserError:
            line_claims, letter_claims, amounts, computed = {}, {}, {}, False
        # Phone calls are created done: with their claims computed, these
        # are final at once (checked and charged by the caller; setting the
        # flag later updated the rows just inserted).
        letters = Letter._insert_from_run(
            [
                dict(
                    row,
                    **letter_claims.get(new, {}),
                    **amounts.get(new, {}),
                    claims_frozen=computed and row["state"] == "done",
                )
                for new, row in zip(new_letters, letter_rows, strict=True)
            ]
        )
        real_id = dict(zip(new_letters._ids, letters._ids, strict=True))
        totals = [Letter._fields[name] for name in Letter._get_total_fields()]
        for field in totals:
            self.env.remove_to_compute(field, letters)
        # the totals are known (or computed by the caller): not recomputed
        # because of the new lines
        with self.env.protecting(totals, letters):
            lines = Line._bulk_create(
                [
                    dict(
                        row,
                        letter_id=real_id[row["letter_id"]],
                        **line_claims.get(line, {}),
                    )
                    for line, row in zip(new_lines, line_rows, strict=True)
                ]
            )
        # Neither the records in memory nor the invoices and payments read
        # for them are needed by the next letters, which list other invoices:
        # kept, they made the run over 50,000 invoices hold ~80 MB more per
        # 1,000 letters.
        new_letters.invalidate_recordset()
        new_lines.invalidate_recordset()
        for model in ("account.move", "account.move.line", "account.partial.reconcile"):
            self.env[model].invalidate_model()
        return letters, lines, computed

    def _compute_letter_claims(self, letters):
        """Interest, flat compensation and fees of the new letters, computed
        set-based for 1,000 letters at a time (the letters of one run list
        different invoices, so the chunks are independent; what they read
        about earlier letters is not all held in memory at once). A letter
        whose interest cannot be computed (e.g. a base rate is missing) keeps
        no claims and records why: it cannot be sent before its claims are
        recomputed; the others go on."""
        claims = {}
        for chunk in split_every(CLAIMS_CHUNK, letters.ids, letters.browse):
            claims.update(self._compute_letter_claims_chunk(chunk))
        return claims

    def _compute_letter_claims_chunk(self, letters):
        """``{letter: vals}`` of the claims of ``letters`` not stored yet
        (the caller stores them with the totals); the claims of letters
        computed one by one after an error are stored already."""
        try:
            return letters._compute_claims(store_letters=False)
        except UserError:
            for letter in letters:
                try:
                    letter._compute_claims()
                except UserError as error:
                    letter.write({"claims_error": str(error)})
                    letter.message_post(
                        body=self.env._(
                            "Claims could not be computed: %(error)s",
                            error=str(error),
                        )
                    )
            return {}

    def _mark_failed(self, decisions, reason, note):
        for decision in decisions:
            if decision["decision"] != "skip":
                decision.update(
                    decision="skip", reason=reason, note=note, level_id=None
                )

    def _update_profiles_last_date(self, letters):
        if not letters:
            return
        profiles = self.env["account.dunning.profile"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("partner_id", "in", letters.partner_id.ids),
            ]
        )
        dunning_sql.sql_update(profiles, {"last_dunning_date": self.date})

    def _schedule_calls(self, letters):
        activity_type = self.env.ref(
            "account_relationship_dunning.mail_activity_type_dunning_call",
            raise_if_not_found=False,
        ) or self.env.ref("mail.mail_activity_data_call")
        if self.env.context.get("mail_activity_automation_skip"):
            return
        # One batch for all calls (what activity_schedule() does per record):
        # the activities and the subscriptions of their users are created
        # with a few queries instead of several per letter.
        model_id = self.env["ir.model"]._get_id("account.dunning.letter")
        self.env["mail.activity"].create(
            [
                {
                    "activity_type_id": activity_type.id,
                    "summary": self.env._(
                        "Call %(customer)s about overdue invoices (%(level)s)",
                        customer=letter.partner_id.name,
                        level=letter.level_id.name,
                    ),
                    "automated": True,
                    "note": activity_type.default_note,
                    "date_deadline": self.date,
                    "res_model_id": model_id,
                    "res_id": letter.id,
                    "user_id": letter.user_id.id,
                }
                for letter in letters.filtered(
                    lambda lt: lt.level_id.action_call and lt.user_id
                )
            ]
        )

    def _insert_decisions(self, decisions):
        """Store the per-invoice decisions with one INSERT per 10,000 rows,
        the values passed as one array per column (cheap to build, unlike a
        VALUES row per decision). The outcome the cockpit groups by ("dunned",
        "next_step" or the skip reason) is written by the same INSERT: a later
        UPDATE of the fresh rows took 23 s at 50,000 decisions (no statistics
        on them yet, see the README's performance section)."""
        if not decisions:
            return
        self.env.flush_all()
        for start in range(0, len(decisions), 10000):
            chunk = decisions[start : start + 10000]
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO account_dunning_run_line
                        (run_id, company_id, move_id, partner_id, segment_id,
                         level_id, letter_id, decision, reason, outcome, note,
                         days_overdue, amount_overdue)
                    SELECT %(run)s, %(company)s, v.move_id, v.partner_id,
                           v.segment_id, v.level_id, v.letter_id, v.decision,
                           v.reason,
                           CASE WHEN v.decision = 'next_step' THEN 'next_step'
                                ELSE COALESCE(v.reason, 'dunned') END,
                           v.note, v.days_overdue, v.amount_overdue
                      FROM unnest(%(move)s::int[], %(partner)s::int[],
                                  %(segment)s::int[], %(level)s::int[],
                                  %(letter)s::int[], %(decision)s::varchar[],
                                  %(reason)s::varchar[], %(note)s::varchar[],
                                  %(days)s::int[], %(amount)s::numeric[])
                           AS v(move_id, partner_id, segment_id, level_id,
                                letter_id, decision, reason, note, days_overdue,
                                amount_overdue)
                    """,
                    run=self.id,
                    company=self.company_id.id,
                    move=[d["move_id"] for d in chunk],
                    partner=[d["partner_id"] for d in chunk],
                    segment=[d["segment_id"] for d in chunk],
                    level=[d["level_id"] for d in chunk],
                    letter=[d.get("letter_id") for d in chunk],
                    decision=[d["decision"] for d in chunk],
                    reason=[d["reason"] for d in chunk],
                    note=[d["note"] for d in chunk],
                    days=[d["days_overdue"] for d in chunk],
                    amount=[d["amount_overdue"] for d in chunk],
                )
            )
        self.env["account.dunning.run.line"].invalidate_model()
        self.invalidate_recordset(["line_ids"])
