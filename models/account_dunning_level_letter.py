import re

from lxml import etree, html
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import is_html_empty

from odoo.addons.base.models.ir_qweb import QWebException

from .account_dunning_letter_text import LETTER_TEXT_EXPRESSIONS

NEXT_STEPS = [
    ("none", "Not mentioned"),
    ("next_level", "Next level of the policy"),
    ("court", "Court dunning procedure"),
    ("collection", "Collection agency"),
    ("lawyer", "Lawyer"),
]
# The letter text is a QWeb template rendered on the letter (``object``).
LETTER_TEXT_MODEL = "account.dunning.letter"
# Pre-step before QWeb: {one invoice|several invoices} takes the first
# variant when the letter lists one invoice, the second otherwise. (QWeb's
# t-if would do the same, but Odoo lets only Mail Template Editors save
# conditions; a dunning manager may use this choice and the placeholders.)
NUMBER_CHOICE = re.compile(r"\{([^{}|]*)\|([^{}|]*)\}")
# Placeholders of texts saved before the letter text was a QWeb template,
# read as the QWeb expression that replaced them.
LEGACY_PLACEHOLDERS = {
    "customer": "object.partner_id.name",
    "deadline": "object.payment_deadline_text",
    "total": "object.amount_total_due_text",
    "level": "object.level_id.name",
    "invoices": "object.invoice_names",
    "company": "object.company_id.name",
}
LEGACY_PLACEHOLDER = re.compile(r"\{(%s)\}" % "|".join(LEGACY_PLACEHOLDERS))
# Shipped level whose text a level without its own text uses, per tone.
DEFAULT_TEXT_LEVELS = {
    "friendly": "account_relationship_dunning.policy_standard_all_reminder",
    "neutral": "account_relationship_dunning.policy_standard_all_first",
    "firm": "account_relationship_dunning.policy_standard_all_second",
    "final": "account_relationship_dunning.policy_standard_all_final",
}


NEXT_STEPS_ABROAD = [
    ("none", "Not mentioned"),
    ("collection", "Collection agency"),
    ("lawyer", "Lawyer"),
]
# States whose debtors the German court dunning procedure serves (§ 688 (3)
# ZPO with the AVAG, central court Berlin-Wedding): Germany, the EU and the
# Lugano states Switzerland, Norway and Iceland.
COURT_DUNNING_COUNTRIES = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR",
        "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO",
        "SE", "SI", "SK", "CH", "NO", "IS",
    }
)  # fmt: skip


class AccountDunningLevel(models.Model):
    """Letter settings of a dunning level: the text, a QWeb template that
    Odoo's mail rendering renders on each letter (values escaped, checked
    when saved), and the next step it names."""

    _name = "account.dunning.level"
    _inherit = ["account.dunning.level", "mail.render.mixin"]
    # As for mail templates: a saved text is trusted (only Mail Template
    # Editors may save expressions beyond the placeholders), so every user
    # who sends a letter can render it.
    _unrestricted_rendering = True

    # (mail.render.mixin) a level is rendered in the language of each
    # letter: no column for a rendering language of its own.
    lang = fields.Char(store=False)
    letter_text = fields.Html(
        translate=True,
        sanitize="email_outgoing",
        render_engine="qweb",
        help="Main text of the letter and of the e-mail, translatable per "
        "language: a QWeb template rendered on the letter (object). "
        'Placeholders, each written <t t-out="..."/>: '
        "object.partner_id.name customer name, object.payment_deadline_text "
        "payment deadline, object.amount_total_due_text total amount due, "
        "object.level_id.name level name, object.invoice_names invoice "
        "numbers, object.company_id.name your company name. {the invoice|the "
        "invoices} takes the first variant when the letter lists one invoice "
        "and the second when it lists several. Leave empty to use the default "
        "text of the level's tone.",
    )
    letter_next_step = fields.Selection(
        NEXT_STEPS,
        string="Next Step Named in the Letter",
        default="none",
        required=True,
        help="The consequence the letter announces if the new deadline passes. "
        "Name only a step you really intend to take.",
    )
    letter_next_step_abroad = fields.Selection(
        NEXT_STEPS_ABROAD,
        string="Next Step Outside the Court Dunning Area",
        default="collection",
        required=True,
        help="Named instead of the court dunning procedure for debtors in "
        "states it does not serve (outside the EU, Switzerland, Norway and "
        "Iceland, e.g. the United Kingdom or the USA).",
    )
    preview_partner_id = fields.Many2one(
        "res.partner",
        string="Sample Customer",
        store=False,
        help="Customer whose open invoices fill the placeholders of the preview.",
    )
    letter_preview = fields.Html(
        string="Preview",
        compute="_compute_letter_preview",
        sanitize=False,
        help="Salutation and text as the sample customer would read them, in "
        "the customer's language.",
    )

    def _compute_render_model(self):
        self.render_model = LETTER_TEXT_MODEL

    @api.depends(
        "letter_text", "tone", "preview_partner_id", "payment_deadline_days", "name"
    )
    @api.depends_context("lang")
    def _compute_letter_preview(self):
        for level in self:
            level.letter_preview = level._get_letter_preview()

    @api.constrains("letter_text")
    def _check_letter_text(self):
        langs = [code for code, _name in self.env["res.lang"].get_installed()]
        for level in self:
            for lang in langs:
                level._check_letter_text_source(
                    level.with_context(lang=lang).letter_text, lang
                )

    def _update_field_translations(
        self, fname, translations, digest=None, source_lang=None
    ):
        # The translation dialog writes here, without the constraints.
        if fname == "letter_text":
            for lang, text in translations.items():
                if isinstance(text, str):
                    self._check_letter_text_source(text, lang)
        return super()._update_field_translations(
            fname, translations, digest=digest, source_lang=source_lang
        )

    def _has_unsafe_expression(self):
        # Only the letter text is a template on a level (the mixin would
        # read every field, the preview included).
        for level in self.sudo():
            try:
                if level._has_unsafe_expression_template_qweb(
                    level.letter_text, LETTER_TEXT_MODEL
                ):
                    return True
            except (QWebException, etree.LxmlError, ValueError):
                # a text that does not compile (saved by an older version)
                return True
        return False

    def _get_next_step_for(self, partner, company):
        """The step this level names for ``partner``: the court dunning
        procedure only where it is available for the debtor's country."""
        self.ensure_one()
        step = self.letter_next_step
        if step == "court":
            country = partner.commercial_partner_id.country_id or company.country_id
            if country and country.code not in COURT_DUNNING_COUNTRIES:
                return self.letter_next_step_abroad
        return step

    # ------------------------------------------------------------------
    # Letter text
    # ------------------------------------------------------------------
    def _get_letter_text(self):
        """The level's text in the current language, or the default text of
        its tone."""
        self.ensure_one()
        text = self.letter_text
        if is_html_empty(text):
            default = self.env.ref(
                DEFAULT_TEXT_LEVELS.get(self.tone, ""), raise_if_not_found=False
            )
            # sudo: the shipped default level may belong to another company;
            # only its text is read.
            text = default and default.sudo().letter_text
        return Markup() if is_html_empty(text) else Markup(text)

    @api.model
    def _prepare_letter_text_source(self, text, invoice_count):
        """The QWeb source of the letter text ``text`` for a letter listing
        ``invoice_count`` invoices: the {singular|plural} choices resolved,
        and the placeholders of texts saved before the text was a template
        ({total}, ...) read as the expressions that replaced them."""
        source = NUMBER_CHOICE.sub(
            lambda match: match.group(1 if invoice_count == 1 else 2), str(text)
        )
        return LEGACY_PLACEHOLDER.sub(
            lambda match: '<t t-out="%s"/>' % LEGACY_PLACEHOLDERS[match.group(1)],
            source,
        )

    def _render_letter_text(self, letters):
        """``{letter_id: Markup}``: the level's text in the current language
        rendered on each of ``letters`` by Odoo's mail rendering (QWeb, the
        values escaped). Raises a UserError naming the level when the text
        cannot be rendered."""
        self.ensure_one()
        text = self._get_letter_text()
        if is_html_empty(text):
            return dict.fromkeys(letters.ids, Markup())
        bodies = {}
        for single, group in letters.grouped(
            lambda letter: len(letter.line_ids) == 1
        ).items():
            source = self._prepare_letter_text_source(text, 1 if single else 2)
            bodies.update(self._render_letter_source(source, group))
        return bodies

    def _render_letter_source(self, source, letters):
        try:
            # (_ids: the sample letters of the preview and the check are new)
            bodies = self._render_template(
                source, LETTER_TEXT_MODEL, list(letters._ids), engine="qweb"
            )
        except (UserError, QWebException, etree.LxmlError, ValueError) as error:
            raise UserError(self._get_letter_text_error(error)) from error
        return {letter_id: Markup(body) for letter_id, body in bodies.items()}

    def _get_letter_text_error(self, error):
        """Why the text cannot be rendered, in one line: the error behind
        Odoo's rendering error (whose message holds the whole traceback)."""
        cause = error
        while cause.__cause__ is not None:
            cause = cause.__cause__
        detail = cause.args[0] if cause.args else str(cause)
        if cause is not error and not isinstance(cause, UserError):
            detail = "%s: %s" % (type(cause).__name__, detail)
        return self.env._(
            "Level %(level)s: the letter text cannot be rendered (%(error)s).",
            level=self.display_name,
            error=detail,
        )

    def _check_letter_text_source(self, text, lang):
        """Refuse the letter text ``text`` (in ``lang``) as Odoo refuses a
        mail template: an expression beyond the placeholders from a user
        outside the Mail Template Editors (before anything is evaluated),
        and a text that cannot be rendered for one and for several
        invoices."""
        self.ensure_one()
        if not text or is_html_empty(text):
            return
        level = self.with_context(lang=lang)
        try:
            unsafe = level._has_unsafe_expression_template_qweb(
                str(text), LETTER_TEXT_MODEL
            )
        except (QWebException, etree.LxmlError, ValueError) as error:
            raise ValidationError(level._get_letter_text_error(error)) from error
        if unsafe and not level._may_use_any_expression():
            raise ValidationError(
                self.env._(
                    "Level %(level)s: %(expressions)s in the letter text is no "
                    "placeholder (%(placeholders)s); other expressions need the "
                    "group %(group)s.",
                    level=level.display_name,
                    expressions=", ".join(level._get_other_expressions(text)),
                    placeholders=", ".join(LETTER_TEXT_EXPRESSIONS),
                    group=self.env.ref("mail.group_mail_template_editor").name,
                )
            )
        for count in (1, 2):
            sample = level._get_sample_letter(count=count)
            try:
                level._render_letter_source(
                    level._prepare_letter_text_source(text, count), sample
                )
            except UserError as error:
                raise ValidationError(str(error.args[0])) from error

    def _get_sample_letter(self, partner=None, invoices=None, count=1):
        """An unsaved letter of this level, dated today, for ``partner`` (or
        an example customer) listing ``invoices`` (or ``count`` example
        invoices): the preview and the check of the text render on it."""
        self.ensure_one()
        env = self.env
        company = self.company_id or env.company
        currency = self.currency_id or company.currency_id
        today = fields.Date.context_today(self)
        if invoices:
            lines = [
                {
                    "move_id": invoice.id,
                    "move_name": invoice.name,
                    "amount_residual": invoice.amount_residual_signed,
                }
                for invoice in invoices
            ]
        else:
            lines = [
                {
                    "move_name": env._("INV/2026/00042")
                    if number == 0
                    else ("INV/2026/%05d" % (42 + number)),
                    "amount_residual": 1234.5,
                }
                for number in range(count)
            ]
        if not partner:
            partner = env["res.partner"].new({"name": env._("Sample Customer Ltd")})
        return env["account.dunning.letter"].new(
            {
                "name": "/",
                "company_id": company.id,
                "partner_id": partner,
                "level_id": self,
                "currency_id": currency.id,
                "date": today,
                "payment_deadline": fields.Date.add(
                    today, days=self.payment_deadline_days
                ),
                "line_ids": [
                    Command.create(dict(line, currency_id=currency.id))
                    for line in lines
                ],
            }
        )

    def _get_letter_preview(self):
        """Salutation and text for the sample customer (or an example), as
        a letter of this level would show them today."""
        self.ensure_one()
        partner = self.preview_partner_id
        env = self.with_context(lang=partner.lang or self.env.lang).env
        level = self.with_env(env)
        company = self.company_id or env.company
        invoices = env["account.move"]
        if partner:
            invoices = env["account.move"].search(
                [
                    ("partner_id", "child_of", partner.commercial_partner_id.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("invoice_date_due", "<", fields.Date.context_today(self)),
                    ("company_id", "=", company.id),
                ],
                order="invoice_date_due, id",
                limit=20,
            )
        salutation = env["account.dunning.letter"]._get_salutation_for(partner)
        # The text being edited as it is; an unchanged text in the sample
        # customer's language.
        origin = self._origin
        text = self.letter_text
        if origin and text == origin.letter_text:
            text = origin.with_env(env)._get_letter_text()
        elif is_html_empty(text):
            text = level._get_letter_text()
        elif not self._may_render_letter_text(text):
            return Markup("<p>%s</p>") % env._(
                "No preview: %(expressions)s in the letter text is no "
                "placeholder; other expressions need the group %(group)s.",
                expressions=", ".join(self._get_other_expressions(text)),
                group=env.ref("mail.group_mail_template_editor").name,
            )
        sample = level._get_sample_letter(
            partner=partner, invoices=invoices, count=len(invoices) or 1
        )
        source = level._prepare_letter_text_source(text, len(sample.line_ids))
        try:
            body = level._render_letter_source(source, sample)[sample.id]
        except UserError as error:
            return Markup("<p>%s</p>") % error.args[0]
        return Markup("<p>%s</p>%s") % (salutation, body)

    def _may_use_any_expression(self):
        """Whether the current user may save and preview any QWeb in a letter
        text (Odoo's rule for mail templates), not only the placeholders."""
        return self.env.su or self.env.user.has_group("mail.group_mail_template_editor")

    def _may_render_letter_text(self, text):
        """Whether the current user may render ``text``, a text not saved
        yet: placeholders only, or the user may use any expression."""
        if self._may_use_any_expression():
            return True
        try:
            return not self._has_unsafe_expression_template_qweb(
                str(text), LETTER_TEXT_MODEL
            )
        except (QWebException, etree.LxmlError, ValueError):
            return True

    @api.model
    def _get_other_expressions(self, text):
        """The QWeb directives of ``text`` other than the placeholders, as
        written (``t-out="object.amount"``)."""
        allowed = self.env[LETTER_TEXT_MODEL].mail_allowed_qweb_expressions()
        found = []
        for node in html.fragment_fromstring(str(text), create_parent="div").iter():
            for name, value in node.attrib.items():
                if not name.startswith("t-"):
                    continue
                if name == "t-out" and value.strip() in allowed:
                    continue
                found.append('%s="%s"' % (name, value))
        return list(dict.fromkeys(found))
