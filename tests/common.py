from contextlib import contextmanager
from datetime import date, timedelta

from odoo import Command, fields, http
from odoo.tests import Form, HttpCase, new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class DunningTestCommon(AccountTestInvoicingCommon):
    """Real invoices, payments and the shipped default policies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if issubclass(cls, HttpCase):
            # The first static file request reads every module's manifest;
            # the browser's parallel requests doing it at once can hit a
            # race of Python 3.11's compile() ("AST constructor recursion
            # depth mismatch"): read them before the browser starts.
            assert http.root.statics.get("account_relationship_dunning")
        cls.env.user.groups_id |= cls.env.ref(
            "account_relationship_dunning.group_dunning_manager"
        )
        cls.company = cls.company_data["company"]
        cls.env["account.dunning.policy"]._create_default_policies(cls.company)
        cls.Run = cls.env["account.dunning.run"]
        cls.Profile = cls.env["account.dunning.profile"]
        cls.segment = {
            code: cls.env.ref(f"account_relationship_dunning.segment_{code}")
            for code in ("strategic", "established", "standard", "new", "at_risk")
        }
        cls.salesperson = cls.env["res.users"].create(
            {
                "name": "Sally Sales",
                "login": "sally_dunning",
                "email": "sally@example.com",
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
                "groups_id": [
                    Command.set([cls.env.ref("account.group_account_invoice").id])
                ],
            }
        )

    @classmethod
    def _create_customer(cls, name, **vals):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "email": f"{name.lower().replace(' ', '.')}@example.com",
                "street": "Hauptstraße 1",
                "zip": "10115",
                "city": "Berlin",
                "country_id": cls.env.ref("base.de").id,
                **vals,
            }
        )

    @classmethod
    def _invoice(cls, partner, amount, invoice_date, due_date=None, post=True):
        """A posted customer invoice of ``amount`` (no tax) due on ``due_date``."""
        move = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": invoice_date,
                "invoice_date_due": due_date or invoice_date,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Consulting",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        if post:
            move.action_post()
        return move

    @classmethod
    def _pay(cls, invoice, amount, payment_date):
        return (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": amount, "payment_date": payment_date})
            ._create_payments()
        )

    @classmethod
    def _set_segment(cls, partner, code):
        profile = cls.Profile._get_profiles(cls.company, partner)
        profile._set_override(cls.segment[code], "Test setup")
        return profile

    @classmethod
    def _level(cls, segment_code, name, customer_type="all"):
        """A level of the test company's shipped policy for a segment."""
        return cls.env["account.dunning.level"].search(
            [
                ("policy_id.company_id", "=", cls.company.id),
                ("policy_id.segment_id", "=", cls.segment[segment_code].id),
                ("policy_id.customer_type", "=", customer_type),
                ("name", "=", name),
            ]
        )

    def _run(self, on_date, simulation=False):
        if isinstance(on_date, str):
            on_date = fields.Date.to_date(on_date)
        return self.Run._run_dunning(self.company, on_date, simulation=simulation)

    @staticmethod
    def _date(value):
        return date.fromisoformat(value)

    def _dunning_user(self, login="dunning_user", manager=False):
        group = "group_dunning_manager" if manager else "group_dunning_user"
        return new_test_user(
            self.env,
            login=login,
            groups=f"account_relationship_dunning.{group},base.group_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )

    # ------------------------------------------------------------------
    # Disputes, legal handover, limitation (appended)
    # ------------------------------------------------------------------
    @classmethod
    def _use_euro(cls):
        """Book in EUR, like a German company (court dunning needs EUR)."""
        euro = cls.env.ref("base.EUR")
        euro.active = True
        if cls.company.currency_id != euro:
            cls.company.currency_id = euro
        return euro

    @classmethod
    def _setup_german_company(cls, **vals):
        """The test company as a German creditor: EUR, an address in Germany
        (Berlin unless ``vals`` say otherwise) and the other ``vals``."""
        cls._use_euro()
        cls.company.write(
            {
                "street": "Friedrichstraße 10",
                "zip": "10117",
                "city": "Berlin",
                "country_id": cls.env.ref("base.de").id,
                **vals,
            }
        )

    @classmethod
    def _setup_company_bank(cls, **vals):
        """The test company's bank account (an IBAN at a bank with a BIC)."""
        bank = cls.env["res.bank"].create({"name": "Commerzbank", "bic": "COBADEFFXXX"})
        return cls.env["res.partner.bank"].create(
            {
                "acc_number": "DE89370400440532013000",
                "partner_id": cls.company.partner_id.id,
                "bank_id": bank.id,
                **vals,
            }
        )

    @classmethod
    def _load_german(cls):
        """German installed with the addon's translations."""
        cls.env["res.lang"]._activate_lang("de_DE")
        cls.env["ir.module.module"]._load_module_terms(
            ["account_relationship_dunning"], ["de_DE"], overwrite=True
        )

    @classmethod
    def _setup_german_texts(cls):
        """German installed with the addon's translations, and the company's
        policies copied again with them (a company gets the translations of
        the languages loaded when its policies are copied)."""
        cls._load_german()
        Policy = cls.env["account.dunning.policy"]
        Policy.search([("company_id", "=", cls.company.id)]).unlink()
        Policy._create_default_policies(cls.company)

    @classmethod
    def _dispute(cls, partner, invoices, amounts=None, **vals):
        """A dispute on ``invoices``: whole open amounts, or ``amounts``."""
        lines = [
            Command.create(
                {"move_id": invoice.id}
                | ({"amount_disputed": amounts[index]} if amounts else {})
            )
            for index, invoice in enumerate(invoices)
        ]
        return cls.env["account.dunning.dispute"].create(
            {
                "partner_id": partner.id,
                "company_id": cls.company.id,
                "reason": "quality",
                "line_ids": lines,
                **vals,
            }
        )

    @classmethod
    def _final_level(cls, partner):
        profile = cls.Profile._get_profiles(cls.company, partner)
        Policy = cls.env["account.dunning.policy"]
        policy = Policy._pick_policy(
            Policy._get_policy_map(cls.company),
            profile.segment_id,
            partner._is_dunning_consumer(),
        )
        return policy._get_sorted_levels()[-1]

    @classmethod
    def _send_final_letter(
        cls, partner, invoices, letter_date, fee=0.0, compensation=0.0, per_letter=0.0
    ):
        """A sent final notice about ``invoices`` (as the dunning run and the
        letter workflow would leave it): ``compensation`` per invoice,
        ``per_letter`` once, ``fee`` for the letter."""
        level = cls._final_level(partner)
        # sudo: sent letters and invoice levels are engine output, which
        # users cannot write directly; this stands for the run and sending.
        Letter = cls.env["account.dunning.letter"].sudo()
        letter = Letter.create(
            {
                "company_id": cls.company.id,
                "partner_id": partner.id,
                "policy_id": level.policy_id.id,
                "level_id": level.id,
                "channel": "post",
                "state": "done",
                "date": letter_date,
                "currency_id": invoices.currency_id.id,
                "fee_amount": fee,
                "letter_compensation_amount": per_letter,
                "line_ids": [
                    Command.create(
                        {
                            "move_id": invoice.id,
                            "move_name": invoice.name,
                            "invoice_date": invoice.invoice_date,
                            "date_due": invoice.invoice_date_due,
                            "currency_id": invoice.currency_id.id,
                            "amount_total": invoice.amount_total,
                            "amount_paid": invoice.amount_total
                            - invoice.amount_residual,
                            "amount_residual": invoice.amount_residual,
                            "compensation_amount": compensation,
                            "level_id": level.id,
                            "escalated": True,
                        }
                    )
                    for invoice in invoices
                ],
            }
        )
        invoices.sudo().write(
            {"dunning_level_id": level.id, "dunning_last_date": letter_date}
        )
        return letter.sudo(False)

    def _decision(self, run, invoice):
        return run.line_ids.filtered(lambda line: line.move_id == invoice)

    @contextmanager
    def assertRaisesRolledBack(self, exception, regex):
        """``assertRaisesRegex`` that, like ``assertRaises``, rolls the failed
        operation back, so that the test can check that nothing changed."""
        with self.assertRaises(exception) as context:
            yield context
        self.assertRegex(str(context.exception), regex)

    # ------------------------------------------------------------------
    # Wizards as the user fills them (the form view, its onchanges and
    # its visibility rules), then their button
    # ------------------------------------------------------------------
    def _plan_wizard_form(self, moves=None, letter=None, user=None, from_list=False):
        """The "Offer Payment Plan" form opened the way the user opens it:
        from a letter, on invoices selected in the list (the action binding),
        or with the invoices given by the caller (a button's context)."""
        Wizard = self.env["account.dunning.payment.plan.wizard"]
        if user:
            Wizard = Wizard.with_user(user)
        if letter:
            context = {"default_letter_id": letter.id}
        elif from_list:
            context = {"active_model": "account.move", "active_ids": moves.ids}
        else:
            context = {"default_move_ids": moves.ids}
        return Form(Wizard.with_context(**context))

    @staticmethod
    def _fill(form, values):
        """Type ``values`` into ``form`` in the order a user would: the mode
        that shows or hides fields first."""
        for name in sorted(
            values, key=lambda name: name not in ("schedule_mode", "include_charges")
        ):
            setattr(form, name, values[name])
        return form

    def _offer_plan(
        self,
        moves=None,
        first_due_date=None,
        letter=None,
        user=None,
        from_list=False,
        **values,
    ):
        """A payment plan offered through the wizard's form; the plan."""
        form = self._plan_wizard_form(
            moves, letter=letter, user=user, from_list=from_list
        )
        if first_due_date:
            values["first_due_date"] = first_due_date
        wizard = self._fill(form, values).save()
        action = wizard.action_create_plan()
        return self.env["account.dunning.payment.plan"].browse(action["res_id"])


class DunningPortalCommon(DunningTestCommon):
    """The portal fixture shared by the portal's service, HTTP and browser
    tests: a customer with three overdue invoices (and a paid one), a sent
    final notice (with its archived document and portal link), a contact and
    a portal user of the customer, and a second customer with a letter."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_german_company()
        cls.today = fields.Date.context_today(cls.env.user)
        cls.bank = cls._setup_company_bank(allow_out_payment=True)
        cls.dunning_manager = new_test_user(
            cls.env,
            login="portal_dunning_manager",
            groups="account_relationship_dunning.group_dunning_manager,base.group_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.customer = cls._create_customer("Portal Kunde GmbH")
        cls._set_segment(cls.customer, "standard")
        cls.policy = cls._policy_of(cls.customer)
        cls.policy.write(
            {
                "responsible_user_id": cls.dunning_manager.id,
                "portal_plan_allowed": True,
                "portal_plan_max_installments": 6,
                "portal_plan_min_installment": 100.0,
                "portal_promise_max_days": 30,
            }
        )
        # An old invoice: its limitation (end of the third year after the
        # due date) moves when a plan acknowledges the debt.
        cls.inv_old = cls._invoice(
            cls.customer,
            1200.0,
            cls.today - timedelta(days=830),
            cls.today - timedelta(days=800),
        )
        cls.inv_mid = cls._invoice(
            cls.customer,
            600.0,
            cls.today - timedelta(days=40),
            cls.today - timedelta(days=10),
        )
        cls.inv_new = cls._invoice(
            cls.customer,
            300.0,
            cls.today - timedelta(days=35),
            cls.today - timedelta(days=5),
        )
        cls.inv_paid = cls._invoice(
            cls.customer,
            200.0,
            cls.today - timedelta(days=60),
            cls.today - timedelta(days=30),
        )
        cls._pay(cls.inv_paid, 200.0, cls.today - timedelta(days=20))
        cls.letter = cls._send_final_letter(
            cls.customer, cls.inv_old | cls.inv_mid, cls.today - timedelta(days=3)
        )
        # sudo: stands for the sending, which archives the document.
        cls.letter.sudo()._archive_documents()
        cls.token = cls.letter._portal_ensure_token()
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Petra Portal",
                "parent_id": cls.customer.id,
                "email": "petra@example.com",
            }
        )
        cls.portal_user = new_test_user(
            cls.env,
            login="portal_kunde",
            password="portal_kunde",
            groups="base.group_portal",
        )
        cls.portal_user.partner_id.parent_id = cls.customer
        cls.other = cls._create_customer("Fremdkunde AG")
        cls._set_segment(cls.other, "standard")
        cls.other_invoice = cls._invoice(
            cls.other,
            900.0,
            cls.today - timedelta(days=40),
            cls.today - timedelta(days=10),
        )
        cls.other_letter = cls._send_final_letter(
            cls.other, cls.other_invoice, cls.today - timedelta(days=2)
        )
        cls.other_letter.sudo()._archive_documents()
        cls.Portal = cls.env["account.dunning.portal"]

    @classmethod
    def _policy_of(cls, partner):
        Policy = cls.env["account.dunning.policy"]
        profile = cls.Profile._get_profiles(cls.company, partner)
        return Policy._pick_policy(
            Policy._get_policy_map(cls.company),
            profile.segment_id,
            partner._is_dunning_consumer(),
        )

    def _counts(self, partner=None):
        """Records a refused portal request must not have created."""
        partner = partner or self.customer
        domain = [("partner_id", "=", partner.id)]
        return {
            "plans": self.env["account.dunning.payment.plan"].search_count(domain),
            "disputes": self.env["account.dunning.dispute"].search_count(domain),
            "promises": self.env["account.dunning.promise"].search_count(domain),
        }

    def _blocked(self, model, moves):
        return set(
            self.env[model]._get_dunning_blocks(self.company, moves.ids, self.today)
        )
