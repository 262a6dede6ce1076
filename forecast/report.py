"""The publication's ``report.html``: one self-contained page a manager can read.

It opens with one plain sentence (as-of, actual to date, the forecast total, its 80% range
and the chance of reaching the guidance low end), then the fan chart and the distribution
of the annual total, the monthly and quarterly tables, the model used and its backtest
accuracy at this number of months known. Images are embedded as ``data:`` URIs and the
style is inline: the page opens anywhere, offline, and links to nothing. Nothing in it
depends on the time it was made, so the same inputs give the same bytes.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from forecast.numbers import count, oz, pct, unit_of, usd

_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em;
border-bottom:1px solid #ddd;padding-bottom:.2em}
p.lead{font-size:1.2em;background:#f4f6f8;border-left:4px solid #d98a1c;padding:.7em 1em}
table{border-collapse:collapse;font-size:.92em}th,td{padding:.25em .8em;text-align:right;
border-bottom:1px solid #eee}th{background:#f4f6f8}td.l,th.l{text-align:left}
tr.actual td{color:#555}img{max-width:100%;height:auto;display:block;margin:1em 0}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1.2em;font-size:.92em}
dt{color:#666}dd{margin:0;font-family:monospace}
p.note{color:#666;font-size:.9em}
div.alerts{background:#fdecea;border-left:4px solid #c0392b;padding:.5em 1em}
div.alerts ul{margin:.3em 0}
"""


@dataclass(frozen=True)
class ReportInputs:
    """What the report shows.

    Attributes:
        annual: the ``annual.json`` record (oz, probabilities in [0, 1]).
        monthly: ``monthly.csv`` frame (``month, kind, mean, p10, p50, p90`` in oz).
        quarterly: ``quarterly.csv`` frame (``quarter, kind, mean, p10, p50, p90`` in oz).
        fan_png, guidance_png: PNG bytes of the two charts.
        model: model identity (``uri``, ``name``, ``version``, ``alias``, ``run_id``,
            ``spec``, ``zoo_model``).
        backtest: scores at this number of months known (see
            ``forecast.publish.backtest_accuracy``), or None.
        data_label: where the history came from.
        n_paths, seed: simulation size and seed.
        track: the track record (``forecast.publish.track_record``), or None.
        track_sentence: its one sentence, or None before any complete year.
        track_png: PNG bytes of its chart, or None.
        revision_png: PNG bytes of the waterfall of ``annual["revision"]``, or None.
        sales_png: PNG bytes of the sales chart (shown when the guidance is in sales), or
            None.
    """

    annual: dict[str, Any]
    monthly: pd.DataFrame
    quarterly: pd.DataFrame
    fan_png: bytes
    guidance_png: bytes
    model: dict[str, Any]
    backtest: dict[str, Any] | None
    data_label: str
    n_paths: int
    seed: int
    track: pd.DataFrame | None = None
    track_sentence: str | None = None
    track_png: bytes | None = None
    revision_png: bytes | None = None
    sales_png: bytes | None = None


def lead_sentence(annual: dict[str, Any]) -> str:
    """The report's opening sentence, e.g. "As of June 2017 (6 months actual, 35,310 oz) ...".

    When the guidance in force is in sales (``guidance_metric`` ``sales_usd``), it speaks of
    dollars first: the sales forecast and the odds of the sales guidance, then the output.

    Args:
        annual: the ``annual.json`` record; the forecast figure is the median (p50) total
            and the range p10-p90, in oz (or oz AuEq: ``measure``), and for sales the
            ``sales_usd`` block's (USD).
    """
    as_of = pd.Period(annual["as_of"], freq="M")
    year, n = annual["year"], annual["months_actual"]
    unit = unit_of(annual.get("measure"))
    sales = annual.get("sales_usd")
    if annual.get("guidance_metric") == "sales_usd" and sales:
        known = (f"{count(n, 'month')} actual, {usd(sales['ytd_usd'])} of sales"
                 if n else f"no {year} month actual yet")
        text = (f"As of {as_of.strftime('%B %Y')} ({known}) {year} sales are forecast at "
                f"{usd(sales['p50'])} (80% range {usd(sales['p10'])}-{usd(sales['p90'])})")
        if sales.get("prob_within") is not None:
            text += (f"; the chance of sales within the guidance of "
                     f"{usd(sales['guidance_low'])}-{usd(sales['guidance_high'])} is "
                     f"{pct(sales['prob_within'])}, below it {pct(sales['prob_below_low'])}"
                     f", above it {pct(sales['prob_above_high'])}")
        return (text + f". Output is forecast at {oz(annual['p50'])} {unit} (80% range "
                f"{oz(annual['p10'])}-{oz(annual['p90'])}).")
    if n:
        known = f"{count(n, 'month')} actual, {oz(annual['ytd_oz'])} {unit}"
    else:
        known = f"no {year} month actual yet"
    text = (f"As of {as_of.strftime('%B %Y')} ({known}) {year} output is forecast at "
            f"{oz(annual['p50'])} {unit} (80% range {oz(annual['p10'])}-{oz(annual['p90'])})")
    if annual.get("guidance_low") is not None and annual.get("prob_below_low") is not None:
        reach = 1.0 - float(annual["prob_below_low"])
        text += (f"; the chance of reaching the guidance low end of "
                 f"{oz(annual['guidance_low'])} {unit} is {pct(reach)}.")
    else:
        text += f"; no production guidance is in force for {year}."
    return text


def _backtest_html(bt: dict[str, Any] | None, months: int) -> str:
    if not bt or bt.get("annual_ape") is None:
        return (f'<p class="note">No backtest score of this model at {months} months known is '
                f"available from its training run.</p>")
    n = int(bt.get("n_origins") or 0)
    other = bt.get("other_data")
    where = (f"of its training run, on other data ({html.escape(str(other))}), not on the "
             f"data forecast here"
             if other else "of its training run, on the data forecast here")
    text = (f"<p>In the backtest {where}, forecasting a year with {months} months "
            f"known, this model's median annual total was off by "
            f"{bt['annual_ape']:.1f}% of the actual on average over "
            f"{count(n, 'forecast origin')}")
    if bt.get("annual_cover80") is not None:
        # A rate is read with its count: 100% of 1 origin is not 100% of 20.
        inside = round(float(bt["annual_cover80"]) * n)
        text += (f"; its 80% range held the actual {bt['annual_cover80']:.0%} of the time "
                 f"({inside} of {count(n, 'origin')})")
    text += "."
    if bt.get("guidance_annual_ape") is not None:
        text += (f" Taking the guidance midpoint as the forecast was off by "
                 f"{bt['guidance_annual_ape']:.1f}% at the same origins.")
    text += "</p>"
    if n < 5:
        text += ('<p class="note">Few origins: treat this accuracy as indicative only.</p>')
    items = [("months known", months), ("origins", n),
             ("mean abs. % error of the annual total", f"{bt['annual_ape']:.2f}"),
             ("CRPS of the annual total (oz)", None if bt.get("annual_crps") is None
              else f"{bt['annual_crps']:,.0f}"),
             # Percent, as the error above and the sentence: one unit per kind of rate.
             ("actuals inside the 80% range (%)", None if bt.get("annual_cover80") is None
              else f"{100 * float(bt['annual_cover80']):.0f}"),
             ("training run", bt.get("run_id"))]
    return text + "<dl>" + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>"
                                   for k, v in items if v is not None) + "</dl>"


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("forecast", "templates"),
        autoescape=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["oz"] = oz
    env.filters["pct"] = pct
    env.filters["usd"] = usd
    return env.get_template("report.html.j2")


def render_report(r: ReportInputs) -> str:
    """The complete HTML page (UTF-8 text, no external references), from
    ``forecast/templates/report.html.j2`` with autoescaping."""
    a = r.annual
    as_of = pd.Period(a["as_of"], freq="M")
    m = r.model
    version = (f"{m['name']} version {m['version']}" if m.get("version")
               else str(m.get("uri")))
    return _template().render(
        a=a, m=m, version=version, css=_CSS, lead=lead_sentence(a),
        title=f"{a['year']} gold production forecast, as of {as_of.strftime('%B %Y')}",
        fan_png=base64.b64encode(r.fan_png).decode("ascii"),
        guidance_png=base64.b64encode(r.guidance_png).decode("ascii"),
        monthly=r.monthly, quarterly=r.quarterly, n_paths=r.n_paths, seed=r.seed,
        data_label=r.data_label,
        backtest=Markup(_backtest_html(r.backtest, int(a["months_actual"]))),
        track_sentence=r.track_sentence, n_track=0 if r.track is None else len(r.track),
        track_png=None if r.track_png is None else base64.b64encode(r.track_png).decode("ascii"),
        revision_png=(None if r.revision_png is None
                      else base64.b64encode(r.revision_png).decode("ascii")),
        sales_png=(None if r.sales_png is None
                   else base64.b64encode(r.sales_png).decode("ascii")),
        sales=a.get("sales_usd"))
