"""A payment registered while a dunning run is in progress.

Started by tools/bench_concurrency.sh (`make bench-concurrency`), which passes
the Odoo command line and a database with overdue invoices (by default the
benchmark's 5,000-invoice data database); run on its own:

    CONCURRENCY_DB=dun_bench_data_5000 BENCH_ODOO='["python3", "-m", "odoo",
        "shell", ...]' python3 benchmarks/concurrency.py

It copies the database (``createdb -T``) and starts two `odoo shell`
processes on the copy, each with its own connection and transaction:

1. the *run*: the daily dunning run as the scheduled action runs it. When it
   has written the invoices' dunning state (where earlier versions updated
   ``account_move``, locking the rows until the run committed) it names one
   dunned invoice and keeps its transaction open, without committing, until
   the payment is done (at most CONCURRENCY_WAIT seconds);
2. the *payment*: registers the full payment of that invoice through the
   payment wizard (``account.payment.register``) and commits, timed.

The payment runs with a lock timeout of 0.5 s: had the run locked a row the
payment writes, the payment would wait for the run's commit, which waits for
the payment, so it fails with LockNotAvailable instead of hanging. Then the
run goes on and commits, and the result for that customer is
checked: the paid invoice is either not in the customer's letter or the
letter is refused at sending (outdated amounts). With
CONCURRENCY_PAUSE=0 the run does not wait: the payment is simply started
while the run is still working.

Exit code 0 when the payment completed without error in under
CONCURRENCY_LIMIT seconds (default 2) and the run finished correctly.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

ROLE = os.environ.get("CONCURRENCY_ROLE")


# ---------------------------------------------------------------------------
# Roles (inside `odoo shell`, where `env` is given)
# ---------------------------------------------------------------------------
def role_run(env):  # pragma: no cover - runs inside odoo shell
    signal_dir = os.environ["CONCURRENCY_DIR"]
    pause = os.environ.get("CONCURRENCY_PAUSE", "1") == "1"
    wait = float(os.environ.get("CONCURRENCY_WAIT", "60"))
    company = env.ref("base.main_company")
    env = env(context=dict(env.context, allowed_company_ids=company.ids))
    Line = env.registry["account.dunning.letter.line"]
    original = Line._apply_invoice_levels
    announced = {}

    def apply_and_announce(lines):
        result = original(lines)
        if lines and not announced:
            line = lines.sorted("id")[0]
            announced.update(move_id=line.move_id.id, partner_id=line.partner_id.id)
            print("RUN_IN_PROGRESS " + json.dumps(announced), flush=True)
            if pause:
                done = os.path.join(signal_dir, "payment_done")
                deadline = time.monotonic() + wait
                while not os.path.exists(done) and time.monotonic() < deadline:
                    time.sleep(0.05)
        return result

    Line._apply_invoice_levels = apply_and_announce
    start = time.perf_counter()
    try:
        env["account.dunning.run"]._cron_daily_run()
        env.cr.commit()
    finally:
        Line._apply_invoice_levels = original
    wall = time.perf_counter() - start
    env.invalidate_all()
    run = env["account.dunning.run"].search([("company_id", "=", company.id)], limit=1)
    move = env["account.move"].browse(announced.get("move_id"))
    letter = env["account.dunning.letter"].search(
        [("run_id", "=", run.id), ("partner_id", "=", announced.get("partner_id"))]
    )
    in_letter = move in letter.line_ids.move_id
    outdated = bool(in_letter and letter._get_outdated_message())
    print(
        "CONCURRENCY_RESULT "
        + json.dumps(
            {
                "role": "run",
                "wall": wall,
                "state": run.state,
                "error": run.error_message or "",
                "invoices": run.invoice_count,
                "letters": run.letter_count,
                "move": move.name,
                "payment_state": move.payment_state,
                "in_letter": in_letter,
                "refused_at_sending": outdated,
                "correct": run.state == "done"
                and move.payment_state in ("paid", "in_payment")
                and (not in_letter or outdated),
                "load": os.getloadavg()[0],
            }
        ),
        flush=True,
    )


def role_pay(env):  # pragma: no cover - runs inside odoo shell
    signal_dir = os.environ["CONCURRENCY_DIR"]
    company = env.ref("base.main_company")
    env = env(context=dict(env.context, allowed_company_ids=company.ids))

    def pay(move):
        wizard = (
            env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"payment_date": move.invoice_date_due})
        )
        wizard.action_create_payments()

    # The same payment on another invoice before the run starts, rolled
    # back: the cost of a payment on this machine at this moment, with warm
    # caches (the first payment of a fresh process loads them).
    other = env["account.move"].search(
        [("move_type", "=", "out_invoice"), ("payment_state", "=", "not_paid")],
        order="id desc",
        limit=1,
    )
    start, cpu = time.perf_counter(), time.process_time()
    pay(other)
    env.flush_all()
    reference = {
        "wall": time.perf_counter() - start,
        "cpu": time.process_time() - cpu,
    }
    env.cr.rollback()
    env.invalidate_all()
    go = os.path.join(signal_dir, "pay")
    while not os.path.exists(go):
        time.sleep(0.02)
    with open(go, encoding="utf-8") as handle:
        move_id = json.load(handle)["move_id"]
    env.cr.rollback()  # a fresh transaction, as for a new request
    # Any wait for a lock held by the run longer than this fails the payment.
    env.cr.execute("SET lock_timeout = '500ms'")
    start, cpu = time.perf_counter(), time.process_time()
    error = ""
    try:
        pay(env["account.move"].browse(move_id))
        env.cr.commit()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        env.cr.rollback()
        error = f"{type(exc).__name__}: {exc}"
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    with open(os.path.join(signal_dir, "payment_done"), "w", encoding="utf-8"):
        pass
    print(
        "CONCURRENCY_RESULT "
        + json.dumps(
            {
                "role": "pay",
                "wall": wall,
                "cpu": cpu,
                "reference": reference,
                "error": error,
                "load": os.getloadavg()[0],
            }
        ),
        flush=True,
    )


# ---------------------------------------------------------------------------
# Orchestration (plain Python)
# ---------------------------------------------------------------------------
def start(role, db, signal_dir):
    environ = dict(os.environ, CONCURRENCY_ROLE=role, CONCURRENCY_DIR=signal_dir)
    return subprocess.Popen(
        [*json.loads(os.environ["BENCH_ODOO"]), "-d", db],
        stdin=open(os.path.abspath(__file__), encoding="utf-8"),  # noqa: SIM115
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environ,
        text=True,
    )


def result_of(lines):
    for line in lines:
        if line.startswith("CONCURRENCY_RESULT "):
            return json.loads(line.split(" ", 1)[1])
    return None


def main():
    source = os.environ["CONCURRENCY_DB"]
    db = os.environ.get("CONCURRENCY_COPY", f"{source}_concurrency")
    limit = float(os.environ.get("CONCURRENCY_LIMIT", "2"))
    subprocess.run(["dropdb", "--if-exists", "--force", db], check=True)
    subprocess.run(["createdb", "-T", source, db], check=True)
    signal_dir = tempfile.mkdtemp(prefix="dunning-concurrency-")
    payer = start("pay", db, signal_dir)
    runner = start("run", db, signal_dir)
    run_lines = []
    for line in runner.stdout:
        run_lines.append(line)
        if line.startswith("RUN_IN_PROGRESS "):
            announced = json.loads(line.split(" ", 1)[1])
            print(f"run in progress; paying invoice id {announced['move_id']}")
            with open(os.path.join(signal_dir, "pay.tmp"), "w", encoding="utf-8") as f:
                json.dump(announced, f)
            os.rename(
                os.path.join(signal_dir, "pay.tmp"), os.path.join(signal_dir, "pay")
            )
            break
    pay_out, pay_err = payer.communicate(timeout=600)
    run_out, run_err = runner.communicate(timeout=1800)
    pay = result_of(pay_out.splitlines())
    run = result_of(run_lines + run_out.splitlines())
    if not pay or not run:
        sys.stderr.write(pay_err[-3000:] + run_err[-3000:])
        raise SystemExit("a process of the concurrency check failed")
    print(
        f"payment during the run: {pay['wall']:.2f} s wall, {pay['cpu']:.2f} s "
        "CPU, lock timeout 0.5 s"
        + (f", ERROR {pay['error']}" if pay["error"] else ", no error")
        + f" (load {pay['load']:.1f}); the same payment without a run: "
        f"{pay['reference']['wall']:.2f} s wall, {pay['reference']['cpu']:.2f} s CPU"
    )
    print(
        f"run: {run['wall']:.1f} s, state {run['state']} {run['error']}, "
        f"{run['invoices']} invoices, {run['letters']} letters (load "
        f"{run['load']:.1f})"
    )
    print(
        f"paid invoice {run['move']}: payment state {run['payment_state']}, in the "
        f"letter: {run['in_letter']}, refused at sending: "
        f"{run['refused_at_sending']}; correct: {run['correct']}"
    )
    subprocess.run(["dropdb", "--if-exists", "--force", db], check=True)
    ok = not pay["error"] and pay["wall"] < limit and run["correct"]
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if ROLE == "run":
    role_run(env)  # noqa: F821 - given by odoo shell
elif ROLE == "pay":
    role_pay(env)  # noqa: F821 - given by odoo shell
elif __name__ == "__main__":
    main()
