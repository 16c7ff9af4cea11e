"""Render one dunning letter per level as PNG pages for docs/ (odoo shell).

Run against a scratch database (it creates customers, invoices, dunning runs
and commits them), with an Odoo server of that database listening on
``report.url`` so that wkhtmltopdf gets the report styles::

    DOCS_DIR=docs odoo shell -d scratch_db < tools/render_letter_docs.py

The German letters use the DIN 5008 layout (l10n_din5008), the English one
the company's standard layout.
"""

import os
import subprocess
import tempfile

from odoo import Command, fields

DOCS_DIR = os.environ.get("DOCS_DIR", "docs")
admin = globals()["env"].ref("base.user_admin")  # env: provided by odoo shell
admin.groups_id |= admin.env.ref("account_relationship_dunning.group_dunning_manager")
env = admin.env(user=admin)
company = env.company
eur = env.ref("base.EUR")
eur.active = True
env["res.lang"]._activate_lang("de_DE")
env["ir.module.module"]._load_module_terms(
    ["account_relationship_dunning"], ["de_DE"], overwrite=True
)
company.write(
    {
        "name": "Muster Handel GmbH",
        "currency_id": eur.id,
        "street": "Friedrichstraße 10",
        "zip": "10117",
        "city": "Berlin",
        "country_id": env.ref("base.de").id,
        "phone": "+49 30 1234567",
        "email": "buchhaltung@muster-handel.example",
        "external_report_layout_id": env.ref("l10n_din5008.external_layout_din5008").id,
        "paperformat_id": env.ref("l10n_din5008.paperformat_euro_din").id,
    }
)
if not company.partner_id.bank_ids:
    env["res.partner.bank"].create(
        {
            "acc_number": "DE89370400440532013000",
            "partner_id": company.partner_id.id,
            "bank_id": env["res.bank"]
            .create({"name": "Commerzbank", "bic": "COBADEFFXXX"})
            .id,
        }
    )
contact = env["res.users"].create(
    {
        "name": "Sabine Schmidt",
        "login": "sabine.schmidt.docs",
        "email": "sabine.schmidt@muster-handel.example",
        "phone": "+49 30 1234567-12",
    }
)


def customer(name, lang, street, zip_code, city, country):
    partner = env["res.partner"].create(
        {
            "name": name,
            "is_company": True,
            "lang": lang,
            "street": street,
            "zip": zip_code,
            "city": city,
            "country_id": env.ref(country).id,
            "user_id": contact.id,
        }
    )
    return partner


def invoice(partner, amount, invoice_date, due_date):
    move = env["account.move"].create(
        {
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_date": invoice_date,
            "invoice_date_due": due_date,
            "invoice_line_ids": [
                Command.create(
                    {"name": "Wartungsvertrag", "quantity": 1, "price_unit": amount}
                )
            ],
        }
    )
    move.action_post()
    return move


german = customer(
    "Müller Maschinenbau GmbH",
    "de_DE",
    "Hauptstraße 1",
    "80331",
    "München",
    "base.de",
)
english = customer(
    "Smith Trading Ltd",
    "en_US",
    "12 High Street",
    "SW1A 1AA",
    "London",
    "base.uk",
)
invoice(german, 1190.0, "2025-12-01", "2025-12-31")
invoice(german, 595.0, "2025-12-10", "2026-01-09")
invoice(english, 2380.0, "2025-12-01", "2025-12-31")
# The server renders the report styles in its own transaction: commit first
# (the company's style sheet changed) so that it never waits for this one.
env.cr.commit()
standard = env.ref("account_relationship_dunning.segment_standard")
for partner in german | english:
    profile = env["account.dunning.profile"]._get_profiles(company, partner)
    profile._set_override(standard, "Documentation")

Run = env["account.dunning.run"]
pages = {}
for level_key, day in (
    ("reminder", "2026-01-08"),
    ("first", "2026-01-22"),
    ("second", "2026-02-05"),
    ("final", "2026-02-19"),
):
    run = Run._run_dunning(company, fields.Date.to_date(day))
    letters = run.letter_ids.filtered(lambda letter: letter.state != "cancel")
    letters.filtered(lambda letter: letter.state == "to_approve").action_approve()
    letters.filtered(lambda letter: letter.channel == "email").write(
        {"channel": "post"}
    )
    letters.action_print_post_letters()
    for letter in letters:
        suffix = "" if letter.partner_id == german else "_en"
        if suffix and level_key != "reminder":
            continue
        if suffix:  # the English letter in the standard layout
            company.external_report_layout_id = env.ref("web.external_layout_standard")
            company.paperformat_id = env.ref("base.paperformat_euro")
            env.cr.commit()
            letter.pdf_attachment_id = False
            letter._archive_documents()
        pages[f"letter_{level_key}{suffix}"] = letter
        print(
            level_key,
            letter.partner_id.name,
            letter.level_id.name,
            letter.amount_total_due,
            len(letter.pdf_attachment_id.raw),
        )
    company.external_report_layout_id = env.ref("l10n_din5008.external_layout_din5008")
    company.paperformat_id = env.ref("l10n_din5008.paperformat_euro_din")
    env.cr.commit()

for name, letter in pages.items():
    with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
        pdf.write(letter.pdf_attachment_id.raw)
        pdf.flush()
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                pdf.name,
                os.path.join(DOCS_DIR, name),
            ],
            check=True,
        )
env.cr.commit()
