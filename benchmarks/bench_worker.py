# One step of the benchmark, run inside `odoo shell` on one database:
#
#     BENCH_TASK=run python3 -m odoo shell -d DB --no-http < benchmarks/bench_worker.py
#
# benchmarks/bench.py starts this script once per step and database copy, so
# every step runs in a fresh process (its peak memory is its own) and commits
# like the scheduled action does. It prints one line
# `BENCH_RESULT {json}` with what it measured.
#
# BENCH_TASK:
#   data     top up the customers (BENCH_CUSTOMERS) and the overdue invoices
#            (BENCH_INVOICES) with bulk SQL copies of one ORM invoice; set up
#            the peer's policy (account_credit_control) when it is installed
#   score    first scoring of every customer (creates the profiles), then a
#            re-scoring; spreads the customers over the segments
#   run      the daily dunning run as the scheduled action runs it
#            (_cron_daily_run), committed; BENCH_RUN_DATE runs it for another day
#   stats    report the statistics of the dunning tables; BENCH_STATS=rolled_back
#            first runs the dunning and rolls it back (dead rows, old statistics)
#   peer     the peer's credit-line generation (BENCH_PEER_STEP=generate) or
#            its communication step (=communicate: grouping the lines per
#            customer and level), committed
import json
import os
import resource
import time

from odoo import Command, fields
from odoo.tools import SQL

TASK = os.environ["BENCH_TASK"]
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "5000"))
INVOICES = int(os.environ.get("BENCH_INVOICES", "0"))
PREFIX = "BENCH/"
TEMPLATE_AMOUNT = 1000.0
PEER_DELAYS = (7, 21, 35, 49)

# `env` is provided by the Odoo shell (superuser, like the scheduled actions).
company = env.ref("base.main_company")  # noqa: F821
env = env(context=dict(env.context, allowed_company_ids=company.ids))  # noqa: F821
today = fields.Date.context_today(env["res.partner"])


def rss_mb():
    """Current resident memory of this process (MB)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(function):
    """Run ``function`` and commit; return its wall and CPU seconds, SQL
    queries and result. Wall time includes the commit and any wait for the
    CPU or the database (the machine may be shared); CPU is Odoo's own."""
    env.flush_all()
    env.invalidate_all()
    queries = env.cr.sql_log_count
    start, cpu = time.perf_counter(), time.process_time()
    result = function()
    env.flush_all()
    env.cr.commit()
    return {
        "wall": time.perf_counter() - start,
        "cpu": time.process_time() - cpu,
        "queries": env.cr.sql_log_count - queries,
        "load": os.getloadavg()[0],
    }, result


def report(values):
    print("BENCH_RESULT " + json.dumps(values, default=str), flush=True)


# ---------------------------------------------------------------------------
# data: customers and invoices (one ORM invoice, copied with SQL)
# ---------------------------------------------------------------------------
def ensure_customers():
    # Test data, not measured: no chatter for the new customers.
    Partner = env["res.partner"].with_context(
        tracking_disable=True, mail_create_nolog=True
    )
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


def setup_peer():
    """One policy of the peer with levels at 7/21/35/49 days after the due
    date, e-mail, as the company default, on the receivable accounts."""
    if "credit.control.policy" not in env:
        return
    Policy = env["credit.control.policy"]
    if Policy.search([("name", "=", "Benchmark policy")]):
        return
    template = env.ref("account_credit_control.email_template_credit_control_base")
    receivable = env["account.account"].search(
        [
            *env["account.account"]._check_company_domain(company),
            ("account_type", "=", "asset_receivable"),
        ]
    )
    policy = Policy.create(
        {
            "name": "Benchmark policy",
            "company_id": company.id,
            "account_ids": [Command.set(receivable.ids)],
            "level_ids": [
                Command.create(
                    {
                        "name": f"{delay} days",
                        "level": index + 1,
                        "computation_mode": "net_days",
                        "delay_days": delay,
                        "email_template_id": template.id,
                        "channel": "email",
                        "custom_text": "Please pay.",
                        "custom_mail_text": "<p>Please pay.</p>",
                    }
                )
                for index, delay in enumerate(PEER_DELAYS)
            ],
        }
    )
    company.credit_policy_id = policy


def task_data():
    timing, partners = measure(ensure_customers)
    template = template_invoice(partners[0])
    missing = INVOICES - overdue_count()
    if missing > 0:
        add_invoices(template, partners, missing)
    setup_peer()
    env.cr.commit()
    report({"customers": len(partners), "invoices": overdue_count(), "wall": timing})


# ---------------------------------------------------------------------------
# score: first scoring (creates profiles), re-scoring, segments
# ---------------------------------------------------------------------------
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
    env.cr.commit()


def task_score():
    Profile = env["account.dunning.profile"]
    first, profiles = measure(lambda: Profile._recompute_scores(company))
    again, _profiles = measure(lambda: Profile._recompute_scores(company))
    assign_segments()
    report({"profiles": len(profiles), "first": first, "again": again})


# ---------------------------------------------------------------------------
# run: the daily dunning run, as the scheduled action runs it
# ---------------------------------------------------------------------------
def explain_slow_queries():
    """BENCH_EXPLAIN_MS=N: PostgreSQL logs the plan of every query of this
    process that takes N ms or more (auto_explain, in the server log)."""
    milliseconds = os.environ.get("BENCH_EXPLAIN_MS")
    if milliseconds:
        env.cr.execute(SQL("LOAD 'auto_explain'"))
        env.cr.execute(
            SQL(
                "SELECT set_config('auto_explain.log_min_duration', %s, false)",
                milliseconds,
            )
        )


def profiled(function):
    """BENCH_PROFILE=FILE: the Python profile of ``function`` (cProfile)."""
    path = os.environ.get("BENCH_PROFILE")
    if not path:
        return function
    import cProfile

    def run():
        profile = cProfile.Profile()
        result = profile.runcall(function)
        profile.dump_stats(path)
        return result

    return run


def task_run():
    Run = env["account.dunning.run"]
    day = os.environ.get("BENCH_RUN_DATE")
    explain_slow_queries()
    rss_before = rss_mb()
    if day:
        timing, _result = measure(profiled(lambda: Run._run_dunning(company, day)))
    else:
        timing, _result = measure(profiled(lambda: Run._cron_daily_run()))
    run = Run.search([("company_id", "=", company.id)], limit=1)
    report(
        {
            **timing,
            "state": run.state,
            "error": run.error_message or "",
            "invoices": run.invoice_count,
            "letters": run.letter_count,
            "calls": run.call_count,
            "skipped": run.skip_count,
            # counted by the run's letters' ids: "letter_id.run_id" is a
            # subquery PostgreSQL may run as a nested loop on fresh tables
            "letter_lines": env["account.dunning.letter.line"].search_count(
                [("letter_id", "in", run.letter_ids.ids)]
            ),
            "rss_before": rss_before,
            "rss_peak": peak_rss_mb(),
        }
    )


# ---------------------------------------------------------------------------
# stats: states of the statistics of the dunning tables before a run
# ---------------------------------------------------------------------------
DUNNING_TABLES = (
    "account_dunning_letter",
    "account_dunning_letter_line",
    "account_dunning_run",
    "account_dunning_run_line",
    "mail_activity",
    "mail_message",
    "mail_followers",
)


def task_stats():
    state = os.environ["BENCH_STATS"]
    if state == "rolled_back":
        # A whole run, rolled back: the tables keep the dead rows' pages while
        # their statistics still describe (nearly) empty tables.
        env.cr.execute(SQL("SAVEPOINT bench_stats"))
        env["account.dunning.run"]._run_dunning(company)
        env.flush_all()
        env.cr.execute(SQL("ROLLBACK TO SAVEPOINT bench_stats"))
        env.cr.commit()
    rows = env.execute_query(
        SQL(
            "SELECT relname, reltuples, relpages FROM pg_class "
            "WHERE relname = ANY(%s) ORDER BY relname",
            list(DUNNING_TABLES),
        )
    )
    report({"state": state, "tables": rows})


# ---------------------------------------------------------------------------
# peer: account_credit_control on the same data
# ---------------------------------------------------------------------------
def task_peer():
    """BENCH_PEER_STEP=generate: a credit control run generating the lines;
    =communicate: the communication step on the lines of the last run."""
    Run = env["credit.control.run"]
    rss_before = rss_mb()
    if os.environ.get("BENCH_PEER_STEP") == "communicate":
        lines = Run.search([("company_id", "=", company.id)], limit=1).line_ids
        timing, comms = measure(
            lambda: env[
                "credit.control.communication"
            ]._generate_comm_from_credit_lines(lines)
        )
        count = len(comms)
    else:
        run = Run.create({"date": today, "company_id": company.id})
        env.cr.commit()
        timing, _result = measure(run.generate_credit_lines)
        count = len(run.line_ids)
    report(
        {
            **timing,
            "count": count,
            "rss_before": rss_before,
            "rss_peak": peak_rss_mb(),
        }
    )


{
    "data": task_data,
    "score": task_score,
    "run": task_run,
    "stats": task_stats,
    "peer": task_peer,
}[TASK]()
