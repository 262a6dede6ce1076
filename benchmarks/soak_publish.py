"""Soak: 120 consecutive as-of months of one plant published into one ROOT, every one checked.

A synthetic 300 tpd plant of 12 years (2006-01..2017-12, ``models.simulator.plant.simulate_plant``)
is written to a production file; a champion (``seasonal_naive`` or ``share_runrate``,
backtested on 2009) is registered once in a sqlite MLflow store; then the monthly job is
run for each as-of month from 2008-01 to 2017-12, in order, into the same ROOT, as
``orecast publish --data FILE --as-of MONTH`` does (in this process, or with ``--cli`` as
one ``orecast`` process per month). After each month and again at the end it checks:
every publication made so far is complete (its manifest's digests match), ``annual.json``
names its as-of and counts its months, ``latest`` points at the last as-of, no staging
folder or temporary link is left, and the store holds one FINISHED publication run per
month. It prints wall time per publication, resident memory every 12 months, the counts,
and ``soak: ok`` or what failed.

Run: ``.venv/bin/python benchmarks/soak_publish.py`` (about 10 minutes on 2 cores in
process; ``--cli`` about 3 times longer; ``--months`` to shorten).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import pandas as pd  # noqa: E402
import psutil  # noqa: E402

START = "2006-01"
FIRST_AS_OF = "2008-01"


def _register(uri: str, history: pd.DataFrame, work: Path) -> str:
    import mlflow

    from training.tracking import tracking_uri
    from training.train import TrainConfig, train

    with tracking_uri(uri):
        for name in ("orecast", "orecast-publish"):
            mlflow.create_experiment(name, artifact_location=(work / "artifacts" / name)
                                     .as_uri())
    job = train(history, models=["seasonal_naive", "share_runrate"], years=[2009], tracking=uri,
                config=TrainConfig(n_paths=200, figures=False))
    return f"orecast version {job.version} ({job.spec.label})"


def _publish_cli(root: Path, data: Path, as_of: str, n_paths: int, uri: str) -> str:
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "ORECAST_LOG_LEVEL": "WARNING"}
    proc = subprocess.run([sys.executable, "-c", "from forecast.cli import run; run()",
                           "publish", "--out", str(root), "--data", str(data), "--as-of",
                           as_of, "--n-paths", str(n_paths)], env=env, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        return f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}"
    return "published" if "published:" in proc.stdout else "unexpected: " + proc.stdout[-200:]


def check_root(root: Path, as_ofs: list[str]) -> list[str]:
    """Problems of ROOT holding the publications of ``as_ofs`` (empty when all is well)."""
    from forecast.publish.placing import FILES, LATEST, STAGING_PREFIX, publications, read_manifest

    problems = []
    found = {p.name: p for p in publications(root)}
    if sorted(found) != sorted(as_ofs):
        problems.append(f"publications {len(found)} != {len(as_ofs)} as-of months")
    for as_of in as_ofs:
        folder = found.get(as_of)
        if folder is None:
            continue
        manifest = read_manifest(folder)
        if manifest is None:
            problems.append(f"{as_of}: incomplete (a digest does not match or a file is "
                            f"missing)")
            continue
        if sorted(p.name for p in folder.iterdir()) != sorted(FILES):
            problems.append(f"{as_of}: extra or missing files")
        annual = json.loads((folder / "annual.json").read_text())
        year = int(as_of[:4]) + (1 if as_of.endswith("-12") else 0)
        months = 0 if as_of.endswith("-12") else int(as_of[5:])
        if (annual["as_of"], annual["year"], annual["months_actual"]) != (as_of, year, months):
            problems.append(f"{as_of}: annual.json says {annual['as_of']} {annual['year']} "
                            f"{annual['months_actual']} months")
        if manifest["as_of"] != as_of:
            problems.append(f"{as_of}: manifest says {manifest['as_of']}")
    latest = root / LATEST
    if as_ofs and (not latest.is_symlink() or latest.resolve().name != max(as_ofs)):
        problems.append(f"latest -> {os.readlink(latest) if latest.is_symlink() else None}, "
                        f"expected {max(as_ofs)}")
    leftovers = list(root.glob(f"{STAGING_PREFIX}*")) + list(root.glob(f".{LATEST}.tmp-*"))
    leftovers += [p for p in root.glob("*/*.superseded-*")]
    if leftovers:
        problems.append(f"left over: {[p.name for p in leftovers]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--n-paths", type=int, default=1000)
    parser.add_argument("--cli", action="store_true", help="one orecast process per month")
    parser.add_argument("--keep", type=Path, default=None, help="keep ROOT and the store here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    from forecast.publish import PublishRequest, publish
    from models.simulator.plant import simulate_plant

    tmp = None
    if args.keep is None:
        tmp = tempfile.TemporaryDirectory(prefix="orecast-soak-")
        work = Path(tmp.name)
    else:
        work = args.keep
        work.mkdir(parents=True, exist_ok=False)
    uri = f"sqlite:///{work / 'mlflow.db'}"
    history = simulate_plant(144, seed=12, start=START)
    cols = ["gold_oz", "ore_processed_t", "head_grade_gpt", "recovery_pct"]
    data = work / "plant.csv"
    history[cols].rename_axis("month").to_csv(data)
    print(f"soak: plant of 144 months from {START} ({data.name}), champion "
          f"{_register(uri, history[cols], work)}", flush=True)
    root = work / "publications"
    months = [str(m) for m in pd.period_range(FIRST_AS_OF, periods=args.months, freq="M")]
    print(f"publishing {len(months)} as-of months {months[0]}..{months[-1]} into one ROOT, "
          f"{args.n_paths} paths, {'one process per month' if args.cli else 'in process'}",
          flush=True)
    failures: list[str] = []
    walls: list[float] = []
    t_all = time.perf_counter()
    for i, as_of in enumerate(months):
        t0 = time.perf_counter()
        if args.cli:
            status = _publish_cli(root, data, as_of, args.n_paths, uri)
        else:
            status = publish(PublishRequest(out=root, data=data, as_of=as_of,
                                            n_paths=args.n_paths, tracking_uri=uri)).status
        walls.append(time.perf_counter() - t0)
        if status != "published":
            failures.append(f"{as_of}: {status}")
        problems = check_root(root, months[:i + 1])
        failures += [f"after {as_of}: {p}" for p in problems]
        if (i + 1) % 12 == 0:
            rss = psutil.Process().memory_info().rss / 2**20
            print(f"  {i + 1:3d} published (to {as_of}): last 12 took "
                  f"{sum(walls[-12:]):.0f} s, RSS {rss:.0f} MiB, problems so far "
                  f"{len(failures)}", flush=True)
    import mlflow

    from training.tracking import tracking_uri

    with tracking_uri(uri):
        runs = mlflow.search_runs(experiment_names=["orecast-publish"])
    finished = int((runs["status"] == "FINISHED").sum())
    if finished != len(months) or len(runs) != len(months):
        failures.append(f"publication runs: {finished} FINISHED of {len(runs)}, expected "
                        f"{len(months)}")
    from forecast.publish.placing import publications, read_manifest

    failures += [f"at the end: {p}" for p in check_root(root, months)]
    complete = sum(read_manifest(p) is not None for p in publications(root))
    walls_s = pd.Series(walls)
    print(f"done: {len(months)} publications in {time.perf_counter() - t_all:.0f} s "
          f"(per publication median {walls_s.median():.1f} s, max {walls_s.max():.1f} s); "
          f"complete {complete}/{len(months)}; latest -> {os.readlink(root / 'latest')}; "
          f"publication runs FINISHED {finished}/{len(months)}", flush=True)
    for f in failures[:20]:
        print(f"  problem: {f}", flush=True)
    print("soak: ok" if not failures else f"soak: FAILED ({len(failures)} problems)",
          flush=True)
    if tmp is not None:
        tmp.cleanup()
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
