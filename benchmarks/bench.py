# Benchmark of the relationship scoring and the dunning run.
#
# Fed to the Odoo shell of a database with the addon installed (no demo data):
#
#     BENCH_CUSTOMERS=5000 BENCH_SIZES="10000 50000" \
#         python3 -m odoo shell -d dunning_bench --no-http < benchmarks/bench.py
#
# It creates BENCH_CUSTOMERS customers (ORM, in batches) and, for each size of
# BENCH_SIZES in increasing order, tops the overdue posted customer invoices up
# to that number with bulk SQL: every invoice is a copy of one invoice created
# and posted through the ORM, with its own number, customer, dates and amount
# (move and journal items scaled consistently: totals, residuals, balances,
# debit/credit). Then it measures, with wall time and SQL query count:
#   - the scoring of all customers (_recompute_scores), kept;
#   - a real dunning run (_run_dunning), rolled back afterwards so that every
#     size starts from the same, undunned state.
# The customers and invoices are committed (the shell does not commit on its
# own), so a second call reuses them.
import os
import time

from odoo import Command, fields
from odoo.tools import SQL

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "5000"))
SIZES = sorted(
    int(size) for size in os.environ.get("BENCH_SIZES", "10000 50000").split()
)
PREFIX = "BENCH/"
TEMPLATE_AMOUNT = 1000.0

# `env` is provided by the Odoo shell.
company = env.ref("base.main_company")
# The context of the daily scheduled action: tracking and chatter included.
env = env(context=dict(env.context, allowed_company_ids=company.ids))
today = fields.Date.context_today(env["res.partner"])


def log(message):
    print(message, flush=True)


def measure(function):
    """Run ``function``; return (wall seconds, SQL queries, result). The CPU
    seconds of this process go to ``cpu_seconds`` (the machine may be shared:
    wall time then includes waiting for the CPU)."""
    global cpu_seconds
    env.flush_all()
    env.invalidate_all()
    queries = env.cr.sql_log_count
    start, cpu = time.perf_counter(), time.process_time()
    result = function()
    env.flush_all()
    cpu_seconds = time.process_time() - cpu
    return time.perf_counter() - start, env.cr.sql_log_count - queries, result


cpu_seconds = 0.0


# ---------------------------------------------------------------------------
# Customers
# ---------------------------------------------------------------------------
def ensure_customers():
    Partner = env["res.partner"]
    existing = Partner.search([("ref", "=like", "BENCH-%")], order="ref")
    salesperson = env.ref("base.user_admin")
    todo = []
    for index in range(len(existing), CUSTOMERS):
        todo.append(
            {
                "name": f"Bench Customer {index:05d}",
                "ref": f"BENCH-{index:05d}",
                # Three in four are businesses, the others consumers.
                "is_company": index % 4 != 0,
                # One in ten has no e-mail address (letters by post).
                "email": False if index % 10 == 9 else f"c{index:05d}@example.com",
                "user_id": salesperson.id if index % 5 == 0 else False,
                "street": f"Hauptstraße {index % 200 + 1}",
                "zip": f"{10000 + index % 89999:05d}",
                "city": "Berlin",
                "country_id": env.ref("base.de").id,
            }
        )
    for start in range(0, len(todo), 1000):
        existing |= Partner.create(todo[start : start + 1000])
    return existing[:CUSTOMERS]


# ---------------------------------------------------------------------------
# Invoices: one ORM invoice, copied with SQL
# ---------------------------------------------------------------------------
def template_invoice(partner):
    """A posted invoice of TEMPLATE_AMOUNT (no tax), due in 30 days (so it is
    not overdue itself): the model of every benchmark invoice."""
    move = env["account.move"].search(
        [("ref", "=", "BENCH-TEMPLATE"), ("company_id", "=", company.id)], limit=1
    )
    if move:
        return move
    move = env["account.move"].create(
        {
            "move_type": "out_invoice",
            "company_id": company.id,
            "partner_id": partner.id,
            "ref": "BENCH-TEMPLATE",
            "invoice_date": today,
            "invoice_date_due": fields.Date.add(today, days=30),
            "invoice_payment_term_id": False,
            "invoice_line_ids": [
                Command.create(
                    {
                        "name": "Benchmark service",
                        "quantity": 1,
                        "price_unit": TEMPLATE_AMOUNT,
                        "tax_ids": [Command.clear()],
                    }
                )
            ],
        }
    )
    move.action_post()
    env.flush_all()
    return move


def columns(table):
    return env.execute_query(
        SQL(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = %s AND column_name != 'id' ORDER BY ordinal_position",
            table,
        )
    )


def copy_expression(column, data_type, template, overrides):
    """SQL giving ``column`` of a copy: an override, or the template's value
    with amounts scaled to the copy's amount and dates moved to its dates."""
    if column in overrides:
        return overrides[column]
    value = SQL.identifier("t", column)
    if data_type == "numeric":
        return SQL(
            "CASE WHEN ABS(%(v)s) = %(a)s THEN SIGN(%(v)s) * b.amount ELSE %(v)s END",
            v=value,
            a=TEMPLATE_AMOUNT,
        )
    if data_type == "date":
        return SQL(
            "CASE WHEN %(v)s = %(due)s THEN b.due WHEN %(v)s = %(date)s "
            "THEN b.invoice_date ELSE %(v)s END",
            v=value,
            due=template.invoice_date_due,
            date=template.invoice_date,
        )
    if data_type == "character varying":
        return SQL(
            "CASE WHEN %(v)s = %(name)s THEN b.name ELSE %(v)s END",
            v=value,
            name=template.name,
        )
    return value


def add_invoices(template, partners, count):
    """Add ``count`` overdue invoices (1 to 200 days) to ``partners``."""
    first = (
        env.execute_query(
            SQL(
                "SELECT COALESCE(MAX(sequence_number), 0) FROM account_move "
                "WHERE sequence_prefix = %s",
                PREFIX,
            )
        )[0][0]
        + 1
    )
    env.cr.execute(SQL("DROP TABLE IF EXISTS bench_new"))
    env.cr.execute(
        SQL(
            """
            CREATE TEMP TABLE bench_new AS
            SELECT n,
                   nextval('account_move_id_seq') AS move_id,
                   (%(partners)s::int[])[1 + MOD(n, %(count)s)] AS partner_id,
                   %(prefix)s || LPAD(n::text, 7, '0') AS name,
                   %(today)s::date - (1 + MOD(n * 37, 200)) AS due,
                   %(today)s::date - (1 + MOD(n * 37, 200)) - 30 AS invoice_date,
                   ROUND(50 + MOD(n * 7919, 500000) / 100.0, 2) AS amount
              FROM generate_series(%(first)s, %(last)s) n
            """,
            partners=partners.ids,
            count=len(partners),
            prefix=PREFIX,
            today=today,
            first=first,
            last=first + count - 1,
        )
    )
    env.cr.execute(
        SQL(
            "ALTER TABLE bench_new ADD COLUMN partner_name varchar; "
            "UPDATE bench_new b SET partner_name = p.name "
            "FROM res_partner p WHERE p.id = b.partner_id"
        )
    )
    move_overrides = {
        "partner_id": SQL("b.partner_id"),
        "commercial_partner_id": SQL("b.partner_id"),
        "partner_shipping_id": SQL("b.partner_id"),
        "invoice_partner_display_name": SQL("b.partner_name"),
        "sequence_prefix": SQL("%s", PREFIX),
        "sequence_number": SQL("b.n"),
        "ref": SQL("NULL"),
        "access_token": SQL("NULL"),
    }
    move_columns = columns("account_move")
    env.cr.execute(
        SQL(
            "INSERT INTO account_move (id, %(names)s) SELECT b.move_id, %(values)s "
            "FROM bench_new b, account_move t WHERE t.id = %(template)s",
            names=SQL(", ").join(SQL.identifier(name) for name, _type in move_columns),
            values=SQL(", ").join(
                copy_expression(name, data_type, template, move_overrides)
                for name, data_type in move_columns
            ),
            template=template.id,
        )
    )
    line_overrides = {
        "move_id": SQL("b.move_id"),
        "partner_id": SQL("b.partner_id"),
        "ref": SQL("NULL"),
    }
    line_columns = columns("account_move_line")
    env.cr.execute(
        SQL(
            "INSERT INTO account_move_line (%(names)s) SELECT %(values)s "
            "FROM bench_new b, account_move_line t WHERE t.move_id = %(template)s",
            names=SQL(", ").join(SQL.identifier(name) for name, _type in line_columns),
            values=SQL(", ").join(
                copy_expression(name, data_type, template, line_overrides)
                for name, data_type in line_columns
            ),
            template=template.id,
        )
    )
    env.cr.execute(SQL("ANALYZE account_move; ANALYZE account_move_line"))
    env.invalidate_all()


def overdue_count():
    return env["account.move"].search_count(
        [
            ("company_id", "=", company.id),
            ("sequence_prefix", "=", PREFIX),
            ("state", "=", "posted"),
        ]
    )


def assign_segments():
    """Spread the customers over the segments with overrides (generated
    invoices have no payment history, so the rules alone would put nearly
    everyone at risk): strategic, established, standard, new, at risk."""
    segments = [
        env.ref(f"account_relationship_dunning.segment_{code}")
        for code in ("strategic", "established", "standard", "new")
    ]
    env.flush_all()
    for index, segment in enumerate(segments):
        env.cr.execute(
            SQL(
                """
                UPDATE account_dunning_profile p
                   SET segment_override_id = %(segment)s, segment_id = %(segment)s,
                       override_reason = 'Benchmark', override_user_id = %(uid)s
                  FROM res_partner r
                 WHERE r.id = p.partner_id AND r.ref LIKE %(pattern)s
                   AND p.company_id = %(company)s AND MOD(r.id, 5) = %(index)s
                """,
                segment=segment.id,
                uid=env.uid,
                company=company.id,
                index=index,
                pattern="BENCH-%",
            )
        )
    env.invalidate_all()


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
seconds, _queries, partners = measure(ensure_customers)
log(f"{len(partners)} customers ready ({seconds:.1f} s)")
template = template_invoice(partners[0])
env.cr.commit()  # keep the generated data: the shell never commits

results = []
for size in SIZES:
    missing = size - overdue_count()
    if missing > 0:
        seconds, _queries, _result = measure(
            lambda missing=missing: add_invoices(template, partners, missing)
        )
        log(f"{missing} overdue invoices generated ({seconds:.1f} s)")
        env.cr.commit()  # keep the generated data
    invoices = overdue_count()
    score_seconds, score_queries, profiles = measure(
        lambda: env["account.dunning.profile"]._recompute_scores(company)
    )
    score_cpu = cpu_seconds
    assign_segments()
    env.cr.commit()  # profiles are kept between sizes
    env.cr.execute(SQL("SAVEPOINT bench_run"))
    run_seconds, run_queries, run = measure(
        lambda: env["account.dunning.run"]._run_dunning(company)
    )
    run_cpu = cpu_seconds
    letters, calls, skipped = run.letter_count, run.call_count, run.skip_count
    env.cr.execute(SQL("ROLLBACK TO SAVEPOINT bench_run"))
    env.invalidate_all()
    results.append(
        (
            invoices,
            len(partners),
            len(profiles),
            score_seconds,
            score_cpu,
            score_queries,
            run_seconds,
            run_cpu,
            run_queries,
            letters,
            calls,
            skipped,
        )
    )
    log(
        f"size {invoices}: scoring {score_seconds:.1f} s / {score_queries} queries, "
        f"run {run_seconds:.1f} s (CPU {run_cpu:.1f} s) / {run_queries} queries, "
        f"load average {os.getloadavg()[0]:.1f}"
    )

header = (
    f"{'invoices':>9} {'customers':>9} {'profiles':>8} {'score s':>8} "
    f"{'(cpu)':>6} {'score q':>8} {'run s':>7} {'(cpu)':>6} {'run q':>7} "
    f"{'letters':>8} {'calls':>6} {'skipped':>8}"
)
log("")
log(header)
log("-" * len(header))
for row in results:
    log(
        "{:>9} {:>9} {:>8} {:>8.1f} {:>6.1f} {:>8} {:>7.1f} {:>6.1f} {:>7} {:>8} "
        "{:>6} {:>8}".format(*row)
    )
