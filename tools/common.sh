# shellcheck shell=bash
# Shared helpers for the scripts in tools/. Source it, do not run it:
#     source "$(dirname "$0")/common.sh"
#
# Everything is computed relative to this file, so the checkout directory can
# have any name and live anywhere.

# The technical name Odoo knows the addon by (the repository root IS the addon).
ADDON=account_relationship_dunning

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$REPO/.build"            # git-ignored scratch space: links, logs, filestore
ADDONS_LINK_DIR="$BUILD/addons" # holds $ADDON -> $REPO, first on --addons-path
# The python that has (or gets) Odoo and the tools: $PYTHON if set, else the
# repository's git-ignored .venv if there is one, else python3 on PATH.
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$REPO/.venv/bin/python" ]; then
        PYTHON="$REPO/.venv/bin/python"
    else
        PYTHON=python3
    fi
fi

# Extra addons directories (comma separated) appended to --addons-path, e.g.
# for OCA addons checked out somewhere.
EXTRA_ADDONS="${EXTRA_ADDONS:-}"

# wkhtmltopdf with patched Qt taken out of a PyPI archive by tools/setup.sh
# (when the machine has no patched build of its own). Odoo looks wkhtmltopdf
# up on PATH before its bin_path option, so the directory goes first on PATH
# for every Odoo the tools start, and into bin_path of the generated odoo.conf.
WKHTMLTOPDF_DIR="$BUILD/wkhtmltox/bin"
if [ -x "$WKHTMLTOPDF_DIR/wkhtmltopdf" ]; then
    case ":$PATH:" in
    *":$WKHTMLTOPDF_DIR:"*) ;;
    *) PATH="$WKHTMLTOPDF_DIR:$PATH" ;;
    esac
    export PATH
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

say() { printf '%s\n' "$*"; }
step() { printf '==> %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }

# die "what is missing" ["how to get it"]
die() {
    printf '\nERROR: %s\n' "$1" >&2
    if [ $# -gt 1 ]; then
        printf '       %s\n' "${@:2}" >&2
    fi
    exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

# python3 without the current directory on sys.path (3.11+ has -P). Running
# from inside an Odoo source tree would otherwise shadow the stdlib `http`.
py() {
    if "$PYTHON" -P -c '' 2>/dev/null; then
        "$PYTHON" -P "$@"
    else
        (cd / && "$PYTHON" "$@")
    fi
}

# The addon as Odoo must see it: a directory literally named $ADDON.
ensure_addon_link() {
    mkdir -p "$ADDONS_LINK_DIR" "$BUILD/logs"
    local link="$ADDONS_LINK_DIR/$ADDON"
    if [ -L "$link" ]; then
        [ "$(readlink "$link")" = "$REPO" ] || ln -sfn "$REPO" "$link"
    elif [ -e "$link" ]; then
        die "$link exists and is not a symlink" "remove it; the tools recreate it as a link to $REPO"
    else
        ln -s "$REPO" "$link"
    fi
}

# Directories holding Odoo's own addons, for the installed `odoo` package,
# found without importing Odoo (fast): <odoo>/addons, <odoo>/../addons and any
# odoo/addons namespace directory on sys.path (pip-installed addon wheels).
odoo_core_addons_path() {
    py - <<'EOF'
import importlib.util
import os
import sys

spec = importlib.util.find_spec("odoo")
if spec is None or not spec.origin:
    sys.exit("odoo is not importable")
root = os.path.dirname(os.path.abspath(spec.origin))
paths = []


def is_addons_dir(path):
    try:
        return any(
            os.path.isfile(os.path.join(path, name, "__manifest__.py"))
            for name in os.listdir(path)
        )
    except OSError:
        return False


for cand in [os.path.join(root, "addons"), os.path.join(root, "..", "addons")] + [
    os.path.join(p or ".", "odoo", "addons") for p in sys.path
]:
    cand = os.path.realpath(cand)
    if cand not in paths and is_addons_dir(cand):
        paths.append(cand)
print(",".join(paths))
EOF
}

odoo_addons_path() {
    ensure_addon_link
    local core
    core="$(odoo_core_addons_path)" || die "Odoo is not importable by $PYTHON" \
        "run: make setup   (or: bash tools/setup.sh)"
    local path="$ADDONS_LINK_DIR,$core"
    [ -z "$EXTRA_ADDONS" ] || path="$path,$EXTRA_ADDONS"
    printf '%s\n' "$path"
}

# The generated $BUILD/odoo.conf: [options] with bin_path pointing at the
# patched wkhtmltopdf of tools/setup.sh when there is one (rewritten only when
# that changes).
write_odoo_conf() {
    local conf="$BUILD/odoo.conf" want=""
    mkdir -p "$BUILD"
    [ -f "$conf" ] || printf '[options]\n' >"$conf"
    [ ! -x "$WKHTMLTOPDF_DIR/wkhtmltopdf" ] || want="bin_path = $WKHTMLTOPDF_DIR"
    if [ -n "$want" ]; then
        grep -qxF "$want" "$conf" && return 0
        grep -v '^bin_path *=' "$conf" >"$conf.tmp" || true
        printf '%s\n' "$want" >>"$conf.tmp"
        mv "$conf.tmp" "$conf"
    elif grep -q '^bin_path *=' "$conf"; then
        grep -v '^bin_path *=' "$conf" >"$conf.tmp" || true
        mv "$conf.tmp" "$conf"
    fi
}

# Options every Odoo invocation gets. The database connection uses libpq's
# defaults (unix socket, current user) unless PGHOST/PGPORT/PGUSER/PGPASSWORD
# are set; those are passed on explicitly too.
odoo_common_args() {
    local addons_path
    addons_path="$(odoo_addons_path)" || exit 1
    write_odoo_conf
    ODOO_ARGS=(
        -c "$BUILD/odoo.conf"
        --addons-path="$addons_path"
        --data-dir="$BUILD/data"
    )
    [ -z "${PGHOST:-}" ] || ODOO_ARGS+=(--db_host="$PGHOST")
    [ -z "${PGPORT:-}" ] || ODOO_ARGS+=(--db_port="$PGPORT")
    [ -z "${PGUSER:-}" ] || ODOO_ARGS+=(--db_user="$PGUSER")
    [ -z "${PGPASSWORD:-}" ] || ODOO_ARGS+=(--db_password="$PGPASSWORD")
    return 0
}

# odoo_run [subcommand] [odoo options...]
#   odoo_run -d db -i base --stop-after-init
#   odoo_run shell -d db --no-http < script.py
odoo_run() {
    local cmd=()
    if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
        cmd=("$1")
        shift
    fi
    odoo_common_args
    py -m odoo "${cmd[@]}" "${ODOO_ARGS[@]}" "$@"
}

# Run a python snippet (stdin) inside `odoo shell` on database $1; the snippet
# sees `env` and must call env.cr.commit() itself to keep its changes.
odoo_shell() {
    local db="$1"
    shift
    odoo_run shell -d "$db" --no-http --log-level=warn "$@"
}

require_pg() {
    have psql || die "PostgreSQL client tools (psql, createdb) are missing" \
        "run: make setup   (installs Debian's postgresql package)"
    psql -X -q -d postgres -tAc 'select 1' >/dev/null 2>&1 ||
        die "cannot connect to PostgreSQL as $(id -un) (PGHOST=${PGHOST:-<unix socket>})" \
            "run: make setup   (starts the cluster and creates a superuser role for you)"
}

db_exists() {
    [ "$(psql -X -d postgres -tAc "select 1 from pg_database where datname = '$1'")" = 1 ]
}

# Drop database $1 if it exists (closing other connections to it).
drop_db() {
    if db_exists "$1"; then
        say "dropping database $1"
        dropdb --if-exists --force "$1"
    fi
    # the filestore of a dropped database is stale
    rm -rf "$BUILD/data/filestore/$1"
}

module_state() { # module_state DB MODULE
    psql -X -d "$1" -tAc "select state from ir_module_module where name = '$2'" 2>/dev/null || true
}

# Make the main company of database $1 German (country DE, currency EUR, a
# Berlin address). Run it before `account` is installed: the chart of
# accounts (l10n_de, SKR03) is chosen from the company's country then.
make_company_german() {
    odoo_shell "$1" <<'EOF'
eur = env.ref("base.EUR").with_context(active_test=False)
eur.active = True
company = env.ref("base.main_company")
company.write(
    {
        "name": "Relationship Dunning Demo GmbH",
        "country_id": env.ref("base.de").id,
        "currency_id": eur.id,
        "street": "Friedrichstraße 123",
        "zip": "10117",
        "city": "Berlin",
        "phone": "+49 30 1234567",
        "email": "buchhaltung@example.com",
        "website": "https://example.com",
    }
)
env.ref("base.user_admin").tz = "Europe/Berlin"
env.cr.commit()
EOF
}
