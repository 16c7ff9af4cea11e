"""pytest plugin used by tools/pytest.sh (``make test``) next to pytest-odoo.

Two checks that Odoo's own test runner makes and pytest does not:

* A record logged at ERROR or CRITICAL level while a test runs fails that
  test (or errors its set-up / tear-down), with the log lines in the report.
  Loggers a test silences on purpose (``mute_logger``, ``assertLogs``) do not
  propagate to the root logger and are not seen. Lines logged outside any
  test (session start-up or shutdown) fail the run and are listed in the
  summary.
* No test run at all (pytest's exit code 5, e.g. a ``-k`` that selects
  nothing) is a failure, not a success.

Loaded with ``-p pytest_odoo_checks`` and ``tools/`` on ``PYTHONPATH``.
"""

import logging

import pytest

MAX_LINES = 20


class _ErrorCollector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record):
        try:
            self.records.append(self.format(record))
        except Exception:  # pragma: no cover - never let logging break a test
            self.records.append(f"{record.levelname} {record.name}: {record.msg}")

    def take(self):
        records, self.records = self.records, []
        return records


def _as_text(lines):
    shown = lines[:MAX_LINES]
    text = "\n".join(shown)
    if len(lines) > MAX_LINES:
        text += f"\n... and {len(lines) - MAX_LINES} more"
    return text


class OdooChecks:
    def __init__(self):
        self.collector = _ErrorCollector()
        self.outside = []
        self.no_tests = False

    def pytest_configure(self, config):
        logging.getLogger().addHandler(self.collector)

    def pytest_unconfigure(self, config):
        logging.getLogger().removeHandler(self.collector)

    def pytest_runtest_logstart(self, nodeid, location):
        # lines logged between two tests (e.g. a class tear-down) belong to
        # no test: keep them for the summary
        self.outside.extend(self.collector.take())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        lines = self.collector.take()
        if lines:
            text = (
                f"{len(lines)} ERROR/CRITICAL line(s) in Odoo's log during "
                f"{report.when}:\n{_as_text(lines)}"
            )
            if report.passed:
                report.outcome = "failed"
                report.longrepr = text
            else:
                report.sections.append((f"Odoo log errors ({report.when})", text))
        return report

    def pytest_sessionfinish(self, session, exitstatus):
        self.outside.extend(self.collector.take())
        if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
            self.no_tests = True
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        elif self.outside and exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter):
        if self.outside:
            terminalreporter.section("ERROR lines in Odoo's log outside the tests")
            terminalreporter.line(_as_text(self.outside))
        if self.no_tests:
            terminalreporter.section("no test ran")
            terminalreporter.line(
                "No test was selected or collected: this counts as a failure."
            )


def pytest_configure(config):
    config.pluginmanager.register(OdooChecks(), "odoo-checks")
