"""Count the faults injected by the fault tests and how many were survived.

Runs the fault tests with pytest (or reads a JUnit XML file they wrote) and prints one line
per test case, then the totals. A fault is one injection (a parametrized case is one; the
cases that check the same injection count once); it is survived when all its checks pass,
survived with a known problem when some check is an ``xfail`` (wrong behaviour documented in
docs/faults.md). Data lost counts the failed checks among those that a previous
publication, output file or registered version is still there, whole.

Run: ``.venv/bin/python benchmarks/faults_report.py`` (starts MLflow servers and kills
processes; about 15 minutes on 2 cores) or ``--junit results.xml`` to count a run made with
``pytest --junitxml results.xml`` on the same tests.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: the fault tests; the ones under tests/forecast and tests/training predate tests/faults
TESTS = [
    "tests/faults/test_tracking_faults.py",
    "tests/faults/test_publish_faults.py",
    "tests/faults/test_bulk_faults.py",
    "tests/training/test_server.py::test_stopped_server_fails_fast_and_registers_nothing",
    "tests/forecast/test_publish.py::test_missing_model_version_is_exit_3_and_nothing_written",
    "tests/forecast/test_publish.py::test_corrupted_model_artifact_is_exit_3_and_nothing_written",
    "tests/forecast/test_publish.py::test_unreachable_tracking_server_is_exit_3_and_nothing_written",
    "tests/forecast/test_publish.py::test_write_failure_keeps_the_previous_publication",
    "tests/forecast/test_publish_atomic.py::test_a_kill_at_any_step_leaves_the_old_or_the_new_publication",
    "tests/forecast/test_publish_atomic.py::test_a_held_lock_makes_publish_fail_fast_with_exit_75",
    "tests/forecast/test_publish_atomic.py::test_two_publishes_started_together_one_wins_the_other_reports_it",
]
#: test cases that check one injected fault together (one fault, several checks)
SAME_FAULT = {
    "server_killed_during_training": ("tracking server killed during training",),
    "server_gone_during_registration": ("tracking server gone during registration",),
    "slow_server_retries": ("slow tracking API",),
    "slow_server_exits_3": ("slow tracking API",),
    "slow_registration": ("slow version creation",),
    "half_registered": ("tracking server gone during registration", "slow version creation"),
    "unwritable_artifact_store_": ("artifact store not writable (server)",),
    "unwritable_local_artifact_store": ("artifact store not writable (local)",),
    "bulk_faults::test_full_disk": ("disk full under bulk output",),
}
#: checks that inject no fault (determinism of the output): reported, not counted
NOT_A_FAULT = ("gzip_output_is_byte_identical",)
#: words in a test's name that mark a check that nothing was lost
KEEPS = ("keep", "previous", "identical", "leaves", "registers_nothing", "moves_no_alias",
         "uninterrupted", "nothing_written", "one_wins")


def faults_of(name: str) -> tuple[str, ...]:
    """The injected faults a test case checks (its own name unless it shares one)."""
    for key, faults in SAME_FAULT.items():
        if key in name:
            return faults
    return (name,)


def run_pytest(xml: Path) -> None:
    """Run the fault tests, writing JUnit XML to ``xml``."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}",
           *TESTS]
    subprocess.run(cmd, cwd=ROOT, check=False)


def outcomes(xml: Path) -> list[tuple[str, str]]:
    """(test id, outcome) per case: passed, xfailed, xpassed, failed, skipped."""
    out = []
    for case in ET.parse(xml).getroot().iter("testcase"):
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
        kinds = {child.tag: child for child in case}
        if "failure" in kinds or "error" in kinds:
            outcome = "failed"
        elif "skipped" in kinds:
            outcome = "xfailed" if kinds["skipped"].get("type") == "pytest.xfail" else "skipped"
        else:
            props = {p.get("name") for p in case.iter("property")}
            outcome = "xpassed" if "xpass" in props else "passed"
        out.append((name, outcome))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--junit", type=Path, help="count this JUnit XML instead of running")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        xml = args.junit
        if xml is None:
            xml = Path(tmp) / "faults.xml"
            run_pytest(xml)
        cases = outcomes(xml)
    for name, outcome in cases:
        print(f"{outcome:8s} {name}")
    counts = Counter(outcome for _, outcome in cases)
    faults: dict[str, list[str]] = {}
    for name, outcome in cases:
        if outcome != "skipped" and not any(k in name for k in NOT_A_FAULT):
            for fault in faults_of(name):
                faults.setdefault(fault, []).append(outcome)
    survived = sum(all(o == "passed" for o in v) for v in faults.values())
    partly = sum(any(o == "xfailed" for o in v) and "failed" not in v
                 for v in faults.values())
    lost = sum(1 for name, outcome in cases
               if outcome == "failed" and any(w in name for w in KEEPS))
    print(f"test cases {len(cases)}: passed {counts['passed']}, xfailed {counts['xfailed']}, "
          f"failed {counts['failed']}, xpassed {counts['xpassed']}, skipped "
          f"{counts['skipped']}")
    print(f"faults injected {len(faults)}, survived {survived}, survived with a known "
          f"problem (an xfail check: wrong exit code or a leftover version) {partly}, "
          f"failed {len(faults) - survived - partly}; data lost: {lost}")
    return 0 if counts["failed"] == 0 and lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
