"""Two ETS kernels on the 714 M3 monthly series: orecast's ``ets`` member (statsmodels
``ETSModel``, forms chosen by AICc) and statsforecast's ``AutoETS`` (numba), point
forecasts 18 months ahead, scored as ``benchmarks/m3_monthly.py`` scores them.

statsforecast is not a dependency of orecast. Its releases from 2.1.0 declare
``pandas<3.0.0``, 2.0.2 and 2.0.3 declare ``scipy<1.16``, and fugue from 0.9.7 (which every
statsforecast requires) declares ``pandas<3``. 2.0.0 with fugue 0.9.4 installs beside
pandas 3.1.1 and scipy 1.17.1 without changing them; to run this measurement:

    .venv/bin/pip install statsforecast==2.0.0 fugue==0.9.4 pandas==3.1.1
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 \\
        .venv/bin/python benchmarks/ets_kernels.py

Printed per kernel: sMAPE %, MASE, and the CPU seconds of fitting and forecasting in one
process (numba's first compilation done before the clock starts).
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.core.pipeline import fit_model  # noqa: E402
from models.zoo import make_model  # noqa: E402

H = 18
SEASON = 12


def statsmodels_point(train: np.ndarray) -> np.ndarray:
    """orecast's ``ets`` member fitted on ``train``; its analytic point forecast, (H,)."""
    idx = pd.period_range("2000-01", periods=train.size, freq="M", name="month")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optimiser warnings are not the measurement
        model = fit_model(make_model("ets"), pd.DataFrame({"gold_oz": train}, index=idx))
    return model.point_forecast(H)


def main() -> None:
    """Print sMAPE, MASE and CPU seconds of each kernel over the 714 series."""
    from statsforecast.models import AutoETS

    def statsforecast_point(train: np.ndarray) -> np.ndarray:
        return np.asarray(AutoETS(season_length=SEASON).fit(train).predict(H)["mean"])

    statsforecast_point(np.arange(1.0, 40.0))  # numba compiles here, off the clock
    series = pd.read_csv(ROOT / "benchmarks/data/m3_monthly/series.csv.gz")
    kernels = {"statsmodels ETSModel (orecast ets)": statsmodels_point,
               "statsforecast 2.0.0 AutoETS": statsforecast_point}
    scores: dict[str, list[tuple[float, float]]] = {k: [] for k in kernels}
    cpu = dict.fromkeys(kernels, 0.0)
    for _, g in series.groupby("series_id", sort=False):
        y = g["value"].to_numpy(float)
        train, test = y[:-H], y[-H:]
        scale = float(np.mean(np.abs(train[SEASON:] - train[:-SEASON])))
        for name, point in kernels.items():
            t0 = time.process_time()
            f = point(train)
            cpu[name] += time.process_time() - t0
            scores[name].append((float(np.mean(200 * np.abs(f - test)
                                               / (np.abs(f) + np.abs(test)))),
                                 float(np.mean(np.abs(f - test)) / scale)))
    for name, rows in scores.items():
        a = np.array(rows)
        print(f"{name}: sMAPE {a[:, 0].mean():.3f} MASE {a[:, 1].mean():.3f} "
              f"CPU {cpu[name]:.1f} s over {len(a)} series")


if __name__ == "__main__":
    main()
