"""Backtest figures: annual error by months known, and interval coverage against nominal.

Figures are built as ``matplotlib.figure.Figure`` objects without pyplot (no global state,
Agg canvas), so they can be saved or handed to MLflow's ``log_figure``; they hold no
timestamps, so the same tables give the same images.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from training.scoring import GUIDANCE, LEVELS

_GUIDANCE_STYLE = {"color": "black", "linestyle": "--", "marker": "s", "linewidth": 1.6}


def _new_figure(ncols: int) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(5.2 * ncols + 1.8, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(1, ncols))
    return fig, axes


def _models(frame: pd.DataFrame) -> list[str]:
    """Models in order of first appearance, guidance excluded."""
    return [m for m in dict.fromkeys(frame["model"]) if m != GUIDANCE]


def _styles(models: list[str], selected: str | None, width: float) -> dict[str, dict]:
    """Line styles: 20 distinct colours, the selected model bold, guidance dashed black."""
    from matplotlib import colormaps

    palette = colormaps["tab20"].colors
    out = {}
    for i, model in enumerate(models):
        bold = model == selected
        # The selected model in a colour of its own that tab20 does not have.
        color = "#b0005a" if bold else palette[(2 * i) % 20 + (i // 10) % 2]
        out[model] = {"color": color, "marker": "o",
                      "linewidth": 3.0 if bold else width, "alpha": 1.0 if bold else 0.7,
                      "zorder": 5 if bold else 2, "markersize": 6 if bold else 4}
    out[GUIDANCE] = {**_GUIDANCE_STYLE, "zorder": 4}
    return out


def _legend_outside(fig: Figure, selected: str | None) -> None:
    handles, labels = fig.axes[0].get_legend_handles_labels()
    if handles:
        labels = [f"{lab} (selected)" if lab == selected else lab for lab in labels]
        fig.legend(handles, labels, loc="outside right upper", fontsize="small",
                   frameon=False)


def annual_error_figure(summary: pd.DataFrame, selected: str | None = None) -> Figure:
    """Absolute % error and CRPS of the annual total by months known, one line per model.

    Args:
        summary: the backtest summary (``model, months_known, annual_ape`` in %,
            ``annual_crps`` in oz); the guidance rows are drawn as a dashed black line.
        selected: the model to draw bold and name in the legend.
    Returns:
        Figure with two panels: APE (%) and CRPS (oz) against months known (0..11), the
        legend outside them.
    """
    fig, (ax_ape, ax_crps) = _new_figure(2)
    styles = _styles(_models(summary), selected, 1.2)
    for model in [*_models(summary), GUIDANCE]:
        part = summary.loc[summary["model"] == model].set_index("months_known")
        part = part.loc[part["n_origins"] > 0].reindex(range(12))
        if part["annual_ape"].isna().all():
            continue
        style = styles[model]
        # NaN where no origin was scored, so lines break instead of bridging the gap.
        ax_ape.plot(part.index, part["annual_ape"], label=model, **style)
        ax_crps.plot(part.index, part["annual_crps"], label=model, **style)
    ax_ape.set(title="Annual total: absolute % error of p50", xlabel="months of the year known",
               ylabel="absolute error (%)")
    ax_crps.set(title="Annual total: CRPS", xlabel="months of the year known",
                ylabel="CRPS (oz)")
    for ax in (ax_ape, ax_crps):
        ax.set_xticks(range(12))
        ax.set_xlim(-0.5, 11.5)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    _legend_outside(fig, selected)
    return fig


def coverage_table(per_origin: pd.DataFrame) -> pd.DataFrame:
    """Empirical coverage per model at the nominal 50/80/90 % levels, pooled over origins.

    Annual coverage is the share of ``ok`` origins whose actual total lies inside the
    interval; monthly coverage is the share of scored months (weighted by ``monthly_n``).

    Args:
        per_origin: the backtest's per-origin table.
    Returns:
        Frame ``model, level (%), annual, monthly`` with coverages as fractions (0..1).
    """
    rows = []
    ok = per_origin.loc[per_origin["status"] == "ok"]
    for model in [*_models(per_origin), GUIDANCE]:
        part = ok.loc[ok["model"] == model]
        if part.empty:
            continue
        n = part["monthly_n"].to_numpy(dtype=float)
        for lv in LEVELS:
            annual = part[f"annual_cover{lv}"].astype(float).mean()
            cover = part[f"monthly_cover{lv}"].to_numpy(dtype=float)
            use = np.isfinite(cover) & (n > 0)
            monthly = float((cover[use] * n[use]).sum() / n[use].sum()) if use.any() else np.nan
            rows.append({"model": model, "level": lv, "annual": float(annual),
                         "monthly": monthly})
    return pd.DataFrame(rows, columns=["model", "level", "annual", "monthly"])


def coverage_figure(per_origin: pd.DataFrame, selected: str | None = None) -> Figure:
    """Empirical vs nominal coverage of the 50/80/90 % intervals, per model.

    Args:
        per_origin: the backtest's per-origin table.
        selected: the model to draw bold and name in the legend.
    Returns:
        Figure with two panels (annual total, monthly over the fixed horizon); the diagonal
        marks perfect calibration, guidance (its range at every level) is dashed black.
    """
    table = coverage_table(per_origin)
    fig, axes = _new_figure(2)
    styles = _styles(_models(per_origin), selected, 1.0)
    for model in dict.fromkeys(table["model"]):
        part = table.loc[table["model"] == model]
        style = styles[model]
        for ax, col in zip(axes, ("annual", "monthly"), strict=True):
            if part[col].notna().any():
                ax.plot(part["level"], 100 * part[col], label=model, **style)
    for ax, title in zip(axes, ("Annual total", "Monthly (fixed horizon)"), strict=True):
        ax.plot([40, 100], [40, 100], color="grey", linewidth=0.8, label="nominal")
        ax.set(title=f"{title}: interval coverage", xlabel="nominal coverage (%)",
               ylabel="empirical coverage (%)", xlim=(40, 100), ylim=(0, 102))
        ax.set_xticks(LEVELS)
        ax.grid(alpha=0.3)
    _legend_outside(fig, selected)
    return fig
