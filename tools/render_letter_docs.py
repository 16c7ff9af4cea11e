"""Render the dunning letters of every level as PNG pages for docs/ (odoo shell).

Run against a scratch database (it creates customers, invoices, dunning runs
and commits them), with an Odoo server of that database listening on
``report.url`` so that wkhtmltopdf gets the report styles::

    DOCS_DIR=docs odoo shell -d scratch_db < tools/render_letter_docs.py

Three customers go through every level of the standard segment: a German
business (B2B: interest and the flat compensation), a German consumer
(salutation by title) and an English business; a fourth, German business
with many invoices shows the invoice table over several pages. The company
has the demo logo in its letterhead. Every page of every letter is written
as docs/letter_<customer>_<level>[_p<page>].png at 110 dpi.
"""

import base64
import os
import subprocess
import tempfile

from odoo import Command, fields
from odoo.tools import file_open

DOCS_DIR = os.environ.get("DOCS_DIR", "docs")
with file_open(
    "account_relationship_dunning/static/src/img/demo_company_logo.png", "rb"
) as logo:
    LOGO = logo.read()
admin = globals()["env"].ref("base.user_admin")  # env: provided by odoo shell
admin.groups_id |= admin.env.ref("account_relationship_dunning.group_dunning_manager")
# The letters of each run are recorded as sent on the run's day (not dated
# today when they are marked sent).
env = admin.env(
    user=admin, context=dict(admin.env.context, dunning_keep_letter_date=True)
)
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
        "website": "https://muster-handel.example",
        "vat": "DE123456788",
        "company_registry": "HRB 123456 B",
        "dunning_legal_form": "GmbH",
        "dunning_registered_office": "Berlin",
        "dunning_register_court": "Amtsgericht Berlin-Charlottenburg",
        "dunning_managing_directors": "Erika Mustermann",
        "logo": base64.b64encode(LOGO),
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


def customer(name, lang, street, zip_code, city, country, **vals):
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
            **vals,
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


customers = {
    "de_b2b": customer(
        "Müller Maschinenbau GmbH",
        "de_DE",
        "Hauptstraße 1",
        "80331",
        "München",
        "base.de",
    ),
    "de_consumer": customer(
        "Max Mustermann",
        "de_DE",
        "Lindenweg 5",
        "04109",
        "Leipzig",
        "base.de",
        is_company=False,
        title=env.ref("base.res_partner_title_mister").id,
    ),
    "en": customer(
        "Smith Trading Ltd", "en_US", "12 High Street", "SW1A 1AA", "London", "base.uk"
    ),
    "de_many": customer(
        "Schulze Großhandel KG",
        "de_DE",
        "Am Markt 7",
        "20095",
        "Hamburg",
        "base.de",
    ),
}
invoice(customers["de_b2b"], 1190.0, "2025-12-01", "2025-12-31")
invoice(customers["de_b2b"], 595.0, "2025-12-10", "2026-01-09")
invoice(customers["de_consumer"], 249.0, "2025-12-01", "2025-12-31")
invoice(customers["en"], 2380.0, "2025-12-01", "2025-12-31")
for index in range(18):
    # 18 invoices of December: the invoice table runs over a page break
    day = 1 + index
    invoice(
        customers["de_many"],
        100.0 + 37.5 * index,
        f"2025-12-{day:02d}",
        f"2025-12-{min(day + 14, 31):02d}",
    )
# The server renders the report styles in its own transaction: commit first
# (the company's style sheet changed) so that it never waits for this one.
env.cr.commit()
standard = env.ref("account_relationship_dunning.segment_standard")
for partner in customers.values():
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
    # sudo: the channel is chosen by the dunning process (a protected field);
    # the images show the printed letters.
    letters.filtered(lambda letter: letter.channel == "email").sudo().write(
        {"channel": "post"}
    )
    letters.action_print_post_letters()
    for key, partner in customers.items():
        letter = letters.filtered(lambda letter, p=partner: letter.partner_id == p)
        if not letter:
            print(level_key, key, "no letter")
            continue
        pages[f"letter_{key}_{level_key}"] = letter
        print(
            level_key,
            letter.partner_id.name,
            letter.level_id.name,
            letter.amount_total_due,
            len(letter.pdf_attachment_id.raw),
        )
    env.cr.commit()

for name, letter in pages.items():
    with tempfile.TemporaryDirectory() as tmp:
        pdf = os.path.join(tmp, "letter.pdf")
        with open(pdf, "wb") as file:
            file.write(letter.pdf_attachment_id.raw)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "110", pdf, os.path.join(tmp, "page")],
            check=True,
        )
        images = sorted(f for f in os.listdir(tmp) if f.endswith(".png"))
        for number, image in enumerate(images, start=1):
            suffix = "" if number == 1 else f"_p{number}"
            os.replace(
                os.path.join(tmp, image), os.path.join(DOCS_DIR, f"{name}{suffix}.png")
            )
env.cr.commit()
