"""Screenshots of the customer portal for docs/ (odoo shell on a demo database).

Run against the demo database (``make demo``) with its Odoo server listening
on ``PORTAL_URL``::

    PORTAL_URL=http://127.0.0.1:8069 DOCS_DIR=docs \\
        odoo shell -d dunning_demo < tools/render_portal_docs.py

It picks the demo customer with the most overdue invoices and a sent letter,
archives that letter's PDF when the demo recorded it without one (and commits),
and takes three headless Chromium screenshots of the letter's link: the page
in English, the payment plan form, and the page in German.
"""

import os
import resource
import subprocess
import tempfile

DOCS_DIR = os.environ.get("DOCS_DIR", "docs")
PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:8069").rstrip("/")
env = globals()["env"]  # provided by odoo shell
Letter = env["account.dunning.letter"].sudo()
letters = Letter.search(
    [("state", "=", "done"), ("channel", "!=", "phone")], order="date desc, id desc"
)
Portal = env["account.dunning.portal"]


def overdue_count(letter):
    overview = Portal._get_overview(letter.partner_id, letter.company_id)
    return sum(1 for item in overview["items"] if item["days_overdue"])


letter = max(letters[:40], key=overdue_count)
if not letter.pdf_attachment_id:
    letter._archive_documents()
token = letter._portal_ensure_token()
partner = letter.partner_id
env["res.lang"]._activate_lang("de_DE")
shots = [
    ("en_US", f"/d/{token}", "portal_page.png"),
    ("en_US", f"/d/{token}/plan", "portal_plan.png"),
    ("de_DE", f"/d/{token}", "portal_page_de.png"),
]
for lang, path, name in shots:
    partner.lang = lang
    env.cr.commit()
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1200,1600",
            f"--user-data-dir={tempfile.mkdtemp(prefix='portal_docs_')}",
            f"--screenshot={os.path.join(DOCS_DIR, name)}",
            PORTAL_URL + path,
        ],
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        # Odoo limits its own address space (limit_memory_hard): not Chromium's.
        preexec_fn=lambda: resource.setrlimit(
            resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
        ),
    )
    print(name, partner.name, path)
