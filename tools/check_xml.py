#!/usr/bin/env python3
"""Check the addon's XML files for syntax errors and pre-Odoo-18 constructs.

Usage: tools/check_xml.py [PATH ...]   (default: the repository root)

Every *.xml file (outside .build/ and .git/) must be well-formed and must not
use constructs that Odoo 18 no longer accepts or has deprecated:

- <tree> views (renamed <list> in 17.0/18.0), "tree" in view_mode, in the
  mode attribute of x2many fields and in xpath expressions;
- the attrs= and states= attributes (removed in 17.0: use invisible=,
  readonly=, required= with a Python expression);
- t-raw (deprecated, use t-out);
- the <act_window> and <report> shortcut tags (gone from the data loader);
- <field name="view_type"> on actions (removed);
- record ids prefixed with this addon's own name (redundant).

Prints "file:line: message" per finding; exits 1 if there is any.
"""

import os
import re
import sys

try:
    from lxml import etree
except ImportError:  # pragma: no cover
    sys.exit(
        "check_xml.py needs lxml: run tools/setup.sh --lint-only "
        "(or: python3 -m pip install lxml)"
    )

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDON = "account_relationship_dunning"
SKIP_DIRS = {".build", ".git", "node_modules", "__pycache__", ".venv"}
DATA_ROOTS = {"odoo", "openerp", "data"}
ID_TAGS = {"record", "template", "menuitem"}
# "tree" as a word in an xpath expression: //tree, /tree[...], tree/field, ...
XPATH_TREE = re.compile(r"(?<![\w.-])tree(?![\w.-])")


def xml_files(paths):
    for path in paths:
        if os.path.isfile(path):
            yield path
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for name in sorted(filenames):
                if name.endswith(".xml"):
                    yield os.path.join(dirpath, name)


def field_text(el):
    return (el.text or "").strip()


def check_tree(root):
    """Yield (line, message) for each finding in a parsed document."""
    if root.tag in DATA_ROOTS:
        for el in root.iter("act_window", "report"):
            model = "act_window" if el.tag == "act_window" else "report"
            yield (
                el.sourceline,
                f"<{el.tag}> is not supported by Odoo 18: "
                f'use a <record model="ir.actions.{model}">',
            )
    for el in root.iter(etree.Element):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "tree":
            yield el.sourceline, "<tree> view: Odoo 18 uses <list>"
        for attr in ("attrs", "states"):
            if attr in el.attrib:
                yield (
                    el.sourceline,
                    f'{attr}="..." was removed in Odoo 17: use invisible=/readonly=/'
                    "required= with a Python expression",
                )
        if "t-raw" in el.attrib:
            yield el.sourceline, "t-raw is deprecated: use t-out"
        if tag == "field":
            name = el.get("name")
            if name == "view_mode" and re.search(r"\btree\b", field_text(el)):
                yield (
                    el.sourceline,
                    f'view_mode "{field_text(el)}": use "list" instead of "tree"',
                )
            elif name == "view_type":
                yield el.sourceline, '<field name="view_type"> was removed: drop it'
            elif name == "type" and field_text(el) == "tree":
                yield el.sourceline, 'view type "tree": use "list"'
            mode = el.get("mode")
            if mode and re.search(r"\btree\b", mode):
                yield el.sourceline, f'mode="{mode}": use "list" instead of "tree"'
        if tag == "xpath" and XPATH_TREE.search(el.get("expr", "")):
            yield (
                el.sourceline,
                f'xpath "{el.get("expr")}" targets <tree>: Odoo 18 views are <list>',
            )
        if tag in ID_TAGS and (el.get("id") or "").startswith(ADDON + "."):
            yield (
                el.sourceline,
                f'redundant module name in id="{el.get("id")}": '
                f'use id="{el.get("id")[len(ADDON) + 1 :]}"',
            )


def check_file(path):
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        tree = etree.parse(path, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else getattr(exc, "lineno", 0)
        return [(line or 0, f"XML syntax error: {exc.msg}")]
    except OSError as exc:
        return [(0, f"cannot read: {exc}")]
    return sorted(check_tree(tree.getroot()), key=lambda f: f[0] or 0)


def main(argv):
    paths = argv or [REPO]
    count = 0
    for path in xml_files(paths):
        shown = os.path.relpath(path)
        for line, message in check_file(path):
            print(f"{shown}:{line}: {message}")
            count += 1
    if count:
        print(f"check_xml: {count} finding(s)", file=sys.stderr)
    return 1 if count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
