# Benchmark of letter output: batch printing of post letters and e-mail.
#
# Fed to the Odoo shell of a database with the addon installed (no demo data)
# by tools/bench_letters.sh, which also starts the Odoo HTTP server that
# serves the report styles to wkhtmltopdf (REPORT_URL):
#
#     REPORT_URL=http://127.0.0.1:8069 BENCH_LETTER_SIZES="200 1000" \
#         python3 -m odoo shell -d dunning_bench_letters < benchmarks/bench_letters.py
#
# It creates max(BENCH_LETTER_SIZES) customers with one overdue invoice each
# (ORM, committed), runs the dunning (one ready letter per customer, German
# customers, Payment Reminder level) and, for each size N, measures on the
# first N letters (each measurement rolled back, so both start from the same
# ready letters):
#   - print: action_print_post_letters (render, archive one PDF per letter,
#     merge into one PDF, mark sent, chatter);
#   - e-mail: action_send_email (render and archive the PDF, queue the mails).
# It prints letters/s, PDF bytes per page, the CPU time of Odoo and of the
# wkhtmltopdf processes, the load average when the measurement started (the
# machine may be shared) and checks the text layer of the printed batch
# (pdftotext finds every letter reference and "Seite 1 von").
# BENCH_README=path writes the figures into that README between the markers
# <!-- bench-letters:start --> and <!-- bench-letters:end -->.
import io
import os
import platform
import re
import subprocess
import time

from odoo import Command, fields
from odoo.tools.pdf import PdfFileReader

SIZES = sorted(
    int(size) for size in os.environ.get("BENCH_LETTER_SIZES", "200 1000").split()
)
REPORT_URL = os.environ.get("REPORT_URL", "")
README = os.environ.get("BENCH_README", "")
PREFIX = "LETTERBENCH-"
START, END = "<!-- bench-letters:start -->", "<!-- bench-letters:end -->"

company = env.ref("base.main_company")  # `env` is provided by the Odoo shell
env = env(context=dict(env.context, allowed_company_ids=company.ids))
today = fields.Date.context_today(env["res.partner"])


def log(message):
    print(message, flush=True)


def setup_company():
    env.ref("base.EUR").active = True
    env["res.lang"]._activate_lang("de_DE")
    env["ir.module.module"]._load_module_terms(
        ["account_relationship_dunning"], ["de_DE"], overwrite=True
    )
    company.write(
        {
            "vat": company.vat or "DE123456788",
            "company_registry": company.company_registry or "HRB 123456 B",
            "dunning_legal_form": "GmbH",
            "dunning_register_court": "Amtsgericht Berlin-Charlottenburg",
            "dunning_managing_directors": "Erika Mustermann",
        }
    )
    if not company.partner_id.bank_ids:
        bank = env["res.bank"].create({"name": "Commerzbank", "bic": "COBADEFFXXX"})
        env["res.partner.bank"].create(
            {
                "acc_number": "DE89370400440532013000",
                "partner_id": company.partner_id.id,
                "bank_id": bank.id,
            }
        )
    if REPORT_URL:
        env["ir.config_parameter"].set_param("report.url", REPORT_URL)
    env.cr.commit()


def ensure_customers_and_invoices(count):
    Partner = env["res.partner"]
    existing = Partner.search([("ref", "=like", PREFIX + "%")], order="ref")
    todo = [
        {
            "name": f"Briefkunde {index:05d} GmbH",
            "ref": f"{PREFIX}{index:05d}",
            "is_company": True,
            "lang": "de_DE",
            "email": False,  # letters by post
            "street": f"Hauptstraße {index % 200 + 1}",
            "zip": f"{10000 + index % 89999:05d}",
            "city": "Berlin",
            "country_id": env.ref("base.de").id,
        }
        for index in range(len(existing), count)
    ]
    due = fields.Date.subtract(today, days=13)
    for start in range(0, len(todo), 200):
        partners = Partner.create(todo[start : start + 200])
        moves = env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "company_id": company.id,
                    "partner_id": partner.id,
                    "invoice_date": fields.Date.subtract(due, days=30),
                    "invoice_date_due": due,
                    "invoice_payment_term_id": False,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Wartung und Service",
                                "quantity": 1,
                                "price_unit": 100.0 + index % 900,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
                for index, partner in enumerate(partners, start=start)
            ]
        )
        moves.action_post()
        existing |= partners
        env.cr.commit()
        log(f"  {len(existing)} customers with an overdue invoice")
    new = env.ref("account_relationship_dunning.segment_new")
    for partner in existing.filtered(lambda p: p.dunning_profile_id.segment_id != new):
        env["account.dunning.profile"]._get_profiles(company, partner)._set_override(
            new, "Letter benchmark"
        )
    env.cr.commit()
    return existing[:count]


def ready_letters(partners):
    Letter = env["account.dunning.letter"]
    letters = Letter.search(
        [
            ("partner_id", "in", partners.ids),
            ("state", "=", "ready"),
            ("channel", "=", "post"),
        ]
    )
    if len(letters) < len(partners):
        env["account.dunning.run"]._run_dunning(company, today)
        env.cr.commit()
        letters = Letter.search(
            [
                ("partner_id", "in", partners.ids),
                ("state", "=", "ready"),
                ("channel", "=", "post"),
            ]
        )
    return letters.sorted(lambda letter: letter.partner_id.ref)


def pdf_pages(content):
    return PdfFileReader(io.BytesIO(content)).getNumPages()


def pdf_text(content):
    return subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def children_cpu():
    """CPU seconds of the finished child processes (wkhtmltopdf)."""
    times = os.times()
    return times.children_user + times.children_system


def measure(function):
    """(wall s, Odoo CPU s, wkhtmltopdf CPU s, load average, result)"""
    env.flush_all()
    load = os.getloadavg()[0]
    start, cpu, child = time.perf_counter(), time.process_time(), children_cpu()
    result = function()
    env.flush_all()
    return (
        time.perf_counter() - start,
        time.process_time() - cpu,
        children_cpu() - child,
        load,
        result,
    )


def bench_print(letters):
    savepoint = env.cr.savepoint(flush=True)
    try:
        seconds, cpu, child, load, action = measure(letters.action_print_post_letters)
        attachment = env["ir.attachment"].browse(
            int(re.search(r"/web/content/(\d+)", action["url"]).group(1))
        )
        batch = attachment.raw
        pages = pdf_pages(batch)
        text = pdf_text(batch)
        archived = letters.pdf_attachment_id
        text_ok = (
            len(archived) == len(letters)
            and all(letter.name in text for letter in letters)
            and text.count("Seite 1 von") == len(letters)
        )
        return {
            "seconds": seconds,
            "cpu": cpu,
            "child": child,
            "load": load,
            "pages": pages,
            "bytes": len(batch),
            "text_layer": text_ok,
        }
    finally:
        savepoint.close(rollback=True)
        env.invalidate_all()


def bench_email(letters):
    savepoint = env.cr.savepoint(flush=True)
    try:
        letters.write({"channel": "email"})
        for letter in letters:
            letter.partner_id.email = f"{letter.partner_id.ref.lower()}@example.com"
        env.flush_all()
        seconds, cpu, child, load, _result = measure(letters.action_send_email)
        mails = env["mail.mail"].search(
            [("model", "=", letters._name), ("res_id", "in", letters.ids)]
        )
        with_pdf = mails.filtered(
            lambda mail: mail.attachment_ids.mimetype == "application/pdf"
        )
        return {
            "seconds": seconds,
            "cpu": cpu,
            "child": child,
            "load": load,
            "mails": len(mails),
            "with_pdf": len(with_pdf),
        }
    finally:
        savepoint.close(rollback=True)
        env.invalidate_all()


def wkhtmltopdf_version():
    from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

    return (
        subprocess.run(
            [_get_wkhtmltopdf_bin(), "--version"], capture_output=True, check=False
        )
        .stdout.decode()
        .strip()
    )


def main():
    styles = REPORT_URL or "web.base.url"
    log(f"letter benchmark: sizes {SIZES}, report styles from {styles}")
    log(f"  {wkhtmltopdf_version()}; {os.cpu_count()} cores")
    setup_company()
    partners = ensure_customers_and_invoices(max(SIZES))
    letters = ready_letters(partners)
    log(f"  {len(letters)} ready post letters")
    rows = []
    for size in SIZES:
        subset = letters[:size]
        printed = bench_print(subset)
        log(
            f"print {size}: {printed['seconds']:.1f} s "
            f"(CPU Odoo {printed['cpu']:.1f} s, wkhtmltopdf {printed['child']:.1f} s, "
            f"load {printed['load']:.1f}), "
            f"{size / printed['seconds']:.1f} letters/s, {printed['pages']} pages, "
            f"{printed['bytes'] / printed['pages'] / 1024:.1f} KB/page, "
            f"text layer {'OK' if printed['text_layer'] else 'MISSING'}"
        )
        mailed = bench_email(subset)
        log(
            f"e-mail {size}: {mailed['seconds']:.1f} s "
            f"(CPU Odoo {mailed['cpu']:.1f} s, wkhtmltopdf {mailed['child']:.1f} s, "
            f"load {mailed['load']:.1f}), "
            f"{size / mailed['seconds']:.1f} letters/s, {mailed['mails']} mails queued "
            f"({mailed['with_pdf']} with the PDF)"
        )
        rows.append((size, printed, mailed))
    if README:
        write_readme(rows)


def write_readme(rows):
    lines = [
        START,
        f"Measured by `make bench-letters` on {time.strftime('%Y-%m-%d')} "
        f"({platform.machine()}, {os.cpu_count()} cores, {wkhtmltopdf_version()}; "
        "wall time, in brackets the CPU time of Odoo + wkhtmltopdf; load = load "
        "average when the measurement started, the machine may have been shared):",
        "",
        "| letters | print + archive: s | letters/s | load | pages | PDF KB/page "
        "| text layer | e-mail (render + queue): s | letters/s | load |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for size, printed, mailed in rows:
        lines.append(
            f"| {size:,} | {printed['seconds']:.1f} "
            f"({printed['cpu']:.1f} + {printed['child']:.1f}) "
            f"| {size / printed['seconds']:.1f} | {printed['load']:.1f} "
            f"| {printed['pages']:,} "
            f"| {printed['bytes'] / printed['pages'] / 1024:.1f} "
            f"| {'yes' if printed['text_layer'] else 'NO'} "
            f"| {mailed['seconds']:.1f} ({mailed['cpu']:.1f} + {mailed['child']:.1f}) "
            f"| {size / mailed['seconds']:.1f} | {mailed['load']:.1f} |"
        )
    lines.append(END)
    with open(README, encoding="utf-8") as file:
        text = file.read()
    block = "\n".join(lines)
    if START in text and END in text:
        text = re.sub(
            re.escape(START) + ".*?" + re.escape(END),
            lambda _m: block,
            text,
            flags=re.S,
        )
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(README, "w", encoding="utf-8") as file:
        file.write(text)
    log(f"figures written to {README}")


main()
