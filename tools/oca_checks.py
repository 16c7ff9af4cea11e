#!/usr/bin/env python3
"""Run OCA's odoo-pre-commit-hooks checks (oca-checks-odoo-module and
oca-checks-po) on this addon.

Usage: tools/oca_checks.py ADDON_DIR [--config FILE] [--disable ...] [--fix]

The stock `oca-checks-odoo-module` command cannot be used as is here: it looks
for __manifest__.py only *below* the git top level, so an addon that IS the
repository root is silently skipped, and it names the module after the
resolved directory (the checkout's name). This wrapper runs the same checker
class on ADDON_DIR (e.g. .build/addons/account_relationship_dunning, a link
named like the addon), with the module name taken from ADDON_DIR's own name,
and runs the PO checks on the addon's i18n/*.po files, and prints
"path:line: check-name message" with paths relative to the repository root.
Exits 1 if anything was found.
"""

import glob
import os
import re
import sys

from oca_pre_commit_hooks import checks_odoo_module_po, utils
from oca_pre_commit_hooks.checks_odoo_module import ChecksOdooModule
from oca_pre_commit_hooks.global_parser import GlobalParser

ANSI = re.compile(r"\x1b\[[0-9;]*m")
REPO = os.path.realpath(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def shown(path, top):
    full = os.path.realpath(os.path.join(top, path))
    rel = os.path.relpath(full, REPO)
    return path if rel.startswith("..") else rel


def format_error(error, top):
    pos = error.position
    text = f"{shown(pos.filepath, top)}:{pos.line or 0}: {error.code} {error.message}"
    for extra in error.extra_positions or []:
        text += f"\n    also {shown(extra.filepath, top)}:{extra.line or 0}"
    if error.info:
        text += "\n    " + error.info.replace("\n", "\n    ")
    return ANSI.sub("", text)


def main(argv):
    parser = GlobalParser()
    parser.add_argument("addon_dir", help="directory of the addon (named like it)")
    args = vars(parser.parse_args(argv))
    addon_dir = os.path.abspath(args["addon_dir"])
    enable = set(args["enable"] or ())
    disable = set(args["disable"] or ())
    manifest = os.path.join(addon_dir, "__manifest__.py")
    if not os.path.isfile(manifest):
        sys.exit(f"{manifest}: no such file")

    checker = ChecksOdooModule(
        os.path.realpath(manifest),
        enable,
        disable,
        changed=set(),
        verbose=True,
        autofix=args["autofix"],
        xml_attributes_order=args["xml_attributes_order"],
    )
    # the checker works on resolved paths; the module name (used by
    # xml-redundant-module-name) must still be the addon's, not the checkout's
    checker.odoo_addon_name = os.path.basename(addon_dir)
    for check in utils.getattr_checks(checker):
        check()
    top = checker.manifest_top_path
    lines = [format_error(e, top) for e in sorted(checker.checks_errors)]

    po_files = sorted(glob.glob(os.path.join(addon_dir, "i18n", "*.po*")))
    if po_files:
        errors = checks_odoo_module_po.run(
            po_files,
            enable,
            disable,
            no_verbose=True,
            no_exit=True,
            autofix=args["autofix"],
        )
        top = utils.top_path(os.path.join(addon_dir, "i18n"))
        lines += [format_error(e, top) for e in errors]

    for line in lines:
        print(line)
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
