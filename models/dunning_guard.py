"""Server-side rules shared by the dunning models.

RPC clients can call ``write``/``create``/``unlink`` with any values and any
context, so the rules below never trust a context key. Fields that the
dunning engine or an action method computes are *protected*: outside
superuser mode they cannot be written directly. The action methods check
the user's group and the record's state, then write with ``sudo()``.
"""

from odoo.exceptions import AccessError

DUNNING_USER_GROUP = "account_relationship_dunning.group_dunning_user"
DUNNING_MANAGER_GROUP = "account_relationship_dunning.group_dunning_manager"


def field_labels(records, names):
    """The labels of the fields ``names`` of ``records``' model, sorted."""
    fields = records._fields
    return ", ".join(
        sorted(fields[name]._description_string(records.env) for name in names)
    )


def check_protected_fields(records, vals, protected):
    """Refuse, outside superuser mode, a write of the fields ``protected``."""
    if records.env.su:
        return
    touched = protected.intersection(vals)
    if touched:
        raise AccessError(
            records.env._(
                "%(model)s: these fields are set by the dunning process and can "
                "only change through its actions: %(fields)s.",
                model=records._description,
                fields=field_labels(records, touched),
            )
        )


def check_group(env, group, message=None):
    """Refuse, outside superuser mode, users without ``group``."""
    if env.su or env.user.has_group(group):
        return
    raise AccessError(message or env._("This action is reserved to dunning users."))


def check_company_allowed(env, companies):
    """Refuse, outside superuser mode, companies the user may not work in.
    The message names no record of the other company."""
    if env.su:
        return
    if companies - env.user.company_ids:
        raise AccessError(
            env._("You are not allowed to work in this company's dunning.")
        )
