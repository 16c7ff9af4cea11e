import secrets
from datetime import timedelta

from odoo import api, fields, models

# Letters a customer can type from paper: no 0/O, 1/I/L, U.
SHORT_TOKEN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
SHORT_TOKEN_LENGTH = 10
# How long the link printed in a letter opens the customer's page.
PORTAL_LINK_DAYS = 365


class AccountDunningLetter(models.Model):
    """The portal link of a letter: ``portal.mixin``'s access token, made
    short enough to type from the printed letter (``/d/<token>``)."""

    _name = "account.dunning.letter"
    _inherit = ["account.dunning.letter", "portal.mixin"]

    access_token = fields.Char(index="btree_not_null")

    @api.depends("access_token")
    def _compute_access_url(self):
        for letter in self:
            letter.access_url = (
                f"/d/{letter.access_token}" if letter.access_token else "#"
            )

    @api.model
    def _normalize_portal_token(self, token):
        """What a customer typed, as stored: upper case, no spaces or dashes."""
        return "".join((token or "").split()).replace("-", "").upper()

    def _portal_ensure_token(self):
        """A short random token (10 of 30 letters and digits, about 49 bits);
        guessing is slowed down by the portal's rate limit on invalid links."""
        self.ensure_one()
        if not self.access_token:
            while True:
                token = "".join(
                    secrets.choice(SHORT_TOKEN_ALPHABET)
                    for _i in range(SHORT_TOKEN_LENGTH)
                )
                # sudo: the token must be unique over all companies' letters,
                # whatever the current user may read.
                if not self.sudo().search_count([("access_token", "=", token)]):
                    break
            # sudo: the token is not part of what was sent; the letter itself
            # may already be locked for the current user.
            self.sudo().write({"access_token": token})
        return self.access_token

    def _get_portal_short_url(self):
        """The customer's dunning page as printed in the letter and e-mail."""
        self.ensure_one()
        if self.channel == "phone":
            return ""
        return f"{self.get_base_url()}/d/{self._portal_ensure_token()}"

    def _get_portal_link_expiry(self):
        self.ensure_one()
        return (self.date or fields.Date.context_today(self)) + timedelta(
            days=PORTAL_LINK_DAYS
        )

    def _is_portal_link_valid(self, today=None):
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        return self.state != "cancel" and today <= self._get_portal_link_expiry()

    @api.model
    def _find_by_portal_token(self, token):
        """The letter of ``token`` (any state), in superuser mode, or an empty
        recordset. The caller must check ``_is_portal_link_valid``."""
        token = self._normalize_portal_token(token)
        if len(token) != SHORT_TOKEN_LENGTH or any(
            char not in SHORT_TOKEN_ALPHABET for char in token
        ):
            return self.browse()
        # sudo: the token holder is anonymous; the token itself is the
        # authorisation, and the caller limits everything to its customer.
        return self.sudo().search([("access_token", "=", token)], limit=1)
