"""Golden set: the outputs a refactoring must leave byte-identical.

    .venv/bin/python benchmarks/golden.py record OUT      # run every command into OUT
    .venv/bin/python benchmarks/golden.py compare A B     # differences, after normalising

``record`` runs, with the embedded Dynacor data: ``orecast train`` (every year, the demo's
experiment) and ``orecast publish --as-of 2017-06`` into a temporary MLflow store;
``orecast forecast`` at three as-ofs (2016-12, 2017-03, 2017-06); ``orecast bulk`` on the
shipped 150-plant sample with ``auto`` and on the small example file with ``theta_ses``;
``orecast backtest --years 2017``. ``compare`` lists every file that differs between two
records, after blanking what is meant to change from one run to the next (timestamps,
MLflow run ids and absolute paths). It exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORECAST = str(ROOT / ".venv" / "bin" / "orecast")

#: text blanked before comparing: run ids, timestamps, the record's own folder
_VOLATILE = [
    # MLflow run and model ids are 32 hex digits; a sha256 (64) is data and is compared.
    (re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])"), "<run-id>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"superseded-\d+"), "superseded-<time>"),
]


def _run(args: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...] = (0,)) -> None:
    print("$", " ".join(args), flush=True)
    code = subprocess.run(args, cwd=cwd, env=env).returncode
    if code not in ok:
        raise SystemExit(f"golden: exit {code} from {' '.join(args)}")


def record(out: Path) -> None:
    """Run every golden command with its outputs under ``out`` (created, must not exist)."""
    out = out.resolve()
    out.mkdir(parents=True)
    env = dict(os.environ, MLFLOW_TRACKING_URI=f"sqlite:///{out}/mlflow.db",
               ORECAST_LOG_LEVEL="WARNING", OMP_NUM_THREADS="1")
    _run([ORECAST, "train", "--experiment", "golden"], out, env)
    _run([ORECAST, "publish", "--as-of", "2017-06", "--out", "publications"], out, env)
    for as_of in ("2016-12", "2017-03", "2017-06"):
        _run([ORECAST, "forecast", "--as-of", as_of, "--guidance-range", "88000:92000",
              "--n-paths", "2000", "--out", f"forecast/{as_of}"], out, env)
    (out / "bulk" / "plants").mkdir(parents=True)
    (out / "bulk" / "small").mkdir()
    _run([ORECAST, "bulk", "--input", str(ROOT / "docs/examples/plants.csv.gz"), "--horizon",
          "12", "--output", "bulk/plants/forecasts.csv", "--no-progress"], out, env, ok=(0, 4))
    _run([ORECAST, "bulk", "--input", str(ROOT / "docs/examples/bulk.csv"), "--horizon", "6",
          "--model", "theta_ses", "--output", "bulk/small/forecasts.csv", "--no-progress"], out, env,
         ok=(0, 4))
    _run([ORECAST, "backtest", "--years", "2017", "--jobs", "2", "--out", "backtest"], out, env)


def _normalised(path: Path, root: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix not in {".json", ".csv", ".html", ".txt", ".md"}:
        return data
    text = data.decode("utf-8").replace(str(root), "<root>")
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    if path.name == "manifest.json":
        # The key holds the model's run id, and report.html names it: their digests follow
        # the run ids blanked above. report.html itself is compared after blanking.
        doc = json.loads(text)
        doc.pop("key_sha256", None)
        doc.get("files", {}).pop("report.html", None)
        text = json.dumps(doc, sort_keys=True)
    return text.encode("utf-8")


def _files(root: Path) -> dict[str, Path]:
    skip = ("mlflow.db", "mlruns", "mlartifacts")
    # The publish lock file holds the holder's process id: not an output.
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.endswith(".lock")
            and not any(s in p.parts for s in skip)}


def compare(a: Path, b: Path) -> int:
    """Print the files that differ between two records; return the number of differences."""
    fa, fb = _files(a.resolve()), _files(b.resolve())
    diffs = 0
    for name in sorted(set(fa) | set(fb)):
        if name not in fa or name not in fb:
            print(f"only in {'B' if name not in fa else 'A'}: {name}")
            diffs += 1
            continue
        ha = hashlib.sha256(_normalised(fa[name], a.resolve())).hexdigest()
        hb = hashlib.sha256(_normalised(fb[name], b.resolve())).hexdigest()
        if ha != hb:
            print(f"differs: {name}")
            diffs += 1
    print(f"{len(set(fa) | set(fb))} files compared, {diffs} differ")
    return diffs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("out", type=Path)
    cmp_ = sub.add_parser("compare")
    cmp_.add_argument("a", type=Path)
    cmp_.add_argument("b", type=Path)
    args = parser.parse_args()
    if args.cmd == "record":
        record(args.out)
        return 0
    return 1 if compare(args.a, args.b) else 0


if __name__ == "__main__":
    sys.exit(main())
