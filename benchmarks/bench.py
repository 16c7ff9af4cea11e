"""Benchmark of the relationship scoring and the dunning run, side by side with
OCA's account_credit_control on the same data.

Started by tools/bench.sh (`make bench`), which builds the base database and
passes the Odoo command line; run on its own:

    BENCH_BASE_DB=dunning_bench BENCH_ODOO='["python3", "-m", "odoo", "shell", ...]' \\
        python3 benchmarks/bench.py

For each size of BENCH_SIZES (overdue invoices, ascending) it builds a data
database from the previous one (`createdb -T`, then benchmarks/bench_worker.py
tops the invoices up), scores every customer for the first time (creates
the profiles) and once more, and then BENCH_REPEAT times:

1. copies the data database (`createdb -T`): every repetition starts from the
   same committed state, with tables as a first run after go-live finds them;
2. runs the daily dunning as the scheduled action does (`_cron_daily_run`,
   tracking and chatter included) and commits; records wall time, Odoo's CPU
   time, SQL queries and the peak memory (RSS) of the process;
3. (the first BENCH_PEER_REPEAT repetitions) runs the peer's credit-line
   generation and its communication step on the same copy.

Each step is a fresh `odoo shell` process. At the largest size the run is then
measured once in each other state of PostgreSQL's statistics (BENCH_STATES).
The medians are printed as tables and, unless BENCH_README is empty, written
into the README between the `bench:begin` and `bench:end` markers.
"""

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORKER = os.path.join(HERE, "bench_worker.py")

BASE_DB = os.environ["BENCH_BASE_DB"]
PREFIX = os.environ.get("BENCH_DB_PREFIX", BASE_DB)
ODOO = json.loads(os.environ["BENCH_ODOO"])
SIZES = sorted(
    int(s) for s in os.environ.get("BENCH_SIZES", "5000 20000 50000").split()
)
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "5000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
# The largest size may be measured fewer times when the whole benchmark would
# take too long (its statistics states are measured once each anyway).
LARGEST_REPEAT = int(os.environ.get("BENCH_LARGEST_REPEAT", str(REPEAT)))
PEER = os.environ.get("BENCH_PEER", "1") == "1"
PEER_REPEAT = int(os.environ.get("BENCH_PEER_REPEAT", "1"))
PEER_TIMEOUT = int(os.environ.get("BENCH_PEER_TIMEOUT", "1800"))
STATES = os.environ.get(
    "BENCH_STATES", "rolled_back analyzed_empty earlier_letters"
).split()
README = os.environ.get("BENCH_README", os.path.join(REPO, "README.md"))
KEEP = os.environ.get("BENCH_KEEP", "0") == "1"
# Keep data databases of an earlier call (BENCH_KEEP=1); the invoices are
# topped up to the size all the same.
REUSE_DATA = os.environ.get("BENCH_REUSE_DATA", "0") == "1"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

loads = []  # load averages seen at every measurement


def log(message):
    print(message, flush=True)


def psql(db, sql):
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def db_exists(db):
    found = subprocess.run(
        [
            "psql",
            "-X",
            "-d",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{db}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return found.stdout.strip() == "1"


def dropdb(db):
    subprocess.run(["dropdb", "--if-exists", "--force", db], check=True)


def copydb(source, target):
    """A copy of ``source``: the same committed data and statistics (the
    filestore is not copied: the assets are rebuilt if anything renders)."""
    dropdb(target)
    subprocess.run(["createdb", "-T", source, target], check=True)
    psql(target, "DELETE FROM ir_attachment WHERE url LIKE '/web/assets/%'")


def worker(db, task, timeout=None, **env):
    """Run one benchmark step in a fresh `odoo shell`; return its result
    (``None`` when it was stopped after ``timeout`` seconds)."""
    environ = dict(
        os.environ,
        BENCH_TASK=task,
        BENCH_CUSTOMERS=str(CUSTOMERS),
        **{key: str(value) for key, value in env.items()},
    )
    with open(WORKER, encoding="utf-8") as script:
        try:
            done = subprocess.run(
                [*ODOO, "-d", db],
                stdin=script,
                env=environ,
                capture_output=True,
                text=True,
                check=False,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return None
    results = [
        json.loads(line.split(" ", 1)[1])
        for line in done.stdout.splitlines()
        if line.startswith("BENCH_RESULT ")
    ]
    if done.returncode or not results:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-6000:])
        raise SystemExit(f"benchmark step {task} on {db} failed")
    result = results[-1]
    for value in result.values():
        if isinstance(value, dict) and "load" in value:
            loads.append(value["load"])
    return result


def median(values):
    return statistics.median(values) if values else float("nan")


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------
def measure_size(data_db, size, largest):
    copy = f"{PREFIX}_copy"
    reps = []
    # The scoring (first, then again) once per size, on a copy of the data
    # database (the next size grows the data database, still unscored):
    # every run below starts from the profiles it created.
    scored = f"{PREFIX}_scored"
    copydb(data_db, scored)
    score = worker(scored, "score")
    for rep in range(LARGEST_REPEAT if largest else REPEAT):
        copydb(scored, copy)
        run = worker(copy, "run")
        if run["state"] != "done":
            raise SystemExit(f"dunning run failed: {run['error']}")
        peer = measure_peer(copy) if PEER and rep < PEER_REPEAT else None
        first, again = score["first"]["wall"], score["again"]["wall"]
        log(
            f"  {size} invoices, repetition {rep + 1}: scoring {first:.1f} s / "
            f"re-scoring {again:.1f} s, run {run['wall']:.1f} s (CPU "
            f"{run['cpu']:.1f} s, {run['queries']} queries, {run['rss_peak']:.0f} MB)"
            + (
                f", peer generation {peer['generation']['wall']:.1f} s, "
                f"communication {peer_wall(peer['communication'])}"
                if peer
                else ""
            )
            + f"; load {run['load']:.1f}"
        )
        reps.append((score, run, peer))
    states = []
    if largest:
        for state in STATES:
            states.append(measure_state(scored, copy, state))
    if not KEEP:
        dropdb(copy)
        dropdb(scored)
    return {"size": size, "reps": reps, "states": states}


def measure_peer(copy):
    """The peer's generation, then its communication step (stopped after
    BENCH_PEER_TIMEOUT seconds, reported as such)."""
    generation = worker(copy, "peer", BENCH_PEER_STEP="generate")
    communication = worker(
        copy, "peer", timeout=PEER_TIMEOUT, BENCH_PEER_STEP="communicate"
    ) or {"wall": float(PEER_TIMEOUT), "queries": None, "stopped": True}
    return {"generation": generation, "communication": communication}


def peer_wall(step):
    if step.get("stopped"):
        return f"> {step['wall']:.0f} s (stopped)"
    return f"{step['wall']:.1f} s"


def measure_state(data_db, copy, state):
    """One run at the largest size with the statistics in ``state``."""
    copydb(data_db, copy)
    if state == "rolled_back":
        # What a rolled-back run leaves once autovacuum passed: the dead rows
        # removed, the pages kept (truncation needs a lock it may not get),
        # statistics of 0 rows. BENCH_ROLLBACK_RUN=1 rolls a real run back;
        # by default as many letter rows as the run creates are inserted and
        # rolled back with SQL (the same state, minutes faster).
        if os.environ.get("BENCH_ROLLBACK_RUN") == "1":
            worker(copy, "stats", BENCH_STATS="rolled_back")
        else:
            psql(copy, ROLLED_BACK_ROWS)
        psql(copy, f"VACUUM (TRUNCATE false, ANALYZE) {', '.join(DUNNING_TABLES)}")
    elif state == "analyzed_empty":
        # Statistics taken while the dunning tables were (nearly) empty.
        psql(copy, "VACUUM ANALYZE")
    elif state == "earlier_letters":
        # Letters of a run two weeks ago (committed, statistics as
        # autovacuum left them): today's run escalates and claims again.
        worker(copy, "run", BENCH_RUN_DATE=date.today() - timedelta(days=14))
        # ... and sent: today's letters claim on top of them.
        psql(
            copy,
            "UPDATE account_dunning_letter SET state = 'done', claims_frozen = TRUE "
            "WHERE state IN ('ready', 'to_approve')",
        )
    tables = worker(copy, "stats", BENCH_STATS=state)["tables"]
    run = worker(copy, "run")
    if run["state"] != "done":
        raise SystemExit(f"dunning run failed: {run['error']}")
    letters = {name: int(tuples) for name, tuples, _pages in tables}
    log(
        f"  state {state}: run {run['wall']:.1f} s (CPU {run['cpu']:.1f} s, "
        f"{run['queries']} queries); statistics before: {letters}; "
        f"load {run['load']:.1f}"
    )
    return {"state": state, "run": run, "tables": tables}


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------
DUNNING_TABLES = (
    "account_dunning_letter",
    "account_dunning_letter_line",
    "account_dunning_run",
    "account_dunning_run_line",
)
# One letter per customer, one line per overdue invoice, like a run; rolled
# back (foreign keys are not checked: the rows never become visible).
ROLLED_BACK_ROWS = """
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO account_dunning_letter
       (id, name, company_id, partner_id, level_id, channel, state, date, currency_id)
SELECT -g, 'rolled back ' || g, 1, -g, 1, 'email', 'ready', CURRENT_DATE, 1
  FROM generate_series(1, (SELECT COUNT(*) FROM res_partner)) g;
INSERT INTO account_dunning_letter_line
       (letter_id, company_id, move_id, move_name, currency_id)
SELECT -1, 1, id, name, currency_id FROM account_move;
ROLLBACK;
"""
STATE_LABELS = {
    "fresh": "fresh tables (first run after go-live)",
    "rolled_back": "after a rolled-back run and a vacuum (pages kept, 0 rows)",
    "analyzed_empty": "after VACUUM ANALYZE of the empty tables",
    "earlier_letters": "letters of a run two weeks earlier, sent",
}


def fmt(number, digits=1):
    return f"{number:,.{digits}f}"


def tables(results):
    out = []
    out.append(
        "| overdue invoices | customers | first scoring s | re-scoring s | "
        "dunning run s (CPU) | SQL queries | letters | calls | letter lines | "
        "peak RSS MB |"
    )
    out.append(
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for result in results:
        scores = [r[0] for r in result["reps"]]
        runs = [r[1] for r in result["reps"]]
        out.append(
            "| {size} | {customers} | {first} | {again} | {wall} ({cpu}) | "
            "{queries} | {letters} | {calls} | {lines} | {rss} |".format(
                size=f"{result['size']:,}",
                customers=f"{scores[0]['profiles']:,}",
                first=fmt(median([s["first"]["wall"] for s in scores])),
                again=fmt(median([s["again"]["wall"] for s in scores])),
                wall=fmt(median([r["wall"] for r in runs])),
                cpu=fmt(median([r["cpu"] for r in runs])),
                queries=f"{int(median([r['queries'] for r in runs])):,}",
                letters=f"{runs[0]['letters']:,}",
                calls=f"{runs[0]['calls']:,}",
                lines=f"{runs[0]['letter_lines']:,}",
                rss=fmt(median([r["rss_peak"] for r in runs]), 0),
            )
        )
    out.append("")
    out.append(
        "Median of the repetitions; every run of a size, wall seconds: "
        + "; ".join(
            f"{r['size']:,}: " + ", ".join(fmt(rep[1]["wall"]) for rep in r["reps"])
            for r in results
        )
        + "."
    )
    largest = results[-1]
    if largest["states"]:
        out.append("")
        out.append(
            f"The run over {largest['size']:,} invoices in each state of "
            "PostgreSQL's statistics of the dunning tables:"
        )
        out.append("")
        out.append("| statistics before the run | dunning run s (CPU) | SQL queries |")
        out.append("| --- | ---: | ---: |")
        runs = [r[1] for r in largest["reps"]]
        out.append(
            f"| {STATE_LABELS['fresh']} (median above) | "
            f"{fmt(median([r['wall'] for r in runs]))} "
            f"({fmt(median([r['cpu'] for r in runs]))}) | "
            f"{int(median([r['queries'] for r in runs])):,} |"
        )
        for state in largest["states"]:
            run = state["run"]
            out.append(
                f"| {STATE_LABELS.get(state['state'], state['state'])} | "
                f"{fmt(run['wall'])} ({fmt(run['cpu'])}) | {run['queries']:,} |"
            )
    peers = [(result, [r for r in result["reps"] if r[2]]) for result in results]
    peers = [(result, reps) for result, reps in peers if reps]
    if peers:
        out.append("")
        out.append(
            "Side by side with OCA `account_credit_control` 18.0 on the same data "
            "(one policy, levels at 7/21/35/49 days, company default): its credit-line "
            "generation, then its communication step (grouping the lines per "
            "customer and level), each committed:"
        )
        out.append("")
        out.append(
            "| overdue invoices | our run s / queries | peer generation s / queries "
            "| peer communication s / queries | faster than generation | "
            "faster than generation + communication | fewer queries |"
        )
        out.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for result, reps in peers:
            runs = [r[1] for r in result["reps"]]
            ours = median([r["wall"] for r in runs])
            our_q = median([r["queries"] for r in runs])
            gen = median([r[2]["generation"]["wall"] for r in reps])
            gen_q = median([r[2]["generation"]["queries"] for r in reps])
            coms = [r[2]["communication"] for r in reps]
            com = median([c["wall"] for c in coms])
            stopped = any(c.get("stopped") for c in coms)
            com_q = 0 if stopped else median([c["queries"] for c in coms])
            more = "> " if stopped else ""
            out.append(
                f"| {result['size']:,} | {fmt(ours)} / {int(our_q):,} | "
                f"{fmt(gen)} / {int(gen_q):,} | "
                + (
                    f"> {fmt(com, 0)} (stopped) / ? | "
                    if stopped
                    else f"{fmt(com)} / {int(com_q):,} | "
                )
                + f"{gen / ours:.1f}× | {more}{(gen + com) / ours:.1f}× | "
                f"{more}{(gen_q + com_q) / our_q:.0f}× |"
            )
        out.append("")
        out.append(
            f"The peer was measured in {min(len(reps) for _r, reps in peers)} "
            "repetition(s) per size (BENCH_PEER_REPEAT); a step still running "
            f"after {PEER_TIMEOUT} s is stopped (BENCH_PEER_TIMEOUT)."
        )
    return out


def machine_line(started):
    cpus = os.cpu_count()
    commit = subprocess.run(
        ["git", "-C", REPO, "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return (
        f"Measured by `make bench` on {started:%Y-%m-%d} (commit {commit or '?'}), "
        f"{cpus} CPU cores, Python {platform.python_version()}; 1-minute load average "
        f"during the measurements {min(loads):.1f}–{max(loads):.1f} (a load above "
        f"{cpus} means other processes shared the CPUs: wall times include waiting)."
    )


def write_readme(block):
    with open(README, encoding="utf-8") as handle:
        text = handle.read()
    if BEGIN not in text or END not in text:
        log(f"{README} has no {BEGIN} ... {END} markers: not updated")
        return
    head, rest = text.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    with open(README, "w", encoding="utf-8") as handle:
        handle.write(head + BEGIN + "\n" + block + "\n" + END + tail)
    log(f"{README} updated")


def main():
    started = datetime.now(UTC)
    clock = time.perf_counter()
    results = []
    source = BASE_DB
    data_dbs = []
    for size in SIZES:
        data_db = f"{PREFIX}_data_{size}"
        if not (REUSE_DATA and db_exists(data_db)):
            copydb(source, data_db)
        data = worker(data_db, "data", BENCH_INVOICES=size)
        log(f"{data['invoices']:,} overdue invoices of {data['customers']:,} customers")
        results.append(measure_size(data_db, data["invoices"], size == SIZES[-1]))
        data_dbs.append(data_db)
        source = data_db
        if not KEEP:
            for old in data_dbs[:-1]:
                dropdb(old)
            data_dbs = data_dbs[-1:]
    if not KEEP:
        for old in data_dbs:
            dropdb(old)
    block = "\n".join([machine_line(started), "", *tables(results)])
    log("")
    log(block)
    log(f"\n(benchmark took {(time.perf_counter() - clock) / 60:.0f} minutes)")
    if README:
        write_readme(block)


if __name__ == "__main__":
    main()
