"""Load on one machine: bulk forecasting of 20,000 series, then 50 plants published in a row.

Part 1 simulates 20,000 plants of 120 months (``models.simulator.plant.simulate_portfolio``),
writes them in the long format and runs the bulk engine on them as ``orecast bulk`` does
(``read_series``, ``run_bulk`` on 2 joblib worker processes, ``write_result``), Theta-SES,
12 months ahead. It prints wall and CPU seconds (workers included), the peak resident memory
of all processes, and the main process's resident memory after each quarter of the series.

Part 2 registers one champion (``seasonal_naive`` or ``share_runrate``, backtested on a
small synthetic plant) in a sqlite MLflow store, then publishes, in this one process, 50
synthetic plants in a row, each from its own production file into its own ROOT. It checks
every publication (manifest digests, ``latest``) and prints the process's resident memory
after each 10 publications; growth from the first 10 to the last is reported against a
limit (``--max-growth-mib``).

Run: ``.venv/bin/python benchmarks/load.py`` (about 15 minutes on 2 cores; ``--series``
and ``--plants`` to scale down, ``--skip-bulk`` / ``--skip-publish`` for one part).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import psutil  # noqa: E402
from resources import ResourceMonitor  # noqa: E402

MIB = 2**20


def rss_mib() -> float:
    """Resident memory of this process, MiB."""
    return psutil.Process().memory_info().rss / MIB


def bulk_part(n_series: int, workers: int, n_paths: int, work: Path) -> bool:
    """Bulk forecast ``n_series`` simulated plants; print the figures. True when complete."""
    from forecast.bulk import BulkConfig, read_series, run_bulk, write_result
    from models.simulator.plant import simulate_portfolio

    src = work / "portfolio.csv"
    simulate_portfolio(n_series, 120, seed=2024)[["series_id", "timestamp", "value"]].to_csv(
        src, index=False)
    print(f"bulk: {n_series} simulated plants x 120 months ({src.stat().st_size / MIB:.0f} "
          f"MiB CSV), theta_ses, horizon 12, {n_paths} paths, processes x{workers}",
          flush=True)
    marks: list[tuple[int, float]] = []
    done = [0]
    quarter = max(1, n_series // 4)

    def tick(n: int) -> None:
        before = done[0] // quarter
        done[0] += n
        if done[0] // quarter > before:
            marks.append((done[0], rss_mib()))

    rss0 = rss_mib()
    with ResourceMonitor() as mon:
        frame, exog = read_series(src)
        config = BulkConfig(horizon=12, model="theta_ses", n_paths=n_paths, seed=0)
        result = run_bulk(frame, exog, config, backend="processes", workers=workers,
                          progress=tick)
        out, _ = write_result(result, work / "forecasts.csv")
    # The joblib workers stay alive for reuse; stop them so part 2 measures publishing alone.
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)
    u = mon.usage
    rows = len(result.forecasts)
    ok = rows == 12 * n_series and result.forecasts["forecast"].notna().all()
    print(f"  wall {u.wall_s:.1f} s, CPU {u.cpu_s:.1f} s, {n_series / u.wall_s:.0f} series/s, "
          f"peak RSS (all processes) {u.peak_rss_mib:.0f} MiB", flush=True)
    print(f"  main process RSS: start {rss0:.0f} MiB; " + ", ".join(
        f"after {n} series {m:.0f} MiB" for n, m in marks), flush=True)
    print(f"  output {out.name}: {rows} rows ({out.stat().st_size / MIB:.1f} MiB), "
          f"{len(result.failures)} fallbacks, complete: {ok}", flush=True)
    return bool(ok)


def register_champion(uri: str, work: Path) -> str:
    """Train once on a small synthetic plant and register ``orecast`` version 1 as champion."""
    import mlflow

    from models.simulator.plant import simulate_plant
    from training.tracking import tracking_uri
    from training.train import TrainConfig, train

    with tracking_uri(uri):
        for name in ("orecast", "orecast-publish"):
            mlflow.create_experiment(name, artifact_location=(work / "artifacts" / name)
                                     .as_uri())
    plant = simulate_plant(60, seed=1, start="2013-01")
    job = train(plant, models=["seasonal_naive", "share_runrate"], years=[2016], tracking=uri,
                config=TrainConfig(n_paths=200, figures=False))
    print(f"champion: orecast version {job.version} ({job.spec.label})", flush=True)
    return job.spec.label


def publish_part(n_plants: int, n_paths: int, max_growth_mib: float, work: Path) -> bool:
    """Publish ``n_plants`` plants in a row in this process; print RSS. True when all good."""
    from forecast.publish import PublishRequest, publish
    from forecast.publish.placing import read_manifest
    from models.simulator.plant import simulate_plant

    uri = f"sqlite:///{work / 'mlflow.db'}"
    os.environ["MLFLOW_TRACKING_URI"] = uri
    register_champion(uri, work)
    print(f"publish: {n_plants} plants in a row, each its own data and ROOT, as-of 2017-06, "
          f"{n_paths} paths", flush=True)
    cols = ["gold_oz", "ore_processed_t", "head_grade_gpt", "recovery_pct"]
    marks: list[tuple[int, float]] = []
    bad: list[str] = []
    step = 10 if n_plants >= 20 else 1
    with ResourceMonitor() as mon:
        for i in range(n_plants):
            data = work / "plants" / f"plant-{i:03d}.csv"
            data.parent.mkdir(exist_ok=True)
            simulate_plant(120, seed=1000 + i, start="2008-01",
                           capacity_tpd=150.0 + 10 * (i % 36))[cols] \
                .rename_axis("month").to_csv(data)
            root = work / "roots" / f"plant-{i:03d}"
            res = publish(PublishRequest(out=root, data=data, as_of="2017-06",
                                         n_paths=n_paths, tracking_uri=uri))
            manifest = read_manifest(res.path)
            if (res.status != "published" or manifest is None
                    or (root / "latest").resolve() != res.path.resolve()):
                bad.append(f"plant-{i:03d}")
            if (i + 1) % step == 0:
                gc.collect()
                marks.append((i + 1, rss_mib()))
                print(f"  after {i + 1} publication(s): RSS {marks[-1][1]:.0f} MiB", flush=True)
    u = mon.usage
    growth = marks[-1][1] - marks[0][1] if len(marks) > 1 else 0.0
    print(f"  wall {u.wall_s:.1f} s ({u.wall_s / n_plants:.1f} s per publication), CPU "
          f"{u.cpu_s:.1f} s, peak RSS {u.peak_rss_mib:.0f} MiB", flush=True)
    print(f"  RSS growth from publication {marks[0][0]} to {marks[-1][0]}: {growth:+.0f} MiB "
          f"(limit {max_growth_mib:.0f}): {'ok' if growth <= max_growth_mib else 'GROWTH'}",
          flush=True)
    print(f"  publications complete: {n_plants - len(bad)}/{n_plants}"
          + (f"; incomplete: {', '.join(bad)}" if bad else ""), flush=True)
    return not bad and growth <= max_growth_mib


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--bulk-paths", type=int, default=200)
    parser.add_argument("--plants", type=int, default=50)
    parser.add_argument("--publish-paths", type=int, default=1000)
    parser.add_argument("--max-growth-mib", type=float, default=50.0)
    parser.add_argument("--skip-bulk", action="store_true")
    parser.add_argument("--skip-publish", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    ok = True
    with tempfile.TemporaryDirectory(prefix="orecast-load-") as tmp:
        work = Path(tmp)
        if not args.skip_bulk:
            ok &= bulk_part(args.series, args.workers, args.bulk_paths, work)
        if not args.skip_publish:
            ok &= publish_part(args.plants, args.publish_paths, args.max_growth_mib, work)
    print("load: ok" if ok else "load: FAILED", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
