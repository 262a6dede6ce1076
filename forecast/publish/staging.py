"""Writing a publication's files into its staging folder, the manifest last."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forecast.files import fault_point, sha256_file
from forecast.publish.compute import Computed
from forecast.publish.placing import FILES
from forecast.publish.request import FORMAT
from models.core.version import orecast_version


def write_publication(c: Computed, stage: Path) -> dict[str, Any]:
    """Write every file of the publication into ``stage``; the manifest last. Returns it."""
    from io import BytesIO

    from forecast.charts import (
        fan_chart,
        guidance_chart,
        revision_waterfall,
        sales_chart,
        save_png,
        track_record_chart,
    )
    from forecast.files import write_csv, write_json
    from forecast.publish.track_record import track_sentence
    from forecast.report import ReportInputs, render_report

    monthly, quarterly = c.monthly, c.outlook.quarterly
    sales = c.outlook.sales if c.outlook.guidance.metric == "sales_usd" else None
    writers = {
        "monthly.csv": lambda p: write_csv(monthly, p),
        "quarterly.csv": lambda p: write_csv(quarterly, p),
        "annual.json": lambda p: write_json(c.annual, p),
        "fan_chart.png": lambda p: save_png(fan_chart(c.yf, c.guidance), p),
        "guidance_chart.png": lambda p: save_png(guidance_chart(c.yf, c.guidance), p),
        "track_record.csv": lambda p: write_csv(c.track, p),
    }
    for name, write in writers.items():
        write(stage / name)
        fault_point(f"staged:{name}")
    model_info = {"uri": c.ref.uri, "loaded": c.ref.load_uri, "name": c.ref.name,
                  "version": c.ref.version, "alias": c.ref.alias, "run_id": c.loaded.run_id,
                  "spec": c.loaded.spec.label, "zoo_model": c.loaded.spec.name}
    html = render_report(ReportInputs(
        annual=c.annual, monthly=monthly, quarterly=quarterly,
        fan_png=(stage / "fan_chart.png").read_bytes(),
        guidance_png=(stage / "guidance_chart.png").read_bytes(),
        model=model_info, backtest=c.backtest, data_label=c.data_label,
        n_paths=c.key["n_paths"], seed=c.key["seed"],
        track=c.track, track_sentence=track_sentence(c.track),
        track_png=save_png(track_record_chart(c.track), BytesIO()).getvalue(),
        sales_png=None if sales is None else save_png(
            sales_chart(sales, c.outlook.guidance.sales), BytesIO()).getvalue(),
        revision_png=None if not c.annual.get("revision") else save_png(
            revision_waterfall(c.annual["revision"]), BytesIO()).getvalue()))
    (stage / "report.html").write_text(html, encoding="utf-8")
    fault_point("staged:report.html")
    manifest = {
        "format": FORMAT, "year": c.year, "as_of": str(c.as_of),
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "key_sha256": c.key_sha256, "key": c.key,
        "data": {"source": c.data_label, "sha256": c.data_sha256},
        "model": model_info, "orecast_version": orecast_version(),
        "files": {name: sha256_file(stage / name) for name in FILES if name != "manifest.json"},
    }
    write_json(manifest, stage / "manifest.json")
    fault_point("staged:manifest.json")
    return manifest
