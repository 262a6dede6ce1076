"""``orecast bulk --output DIR/``: a folder of parts placed whole, and resumed after a kill.

``orecast bulk`` runs as a separate process (its own session, so its worker processes go
with it) on 120 simulated plants, Theta-SES, 200 paths, chunks of 10 series (12 parts). It
is killed with SIGKILL from outside once two parts are recorded in its staging folder, or
kills itself at a named step (``ORECAST_TEST_KILL_AT``, a real SIGKILL: no cleanup runs).
Then DIR holds nothing (or the previous output, whole), and the same command run again
keeps the finished parts and writes exactly the parts and manifest of an uninterrupted run
(the manifest's ``run`` block aside: it says what each run did).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from forecast.bulk.parts import MANIFEST, PARTS_FORMAT
from forecast.cli import main
from tests.faults import write_series_csv

N_SERIES = 120
ARGS = ("--horizon", "12", "--model", "theta_ses", "--n-paths", "200", "--chunk-size", "10")
N_PARTS = 12


@pytest.fixture(scope="module")
def series_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_series_csv(tmp_path_factory.mktemp("parts-input") / "plants.csv", N_SERIES,
                            96, seed=5)


def _bulk(series_csv: Path, out: Path, *more: str) -> int:
    return main(["bulk", "--input", str(series_csv), "--output", f"{out}/", *ARGS,
                 "--no-progress", *more])


def _folder(out: Path) -> tuple[dict[str, bytes], dict, dict]:
    """(bytes of every part by relative path, the manifest without ``run``, ``run``)."""
    parts = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.parquet"))}
    manifest = json.loads((out / MANIFEST).read_text())
    return parts, {k: v for k, v in manifest.items() if k != "run"}, manifest["run"]


@pytest.fixture(scope="module")
def reference(series_csv: Path, tmp_path_factory: pytest.TempPathFactory):
    """An uninterrupted serial run."""
    out = tmp_path_factory.mktemp("parts-reference") / "out"
    assert _bulk(series_csv, out) == 0
    return _folder(out)


def test_parts_and_manifest_describe_each_other_and_match_the_single_file(series_csv,
                                                                           reference,
                                                                           tmp_path):
    parts, manifest, run = reference
    assert manifest["format"] == PARTS_FORMAT
    assert len(manifest["parts"]) == N_PARTS
    assert sorted(parts) == sorted([p["forecasts"] for p in manifest["parts"]]
                                   + [p["failures"] for p in manifest["parts"]])
    assert manifest["totals"] == {"series": N_SERIES, "rows": N_SERIES * 12, "fallbacks": 0}
    assert run["parts_computed"] == N_PARTS and run["parts_reused"] == 0
    assert run["series_per_s"] > 0 and run["wall_s"] > 0
    # The parts read back as one table are the single-file output, row for row.
    assert main(["bulk", "--input", str(series_csv), "--output", str(tmp_path / "one.csv"),
                 *ARGS, "--no-progress"]) == 0
    one = pd.read_csv(tmp_path / "one.csv")
    out = tmp_path / "read"
    for name, data in parts.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    both = pd.read_parquet(out / "forecasts")
    pd.testing.assert_frame_equal(both, one, check_exact=False, rtol=1e-12)
    assert pd.read_parquet(out / "failures").empty


def test_other_backend_same_parts(series_csv, reference, tmp_path):
    out = tmp_path / "out"
    assert _bulk(series_csv, out, "--backend", "processes", "--workers", "2") == 0
    parts, manifest, _ = _folder(out)
    assert (parts, manifest) == reference[:2]


def _start(series_csv: Path, out: Path) -> subprocess.Popen:
    # ``python -m forecast.cli`` would run a second copy of the CLI module without commands.
    cmd = [sys.executable, "-c", "from forecast.cli import run; run()", "bulk", "--input",
           str(series_csv), "--output", f"{out}/", *ARGS, "--backend", "processes",
           "--workers", "2", "--no-progress"]
    return subprocess.Popen(cmd, cwd=out.parent, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def test_driver_killed_mid_run_then_resumed_is_identical(series_csv, reference, tmp_path):
    out = tmp_path / "out"
    proc = _start(series_csv, out)
    staging = None
    while proc.poll() is None:
        found = list(tmp_path.glob(".out.parts-*.done/*.json"))
        if len(found) >= 2:
            os.killpg(proc.pid, signal.SIGKILL)
            staging = found[0].parent
            break
        time.sleep(0.01)
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert not out.exists()
    kept = len(list(staging.glob("*.json")))
    assert 2 <= kept < N_PARTS
    assert _bulk(series_csv, out) == 0
    parts, manifest, run = _folder(out)
    assert (parts, manifest) == reference[:2]
    assert run["parts_reused"] == kept and run["parts_computed"] == N_PARTS - kept
    assert not staging.exists()


def test_killed_before_the_manifest_resumes_with_nothing_to_compute(series_csv, reference,
                                                                    tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", "from forecast.cli import run; run()", "bulk", "--input",
           str(series_csv), "--output", f"{out}/", *ARGS, "--no-progress"]
    env = {**os.environ, "ORECAST_TEST_KILL_AT": "bulk-manifest"}
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, timeout=300)
    assert done.returncode == -signal.SIGKILL
    assert not out.exists()
    assert _bulk(series_csv, out) == 0
    parts, manifest, run = _folder(out)
    assert (parts, manifest) == reference[:2]
    assert run["parts_reused"] == N_PARTS and run["parts_computed"] == 0


def test_a_damaged_part_is_recomputed_and_other_arguments_reuse_nothing(series_csv,
                                                                        reference, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", "from forecast.cli import run; run()", "bulk", "--input",
           str(series_csv), "--output", f"{out}/", *ARGS, "--no-progress"]
    env = {**os.environ, "ORECAST_TEST_KILL_AT": "bulk-part:5"}
    assert subprocess.run(cmd, cwd=tmp_path, env=env, timeout=300,
                          capture_output=True).returncode == -signal.SIGKILL
    assert len(list(tmp_path.glob(".out.parts-*"))) == 2  # the parts and their records
    # Another seed is another job: the interrupted one's parts are never used...
    assert _bulk(series_csv, out, "--seed", "1") == 0
    assert json.loads((out / MANIFEST).read_text())["run"]["parts_reused"] == 0
    # ... and are removed once that job's output replaced theirs.
    assert not list(tmp_path.glob(".out.parts-*"))
    # The same job again after a kill at part 5: parts 0-5 finished but part 2 damaged.
    assert subprocess.run(cmd, cwd=tmp_path, env=env, timeout=300,
                          capture_output=True).returncode == -signal.SIGKILL
    (staging,) = tmp_path.glob(".out.parts-" + "?" * 16)
    damaged = staging / "forecasts" / "part-00002.parquet"
    damaged.write_bytes(b"not parquet")
    assert _bulk(series_csv, out) == 0
    parts, manifest, run = _folder(out)
    assert (parts, manifest) == reference[:2]
    assert run["parts_reused"] == 5 and run["parts_computed"] == N_PARTS - 5


def test_a_folder_of_other_files_is_refused_before_any_work(series_csv, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    assert _bulk(series_csv, out) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--output" in err[0] and "notes.txt" not in err[0] \
        and "earlier output of orecast bulk" in err[0]
    assert sorted(os.listdir(tmp_path)) == ["out"]
    assert os.listdir(out) == ["notes.txt"]
