# Install -> use -> uninstall check on a German database (tools/test_uninstall.sh).
#
#   UNINSTALL_STEP=use        fed to `odoo shell`: works with the addon the way
#                             a German company does (invoices, payments, blocks,
#                             a dunning run with letters and call activities, a
#                             printed letter, a dispute, a payment plan, a
#                             second company), writes the inventory of what the
#                             addon owns in the database, commits
#   UNINSTALL_STEP=uninstall  fed to `odoo shell`: uninstalls the addon
#   python3 tools/uninstall_check.py verify DB INVENTORY
#                             checks with SQL that nothing of the inventory is
#                             left: no model, field, column, table or external
#                             id of the addon
import json
import os
import sys

ADDON = "account_relationship_dunning"


def use(env):  # noqa: C901 - one scenario, step by step
    from datetime import timedelta

    from odoo import Command, fields

    problems = []
    company = env.ref("base.main_company")
    if not company.check_account_audit_trail:
        problems.append("the German company has no accounting audit trail")
    if not (company.chart_template or "").startswith("de_"):
        problems.append(f"chart of accounts {company.chart_template!r} is not German")
    today = fields.Date.context_today(env["res.company"])
    # no styles server while the letter renders (see tests/test_letters.py)
    env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")
    bank = env["res.bank"].create({"name": "Berliner Bank", "bic": "BEBEDEBBXXX"})
    env["res.partner.bank"].create(
        {
            "acc_number": "DE89370400440532013000",
            "partner_id": company.partner_id.id,
            "bank_id": bank.id,
        }
    )
    customers = env["res.partner"].create(
        [
            {
                "name": name,
                "is_company": is_company,
                "email": f"kunde{index}@example.com",
                "street": "Hauptstraße 1",
                "zip": "10115",
                "city": "Berlin",
                "country_id": env.ref("base.de").id,
                "lang": "en_US",
            }
            for index, (name, is_company) in enumerate(
                [
                    ("Maschinenbau Müller GmbH", True),
                    ("Neukunde Schmidt KG", True),
                    ("Erika Mustermann", False),
                ]
            )
        ]
    )
    invoices = env["account.move"]
    for customer in customers:
        for days_overdue, amount in ((95, 1190.0), (40, 595.0), (20, 238.0)):
            due = today - timedelta(days=days_overdue)
            invoices |= env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_date": due - timedelta(days=14),
                    "invoice_date_due": due,
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Beratung", "quantity": 1, "price_unit": amount}
                        )
                    ],
                }
            )
    invoices.action_post()
    # a partial payment
    env["account.payment.register"].with_context(
        active_model="account.move", active_ids=invoices[0].ids
    ).create({"amount": 100.0, "payment_date": today})._create_payments()
    # blocks and an exclusion: chatter notes on the invoices
    invoices[1].write(
        {
            "dunning_blocked_until": today + timedelta(days=14),
            "dunning_block_reason": "Rückruf vereinbart",
        }
    )
    invoices[2].dunning_excluded = True
    if not invoices[1].message_ids.filtered(lambda m: "Rückruf" in str(m.body)):
        problems.append("no chatter note for the dunning block")
    # scores, a segment override, the dunning run
    env["account.dunning.profile"]._recompute_scores(company)
    for customer, code in ((customers[0], "strategic"), (customers[1], "new")):
        env["account.dunning.profile"]._get_profiles(company, customer)._set_override(
            env.ref(f"{ADDON}.segment_{code}"),
            "Laut Vertrieb",
            today + timedelta(days=90),
        )
    run = env["account.dunning.run"]._run_dunning(company, today)
    letters = run.letter_ids
    if not letters:
        problems.append("the dunning run prepared no letter")
    ready = letters.filtered(lambda letter: letter.state == "ready")
    by_email = ready.filtered(lambda letter: letter.channel == "email")
    if by_email:
        by_email[:1].action_send_email()
    by_post = (ready - by_email[:1])[:1]
    if by_post:
        by_post.channel = "post"
        by_post.action_print_post_letters()
    # a dispute on an open invoice and a payment plan on another
    env["account.dunning.dispute"].create(
        {
            "partner_id": customers[2].id,
            "company_id": company.id,
            "reason": "quality",
            "line_ids": [Command.create({"move_id": invoices[6].id})],
        }
    )
    wizard = (
        env["account.dunning.payment.plan.wizard"]
        .with_context(default_move_ids=invoices[7].ids)
        .create({"first_due_date": today + timedelta(days=30), "installment_number": 3})
    )
    plan = env["account.dunning.payment.plan"].browse(
        wizard.action_create_plan()["res_id"]
    )
    plan.action_propose()
    plan.action_accept()
    # a second company gets copies of the shipped policies
    env["res.company"].create({"name": "Zweite Niederlassung GmbH"})
    env.cr.commit()

    counts = {
        model: env[model].with_context(active_test=False).search_count([])
        for model in (
            "account.dunning.profile",
            "account.dunning.run",
            "account.dunning.letter",
            "account.dunning.dispute",
            "account.dunning.payment.plan",
            "account.dunning.policy",
        )
    }
    shipped_types = env["ir.model.data"].search(
        [("module", "=", ADDON), ("model", "=", "mail.activity.type")]
    )
    counts["dunning activities"] = env["mail.activity"].search_count(
        [("activity_type_id", "in", shipped_types.mapped("res_id"))]
    )
    counts["archived letters"] = len(letters.filtered("pdf_attachment_id"))
    print("used:", ", ".join(f"{n} {model}" for model, n in counts.items()))
    write_inventory(env, os.environ["UNINSTALL_INVENTORY"])
    if problems:
        sys.exit("use step: " + "; ".join(problems))


def write_inventory(env, path):
    """Models, fields, columns, tables and relation tables the addon owns."""
    data = env["ir.model.data"].search_fetch(
        [("module", "=", ADDON), ("model", "in", ["ir.model", "ir.model.fields"])],
        ["model", "res_id"],
    )
    models = env["ir.model"].browse(d.res_id for d in data if d.model == "ir.model")
    ir_fields = env["ir.model.fields"].browse(
        d.res_id for d in data if d.model == "ir.model.fields"
    )
    inventory = {"models": [], "tables": [], "fields": [], "columns": []}
    for model in models:
        # the addon's own models (it has external ids of the models it only
        # extends as well)
        if model.model not in env or env[model.model]._original_module != ADDON:
            continue
        inventory["models"].append(model.model)
        if env[model.model]._auto:
            inventory["tables"].append(env[model.model]._table)
    for field in ir_fields:
        inventory["fields"].append([field.model, field.name])
        if field.model not in env or field.name not in env[field.model]._fields:
            continue
        model = env[field.model]
        orm_field = model._fields[field.name]
        if orm_field.type == "many2many" and orm_field.store:
            inventory["tables"].append(orm_field.relation)
        elif orm_field.store and orm_field.column_type and model._auto:
            inventory["columns"].append([model._table, field.name])
    relations = env["ir.model.relation"].search([("module.name", "=", ADDON)])
    inventory["tables"] += relations.mapped("name")
    inventory["tables"] = sorted(set(inventory["tables"]))
    with open(path, "w", encoding="utf-8") as f:
        json.dump(inventory, f, indent=1)
    print(
        f"inventory: {len(inventory['models'])} models, "
        f"{len(inventory['fields'])} fields, {len(inventory['columns'])} columns, "
        f"{len(inventory['tables'])} tables"
    )


def uninstall(env):
    module = env["ir.module.module"].search([("name", "=", ADDON)])
    module.button_immediate_uninstall()
    print("uninstalled")


def verify(db, inventory_path):
    import psycopg2

    with open(inventory_path, encoding="utf-8") as f:
        inventory = json.load(f)
    left = []
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        cr.execute("SELECT state FROM ir_module_module WHERE name = %s", [ADDON])
        state = cr.fetchone()[0]
        if state != "uninstalled":
            left.append(f"module state {state}")
        cr.execute("SELECT count(*) FROM ir_model_data WHERE module = %s", [ADDON])
        if count := cr.fetchone()[0]:
            left.append(f"{count} external ids of the addon")
        cr.execute(
            "SELECT model FROM ir_model WHERE model = ANY(%s)", [inventory["models"]]
        )
        left += [f"model {row[0]}" for row in cr.fetchall()]
        for model, name in inventory["fields"]:
            cr.execute(
                "SELECT 1 FROM ir_model_fields WHERE model = %s AND name = %s",
                [model, name],
            )
            if cr.fetchone():
                left.append(f"field record {model}.{name}")
        for table, column in inventory["columns"]:
            cr.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = "
                "'public' AND table_name = %s AND column_name = %s",
                [table, column],
            )
            if cr.fetchone():
                left.append(f"column {table}.{column}")
        cr.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_name = ANY(%s)",
            [inventory["tables"]],
        )
        left += [f"table {row[0]}" for row in cr.fetchall()]
    checked = (
        f"{len(inventory['models'])} models, {len(inventory['fields'])} fields, "
        f"{len(inventory['columns'])} columns, {len(inventory['tables'])} tables"
    )
    if left:
        print(f"uninstall: FAILED: left behind ({len(left)}):")
        for item in left[:40]:
            print(f"  {item}")
        return 1
    print(f"uninstall: nothing left of the addon ({checked} checked)")
    return 0


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "verify":
    sys.exit(verify(sys.argv[2], sys.argv[3]))
elif "env" in globals():
    step = os.environ.get("UNINSTALL_STEP")
    if step == "use":
        use(env)  # noqa: F821 - given by odoo shell
    elif step == "uninstall":
        uninstall(env)  # noqa: F821
    else:
        sys.exit(f"unknown UNINSTALL_STEP {step!r}")
