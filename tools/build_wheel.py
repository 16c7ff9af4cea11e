"""Build the addon as a Python wheel with OCA's build backend whool and check it.

    python3 tools/build_wheel.py [--dist DIR]

The wheel is what an integrator installs into an Odoo 18 environment with
``pip install --no-deps odoo_addon_account_relationship_dunning-*.whl``: the
addon lands in ``odoo/addons/account_relationship_dunning``.

whool names the package after the directory it builds in and takes the files
git tracks. So the build runs in a throw-away clone named
``account_relationship_dunning`` (under .build/wheel/), checked out at the
state of the working tree (``git stash create``: committed and uncommitted
changes of tracked files; untracked files are left out, as whool would leave
them out anyway). It works from a checkout directory of any name.

Checks: the distribution name, the Odoo dependency, and that every file the
manifest loads (data, demo, assets), the translations, the Apps page
(static/description) and the Python code are in the wheel. Prints the path of
the wheel; exits 1 with the reasons when a check fails.
"""

import argparse
import ast
import email.parser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ADDON = "account_relationship_dunning"
DIST_NAME = f"odoo-addon-{ADDON}"
REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / ".build" / "wheel"


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kwargs)


def working_tree_commit():
    """A commit of the working tree's tracked files (HEAD when clean)."""
    # an identity for the stash commit, where git has none configured (CI)
    stash = run(
        ["git", "-c", "user.name=build_wheel", "-c", "user.email=build_wheel@localhost"]
        + ["stash", "create"],
        cwd=REPO,
    ).stdout.strip()
    return stash or run(["git", "rev-parse", "HEAD"], cwd=REPO).stdout.strip()


def prepare_source():
    src = BUILD / "src" / ADDON
    if src.exists():
        shutil.rmtree(src)
    src.parent.mkdir(parents=True, exist_ok=True)
    commit = working_tree_commit()
    # --shared: the clone reads the objects of the repository (including the
    # stash commit, which no branch refers to) instead of copying them
    run(["git", "clone", "--quiet", "--shared", "--no-checkout", str(REPO), str(src)])
    run(["git", "checkout", "--quiet", "--detach", commit], cwd=src)
    return src


def build(src, dist):
    if dist.exists():
        shutil.rmtree(dist)
    dist.mkdir(parents=True)
    # PEP 517 build with the installed, pinned whool (no download)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "--wheel-dir",
            str(dist),
            str(src),
        ],
        text=True,
        capture_output=True,
        check=False,
    )
    if proc.returncode:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit("wheel: FAILED: pip wheel (whool) could not build the addon")
    wheels = sorted(dist.glob("*.whl"))
    if len(wheels) != 1:
        sys.exit(f"wheel: FAILED: expected one wheel in {dist}, found {wheels}")
    return wheels[0]


def expected_files(src):
    """Paths (relative to the addon) that the wheel must contain."""
    manifest = ast.literal_eval((src / "__manifest__.py").read_text(encoding="utf-8"))
    files = set(manifest.get("data", [])) | set(manifest.get("demo", []))
    for assets in manifest.get("assets", {}).values():
        for path in assets:
            if not isinstance(path, str):
                continue  # (directive, path) pairs name other addons' assets
            relative = path.split(f"{ADDON}/", 1)[-1]
            if any(char in relative for char in "*?["):
                # a glob: every file it matches must be in the wheel
                files |= {
                    str(match.relative_to(src))
                    for match in src.glob(relative)
                    if match.is_file()
                }
            else:
                files.add(relative)
    tracked = run(["git", "ls-files"], cwd=src).stdout.split()
    files |= {
        path
        for path in tracked
        if path.startswith(("models/", "wizard/", "i18n/", "static/", "report/"))
        or path in ("__init__.py", "__manifest__.py")
    }
    files |= {
        "static/description/icon.png",
        "static/description/index.html",
        "i18n/de.po",
    }
    return files


def check(wheel, src):
    problems = []
    prefix = f"odoo/addons/{ADDON}/"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata_name = next(
            (n for n in names if n.endswith(".dist-info/METADATA")), None
        )
        metadata = (
            email.parser.Parser().parsestr(zf.read(metadata_name).decode())
            if metadata_name
            else {}
        )
    if metadata.get("Name") != DIST_NAME:
        problems.append(
            f"distribution name is {metadata.get('Name')!r}, not {DIST_NAME!r}"
        )
    requires = metadata.get_all("Requires-Dist") if metadata else []
    if not any((req or "").startswith("odoo") for req in requires or []):
        problems.append(f"no dependency on Odoo 18 (Requires-Dist: {requires})")
    missing = sorted(path for path in expected_files(src) if prefix + path not in names)
    if missing:
        problems.append("files missing in the wheel: " + ", ".join(missing))
    if any(name.startswith(prefix + ".build/") for name in names):
        problems.append("the wheel contains .build/")
    return problems, names, metadata


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", default=str(BUILD / "dist"), help="output directory")
    args = parser.parse_args()
    src = prepare_source()
    try:
        wheel = build(src, Path(args.dist).resolve())
        problems, names, metadata = check(wheel, src)
    finally:
        shutil.rmtree(src.parent, ignore_errors=True)
    if problems:
        for problem in problems:
            print(f"wheel: FAILED: {problem}")
        return 1
    size_kb = wheel.stat().st_size // 1024
    print(
        f"wheel: OK {metadata['Name']} {metadata['Version']}: {len(names)} files, "
        f"{size_kb} KB, data files and Apps page present"
    )
    print(f"       {wheel.relative_to(REPO) if wheel.is_relative_to(REPO) else wheel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
