import logging

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

_logger = logging.getLogger(__name__)

ADDON = "account_relationship_dunning"

# Business records, in an order in which each deletion only meets references
# that are cascaded or set to null: the records that still refer to the
# shipped segments, policies and levels (with ondelete="restrict") go first,
# so that Odoo can then delete the shipped records without failing queries.
BUSINESS_MODELS = [
    "account.dunning.handover",
    "account.dunning.dispute",
    "account.dunning.payment.plan",
    "account.dunning.suspension",
    "account.dunning.letter",
    "account.dunning.run",
    "account.dunning.profile",
    "account.dunning.policy",
    "account.dunning.segment",
    "account.dunning.claim.type",
    "account.dunning.base.rate",
]


def uninstall_hook(env):
    """Delete the dunning records users and runs created, and the activities
    of the shipped activity types, before Odoo removes the addon's own data,
    tables and columns. The records Odoo ships with the addon (segments,
    policies of the main company, claim types, base rates) are left to Odoo.
    """
    # the ondelete checks of the models (sent letters, active plans...) are
    # for users, not for the removal of the addon
    env = env(
        context={**env.context, MODULE_UNINSTALL_FLAG: True, "active_test": False}
    )
    shipped = env["ir.model.data"].search_fetch(
        [("module", "=", ADDON)], ["model", "res_id"]
    )
    shipped_ids = {}
    for data in shipped:
        shipped_ids.setdefault(data.model, set()).add(data.res_id)
    activity_types = env["mail.activity.type"].browse(
        shipped_ids.get("mail.activity.type", ())
    )
    # sudo: the uninstall runs as an administrator, but activities and
    # dunning records of every company and user must go
    activities = (
        env["mail.activity"]
        .sudo()
        .search([("activity_type_id", "in", activity_types.ids)])
    )
    _logger.info("Dunning uninstall: deleting %s activities", len(activities))
    activities.unlink()
    for model_name in BUSINESS_MODELS:
        if model_name not in env:
            continue
        model = env[model_name].sudo()
        records = model.search(
            [("id", "not in", list(shipped_ids.get(model_name, ())))]
        )
        _logger.info("Dunning uninstall: deleting %s %s", len(records), model_name)
        records.unlink()
