from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import UserError
from odoo.http import content_disposition, request

from odoo.addons.portal.controllers.portal import CustomerPortal


class DunningScopeError(Exception):
    """The link or the user gives no access; ``args``: (message, status)."""


class DunningPortal(CustomerPortal):
    """The customer's dunning page: ``/my/dunning`` for portal users and
    ``/d/<token>`` for whoever holds the link printed in a letter.

    Access is decided in one place (``_dunning_scope``): the customer's
    commercial partner and, for a token, the letter's company. Everything
    else is delegated to ``account.dunning.portal``, which checks that scope
    before it reads or writes anything.
    """

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "dunning_count" in counters:
            partner = request.env.user.partner_id
            values["dunning_count"] = request.env[
                "account.dunning.portal"
            ]._count_open_items(partner)
        return values

    # ------------------------------------------------------------------
    # Scope
    # ------------------------------------------------------------------
    def _dunning_service(self):
        return request.env["account.dunning.portal"].with_context(
            dunning_portal_remote_addr=request.httprequest.remote_addr
        )

    def _dunning_scope(self, token=None):
        """``{partner, companies, contact, prefix, letter}`` of the request,
        or ``DunningScopeError``."""
        Portal = self._dunning_service()
        if token:
            try:
                Portal._check_token_rate(request.httprequest.remote_addr)
            except UserError as error:
                raise DunningScopeError(str(error), 429) from error
            letter = request.env["account.dunning.letter"]._find_by_portal_token(token)
            if not letter:
                Portal._log_event("bad_token", note=token[:40])
                raise DunningScopeError(
                    request.env._(
                        "This link is not valid. Please check the address printed "
                        "in our letter, or contact us."
                    ),
                    404,
                )
            if not letter._is_portal_link_valid():
                raise DunningScopeError(
                    request.env._(
                        "This link has expired. Please use the link of our latest "
                        "letter, or contact us."
                    ),
                    403,
                )
            partner = letter.partner_id
            lang = partner.lang or letter.company_id.partner_id.lang
            if lang and request.env["res.lang"]._get_data(code=lang):
                request.update_context(lang=lang)
            return {
                "partner": partner.commercial_partner_id,
                "companies": letter.company_id,
                "contact": partner,
                "prefix": f"/d/{letter.access_token}",
                "letter": letter,
            }
        if request.env.user._is_public():
            raise DunningScopeError("login", 401)
        partner = request.env.user.partner_id
        return {
            "partner": partner.commercial_partner_id,
            "companies": request.env["res.company"],
            "contact": partner,
            "prefix": "/my/dunning",
            "letter": None,
        }

    def _dunning_refused(self, error):
        message, status = error.args
        if status == 401:
            return request.redirect(
                "/web/login?redirect=%s" % request.httprequest.full_path
            )
        return request.render(
            "account_relationship_dunning.portal_dunning_refused",
            {"message": message, "no_breadcrumbs": True},
            status=status,
        )

    def _dunning_values(self, scope, **values):
        Portal = self._dunning_service()
        overview = Portal._get_overview(scope["partner"], scope["companies"])
        moves = overview["moves"]
        company = scope["companies"][:1] or moves.company_id[:1]
        return {
            **overview,
            **scope,
            "company": company,
            "plan_limits": Portal._get_plan_limits(scope["partner"], company)
            if company
            else {},
            "promise_max_date": Portal._get_promise_max_date(scope["partner"], company)
            if company
            else False,
            "page_name": "dunning",
            "no_breadcrumbs": bool(scope["letter"]),
            "payment_options": Portal._get_payment_options(moves),
            **values,
        }

    def _dunning_post(self, scope, action, template, values):
        """Run ``action(Portal)`` in a savepoint; on a refusal nothing is
        kept and the form shows the message."""
        Portal = self._dunning_service()
        try:
            if not request.validate_csrf(values.pop("csrf_token", None)):
                raise UserError(
                    request.env._(
                        "This form has expired or was not sent from our page. "
                        "Please reload the page and try again."
                    )
                )
            Portal._check_post_rate(scope["partner"])
            with request.env.cr.savepoint():
                done = action(Portal)
        except UserError as error:
            message = error.args[0] if error.args else str(error)
            Portal._log_event(
                "refused",
                scope["partner"],
                scope["companies"][:1] or None,
                note=message,
            )
            return request.render(
                template,
                self._dunning_values(scope, error=message, form=values),
                status=400,
            )
        return request.redirect(f"{scope['prefix']}?done={done}")

    def _dunning_form(self, token, template, post, action, form=None):
        """One request form (plan, dispute, promise) for a token holder or a
        portal user: GET shows it, POST runs ``action(Portal, scope)``
        through ``_dunning_post``."""
        try:
            scope = self._dunning_scope(token)
        except DunningScopeError as error:
            return self._dunning_refused(error)
        if request.httprequest.method != "POST":
            return request.render(
                template, self._dunning_values(scope, form=form or {})
            )
        return self._dunning_post(
            scope, lambda Portal: action(Portal, scope), template, post
        )

    # ------------------------------------------------------------------
    # Pages
    # ------------------------------------------------------------------
    @http.route(
        ["/my/dunning", "/d/<string:token>"],
        type="http",
        auth="public",
        website=True,
        sitemap=False,
    )
    def portal_dunning(self, token=None, done=None, **kw):
        try:
            scope = self._dunning_scope(token)
        except DunningScopeError as error:
            return self._dunning_refused(error)
        return request.render(
            "account_relationship_dunning.portal_my_dunning",
            self._dunning_values(scope, done=done),
        )

    @http.route(
        [
            "/my/dunning/letter/<int:letter_id>/pdf",
            "/d/<string:token>/letter/<int:letter_id>/pdf",
        ],
        type="http",
        auth="public",
        website=True,
        sitemap=False,
    )
    def portal_dunning_letter_pdf(self, letter_id, token=None, **kw):
        try:
            scope = self._dunning_scope(token)
            letter, content = self._dunning_service()._get_letter_pdf(
                scope["partner"], scope["companies"], letter_id
            )
        except DunningScopeError as error:
            return self._dunning_refused(error)
        except UserError as error:
            raise NotFound() from error
        return request.make_response(
            content,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Length", len(content)),
                ("Content-Disposition", content_disposition(f"{letter.name}.pdf")),
            ],
        )

    @http.route(
        ["/my/dunning/plan", "/d/<string:token>/plan"],
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
        sitemap=False,
        # checked in _dunning_post, to answer with a clear message
        csrf=False,
    )
    def portal_dunning_plan(self, token=None, **post):
        move_ids = request.httprequest.form.getlist("move_ids")

        def action(Portal, scope):
            plan = Portal._propose_plan(
                scope["partner"],
                scope["companies"],
                move_ids,
                post.get("installments"),
                scope["contact"],
            )
            return "plan_review" if plan.portal_review else "plan_active"

        return self._dunning_form(
            token, "account_relationship_dunning.portal_dunning_plan", post, action
        )

    @http.route(
        ["/my/dunning/dispute", "/d/<string:token>/dispute"],
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
        sitemap=False,
        # checked in _dunning_post, to answer with a clear message
        csrf=False,
    )
    def portal_dunning_dispute(self, token=None, **post):
        upload = request.httprequest.files.get("attachment")

        def action(Portal, scope):
            Portal._raise_dispute(
                scope["partner"],
                scope["companies"],
                post.get("move_id"),
                post.get("reason"),
                post.get("amount"),
                post.get("message"),
                scope["contact"],
                attachment=Portal._attachment_from_upload(upload),
            )
            return "dispute"

        return self._dunning_form(
            token,
            "account_relationship_dunning.portal_dunning_dispute",
            post,
            action,
            form={"move_id": post.get("invoice")},
        )

    @http.route(
        ["/my/dunning/promise", "/d/<string:token>/promise"],
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
        sitemap=False,
        # checked in _dunning_post, to answer with a clear message
        csrf=False,
    )
    def portal_dunning_promise(self, token=None, **post):
        move_ids = request.httprequest.form.getlist("move_ids")

        def action(Portal, scope):
            Portal._promise(
                scope["partner"],
                scope["companies"],
                move_ids,
                post.get("date_promised"),
                post.get("amount"),
                scope["contact"],
            )
            return "promise"

        return self._dunning_form(
            token, "account_relationship_dunning.portal_dunning_promise", post, action
        )
