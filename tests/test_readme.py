"""Every command block of the README, run as a newcomer would, from a clean checkout.

The checkout is the tracked files copied to a temporary folder, with ``.venv`` pointing at
the environment running the tests (``make`` is told not to rebuild it). Each fenced block is
matched to one entry of ``BLOCKS`` by its text, in README order; a block no entry matches
fails the test, so a command cannot be added to the README without being run here. Only
what a user would set to their own is replaced: ``/srv/orecast``, ``/data/*.csv`` (the
embedded Dynacor files copied under those names), ``/opt/orecast`` (the checkout),
``/var/log/orecast`` and the tracking server (a real ``mlflow server`` on 127.0.0.1 serving
the checkout's store). ``mlflow ui`` gets ``--host 127.0.0.1 --port P`` and is stopped once
its runs have been read back.

The blocks run as independent chains (``CHAINS``), each in its own clean checkout, so that
they spread over the xdist workers; the blocks that need the trained champion start from a
copy of the checkout the training block left, trained once per session.
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from tests.test_mlproject import _clean_checkout
from tests.training.test_server import _free_port, _stop, _wait_for

ROOT = Path(__file__).resolve().parents[1]
#: the date the user's data is "fresh" against (their last month is 2017-12)
TODAY = "2018-01-20"
#: `make demo` at the default log level: the issue's budget for stderr lines
DEMO_STDERR_LINES = 40


@dataclass(frozen=True)
class Block:
    """One fenced block of the README: its language tag, text and first line number."""

    lang: str
    text: str
    line: int


def readme_blocks(path: Path = ROOT / "README.md") -> list[Block]:
    """The fenced code blocks of ``path`` in order."""
    blocks, lang, body, start = [], None, [], 0
    for no, line in enumerate(path.read_text().splitlines(), 1):
        if line.startswith("```"):
            if lang is None:
                lang, body, start = line[3:].strip(), [], no + 1
            else:
                blocks.append(Block(lang, "\n".join(body), start))
                lang = None
        elif lang is not None:
            body.append(line)
    return blocks


@dataclass
class User:
    """The newcomer's machine: a checkout, their own data files, their output folders."""

    checkout: Path
    home: Path
    env: dict[str, str]
    last_stderr: str = ""
    done: list[str] = field(default_factory=list)

    def subst(self, text: str, root: str = "orecast") -> str:
        """Put the user's own paths where the README has placeholders (publication root
        ``/srv/orecast`` -> ``home/srv/<root>``)."""
        for old, new in (("/srv/orecast", self.home / "srv" / root),
                         ("/data/", f"{self.home / 'data'}/"),
                         ("/opt/orecast", self.checkout),
                         ("/var/log/orecast", self.home / "log")):
            text = text.replace(old, str(new))
        return text

    def run(self, command: str, *, env: dict[str, str] | None = None,
            timeout: float = 900) -> subprocess.CompletedProcess:
        """Run ``command`` with bash in the checkout; fail the test on a non-zero exit."""
        proc = subprocess.run(["bash", "-c", command], cwd=self.checkout,
                              env={**self.env, **(env or {})}, capture_output=True,
                              timeout=timeout, check=False)
        # decoded by hand: text mode would turn a progress bar's carriage returns into lines
        proc.stdout, proc.stderr = (b.decode(errors="replace") for b in (proc.stdout, proc.stderr))
        self.last_stderr = proc.stderr
        assert proc.returncode == 0, f"{command}\nexit {proc.returncode}\n{proc.stderr[-3000:]}"
        return proc


def commands(text: str) -> list[str]:
    """Shell commands of a block: continuation lines joined, comments and blanks dropped."""
    joined = re.sub(r"\\\n\s*", "", text)
    out = []
    for line in joined.splitlines():
        line = line.split("  #")[0].strip() if "  #" in line else line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def serve_ui(user: User, command: str) -> tuple[subprocess.Popen, str, object]:
    """Start a README ``mlflow ui`` command on a free local port; (process, uri, log file)."""
    port = _free_port()
    log = open(user.home / f"ui-{port}.log", "w")  # closed by the caller's _stop_ui
    proc = subprocess.Popen(["bash", "-c", f"exec {command} --host 127.0.0.1 --port {port}"],
                            cwd=user.checkout, env=user.env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    _wait_for(f"{uri}/health", proc)
    return proc, uri, log


def _stop_ui(server: tuple[subprocess.Popen, str, object]) -> None:
    _stop(server[0])
    server[2].close()


def runs_in(uri: str, experiment: str) -> int:
    """How many runs the tracking server at ``uri`` shows in ``experiment``."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None, f"{uri} shows no experiment {experiment!r}"
    return len(client.search_runs([exp.experiment_id]))


def finite_annual(path: Path) -> dict:
    """annual.json at ``path``, checked strict JSON with a finite p50 (oz)."""
    annual = json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(c))
    assert math.isfinite(annual["p50"]) and annual["p50"] > 0
    return annual


# -- one function per README block ----------------------------------------------------------


def setup_block(user: User, block: Block) -> None:
    """make demo: venv (here: the running one), train, publish; at most ~40 stderr lines; the
    printed UI command shows the demo's runs. ``make test`` is what runs this test."""
    assert commands(block.text) == ["make demo", "make test"]
    proc = user.run("make -o .venv/.installed demo")
    (user.home / "demo-stderr.txt").write_text(proc.stderr)
    assert proc.stderr.count("\n") <= DEMO_STDERR_LINES, proc.stderr
    published = re.findall(r"^published: (\S+)", proc.stdout, re.M)
    assert published, proc.stdout
    latest = Path(published[-1])  # make's own line, after orecast publish's
    assert latest.is_absolute() and Path(published[0]).is_absolute(), published
    for name in ("annual.json", "report.html", "monthly.csv", "quarterly.csv",
                 "fan_chart.png", "manifest.json"):
        assert (latest / name).is_file(), latest / name
    finite_annual(latest / "annual.json")
    ui = re.search(r"^MLflow UI: (.+)$", proc.stdout, re.M)
    assert ui, proc.stdout
    server = serve_ui(user, ui.group(1).strip())
    try:
        assert runs_in(server[1], "orecast-demo") >= 3  # the training run and its children
        assert runs_in(server[1], "orecast-publish") == 1
    finally:
        _stop_ui(server)


def forecast_block(user: User, block: Block) -> None:
    """orecast forecast: the four files of the table under it."""
    [command] = commands(block.text)
    user.run(command)
    out = user.checkout / "out" / "2017-06"
    for name in ("annual.json", "monthly.csv", "quarterly.csv", "fan_chart.png"):
        assert (out / name).is_file(), out / name
    annual = finite_annual(out / "annual.json")
    assert annual["prob_below_low"] is not None  # the guidance range was used
    monthly = pd.read_csv(out / "monthly.csv")
    assert list(monthly.columns[:6]) == ["month", "kind", "mean", "p10", "p50", "p90"]


def sales_block(user: User, block: Block) -> None:
    """orecast forecast in sales dollars: the sales_usd block and its chart."""
    [command] = commands(block.text)
    user.run(command)
    out = user.checkout / "out" / "sales-2016"
    annual = finite_annual(out / "annual.json")
    sales = annual["sales_usd"]
    assert annual["guidance_metric"] == "sales_usd" and sales["prob_within"] is not None
    assert sales["p10"] < sales["p50"] < sales["p90"]
    assert (out / "sales_chart.png").is_file()


def notebook_block(user: User, block: Block) -> None:
    """The notebook snippet runs as written and writes the files orecast forecast writes."""
    snippet = user.home / "notebook.py"
    snippet.write_text(block.text)
    user.run(f"cd {shlex.quote(str(user.checkout))} && .venv/bin/python {snippet}")
    out = user.checkout / "out" / "notebook-2017-06"
    annual = finite_annual(out / "annual.json")
    assert annual["as_of"] == "2017-06" and annual["prob_below_low"] is not None
    assert (out / "fan_chart.png").is_file()


def backtest_block(user: User, block: Block) -> None:
    """orecast backtest: the headline table on stdout, leave_one_year_out.csv written."""
    [command] = commands(block.text)
    proc = user.run(command)
    assert (user.checkout / "out" / "backtest" / "leave_one_year_out.csv").is_file()
    assert "ensemble" in proc.stdout and "guidance" in proc.stdout, proc.stdout


def training_block(user: User, block: Block) -> None:
    """train into ./mlflow.db, see it in ``mlflow ui``, move the alias by hand."""
    train, ui, promote = commands(block.text)
    user.run(train)
    assert (user.checkout / "mlflow.db").is_file()
    server = serve_ui(user, ui)
    try:
        assert runs_in(server[1], "orecast") >= 3
    finally:
        _stop_ui(server)
    user.run(promote)


def python_block(user: User, block: Block) -> None:
    """The served model's Python use: the snippet runs as is and gives a forecast frame."""
    snippet = user.home / "snippet.py"
    snippet.write_text(block.text)
    check = (f"import runpy; ns = runpy.run_path({str(snippet)!r}); f = ns['frame']; "
             "assert len(f) > 0, f; print(len(f))")
    user.run(f".venv/bin/python -c {shlex.quote(check)}")


def bulk_block(user: User, block: Block) -> None:
    """orecast bulk on the shipped sample: 150 plants x 18 months, exit 0 (no fallback)."""
    [command] = commands(block.text)
    user.run(command)
    out = pd.read_csv(user.checkout / "forecasts.csv")
    assert len(out) == 150 * 18 and out["series_id"].nunique() == 150
    assert out[["forecast", "p10", "p50", "p90"]].notna().all().all()


def cluster_block(user: User, block: Block) -> None:
    """A dask scheduler and workers started as written (on a free port), then orecast bulk on
    them into an output folder; the cluster is stopped afterwards."""

    port = str(_free_port())
    started = []
    try:
        for line in commands(block.text):
            line = line.replace("8786", port)
            if line.endswith("&"):
                started.append(subprocess.Popen(
                    ["bash", "-c", line[:-1]], cwd=user.checkout, env=user.env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    start_new_session=True))
                continue
            from distributed import Client

            with Client(f"tcp://127.0.0.1:{port}", timeout=60) as client:
                client.wait_for_workers(2, timeout=120)
            user.run(line)
    finally:
        for proc in started:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
    manifest = json.loads((user.checkout / "out" / "plants" / "manifest.json").read_text())
    assert manifest["totals"]["series"] == 150 and manifest["totals"]["rows"] == 150 * 18


def read_parts_block(user: User, block: Block) -> None:
    """Reading the output folder as written: every forecast row, no failure."""
    snippet = user.home / "read_parts.py"
    snippet.write_text(block.text)
    out = user.run(f"cd {shlex.quote(str(user.checkout))} && .venv/bin/python {snippet}")
    assert out.stdout.strip() == f"{150 * 18} rows, 0 series fell back", out.stdout


def publish_block(user: User, block: Block) -> None:
    """orecast publish on the user's files into their publication root; its log follows."""
    [command] = commands(block.text)
    user.run(user.subst(command.replace(" production.csv", " /data/production.csv")
                        .replace(" guidance.csv", " /data/guidance.csv")))
    finite_annual(user.home / "srv" / "orecast" / "latest" / "annual.json")


def log_block(user: User, block: Block) -> None:
    """The publish log excerpt: the last publish logged the same steps in the same shape."""
    for line in block.text.splitlines():
        step = re.search(r"INFO forecast\.publish (step=\w+ status=\w+)", line)
        assert step, line
        assert step.group(1) in user.last_stderr, (step.group(1), user.last_stderr)


def cron_block(user: User, block: Block) -> None:
    """The crontab line, run by a shell as cron would, against a real tracking server."""
    [line] = block.text.splitlines()
    command = line.split(None, 5)[5]  # after the five schedule fields
    (user.home / "log").mkdir(exist_ok=True)
    server = serve_ui(user, ".venv/bin/mlflow server --backend-store-uri sqlite:///mlflow.db "
                            "--workers 1")
    try:
        command = user.subst(command, "cron").replace("http://mlflow.internal:5000", server[1])
        user.run(command, env={"ORECAST_TODAY": TODAY})
    finally:
        _stop_ui(server)
    assert "step=done status=published" in (user.home / "log" / "publish.log").read_text()
    finite_annual(user.home / "srv" / "cron" / "latest" / "annual.json")


def airflow_block(user: User, block: Block) -> None:
    """The Airflow task: Airflow is not installed here, so its ``bash_command`` is rendered
    with the two macros it uses for a run on the 5th of January and run by bash."""
    import jinja2

    call = ast.parse(block.text).body[-1].value
    kwargs = {k.arg: k.value for k in call.keywords}
    command = ast.literal_eval(kwargs["bash_command"])
    env = ast.literal_eval(kwargs["env"])

    class Macros:
        @staticmethod
        def ds_add(ds: str, days: int) -> str:
            return (date.fromisoformat(ds) + timedelta(days=days)).isoformat()

        @staticmethod
        def ds_format(ds: str, fmt_in: str, fmt_out: str) -> str:
            from datetime import datetime
            return datetime.strptime(ds, fmt_in).strftime(fmt_out)

    rendered = jinja2.Template(command).render(ds="2018-01-05", macros=Macros)
    assert "--as-of 2017-12" in rendered, rendered
    server = serve_ui(user, ".venv/bin/mlflow server --backend-store-uri sqlite:///mlflow.db "
                            "--workers 1")
    try:
        env = {k: v.replace("http://mlflow.internal:5000", server[1]) for k, v in env.items()}
        user.run(user.subst(rendered, "airflow"), env={**env, "ORECAST_TODAY": TODAY})
    finally:
        _stop_ui(server)
    finite_annual(user.home / "srv" / "airflow" / "2018" / "2017-12" / "annual.json")


def mlproject_block(user: User, block: Block) -> None:
    """``mlflow run . -e publish`` with the checkout's venv."""
    [command] = commands(block.text)
    user.run(user.subst(command, "mlflow-run"), env={"ORECAST_TODAY": TODAY})
    finite_annual(user.home / "srv" / "mlflow-run" / "latest" / "annual.json")


def guidance_block(user: User, block: Block) -> None:
    """orecast guidance with the champion of ./mlflow.db: the JSON and the chart."""
    [command] = commands(block.text)
    user.run(command)
    out = user.checkout / "out" / "guidance-2018"
    advice = json.loads((out / "guidance.json").read_text(),
                        parse_constant=lambda c: pytest.fail(c))
    assert advice["range"]["low_oz"] < advice["p50"] < advice["range"]["high_oz"]
    assert advice["model"]["version"] and (out / "guidance.png").is_file()


def layout_block(user: User, block: Block) -> None:
    """The layout: every folder it names exists in the checkout."""
    for line in block.text.splitlines():
        folder = re.match(r"\s*([\w]+/)", line)
        if folder:
            assert any((user.checkout / p / folder.group(1)).is_dir()
                       for p in ("", "models", "forecast", "training")), folder.group(1)


#: (pattern a block's text must match, what runs it); first match wins
BLOCKS: list[tuple[str, Callable[[User, Block], None]]] = [
    (r"^make demo", setup_block),
    (r"--guidance-metric sales_usd", sales_block),
    (r"^\.venv/bin/orecast forecast ", forecast_block),
    (r"^\.venv/bin/orecast backtest ", backtest_block),
    (r"^\.venv/bin/orecast train\b", training_block),
    (r"^import mlflow\n", python_block),
    (r"^import orecast\n", notebook_block),
    (r"^\.venv/bin/dask scheduler ", cluster_block),
    (r"^\.venv/bin/orecast bulk ", bulk_block),
    (r"^import pandas as pd\n\nforecasts = pd\.read_parquet", read_parts_block),
    (r"^\.venv/bin/orecast publish ", publish_block),
    (r"^\.\.\. INFO forecast\.publish ", log_block),
    (r"^[\d*/,-]+ [\d*/,-]+ [\d*/,-]+ [\d*/,-]+ [\d*/,-]+ ", cron_block),
    (r"from airflow", airflow_block),
    (r"^\.venv/bin/mlflow run \. -e publish", mlproject_block),
    (r"^\.venv/bin/orecast guidance ", guidance_block),
    (r"^models/ ", layout_block),
]


def handler_for(block: Block) -> Callable[[User, Block], None]:
    """The entry of ``BLOCKS`` that runs ``block``; fails naming the README line if none."""
    handler = _matching_handler(block)
    if handler is None:
        pytest.fail(f"README.md:{block.line}: a block no test runs; add it to "
                    f"tests/test_readme.py BLOCKS:\n{block.text}")
    return handler


def _matching_handler(block: Block) -> Callable[[User, Block], None] | None:
    for pattern, handler in BLOCKS:
        if re.search(pattern, block.text, re.M if pattern.startswith("^") else 0):
            return handler
    return None


#: The walk-through as independent chains. A chain is the blocks that use what an earlier
#: block of it built: the last publish's log; ``out/``, which the forecast block's ``--out
#: out/2017-06`` creates and the cluster block's ``--output out/plants/`` needs (run alone
#: from a fresh checkout, that block exits 2); the cluster's output folder. Chains share
#: nothing but the trained ``./mlflow.db``, so each runs from its own clean checkout and the
#: xdist workers run them side by side. Every block that needs the champion starts from a
#: copy of the checkout the training block left (trained once per session by the training
#: block's own commands, as written: ``trained_checkout``), which is the store those blocks
#: used when they all ran one after the other in one checkout.
CHAINS: dict[str, tuple[Callable[[User, Block], None], ...]] = {
    "training": (training_block,),
    "python": (python_block,),
    "publish": (publish_block, log_block),
    "guidance": (guidance_block,),
    "cron": (cron_block,),
    "airflow": (airflow_block,),
    "mlproject": (mlproject_block,),
    "setup": (setup_block,),
    "backtest": (backtest_block,),
    "bulk": (bulk_block,),
    "forecast": (forecast_block, cluster_block, read_parts_block),
    "sales": (sales_block,),
    "notebook": (notebook_block,),
    "layout": (layout_block,),
}
#: chains that start from a copy of the trained checkout
TRAINED = ("python", "publish", "guidance", "cron", "airflow", "mlproject")


def test_every_readme_block_has_a_runner() -> None:
    handlers = [handler_for(b) for b in readme_blocks()]
    assert len(set(handlers)) == len(BLOCKS), "a BLOCKS entry matches no README block"


def test_the_chains_run_every_runner_once() -> None:
    """Every ``BLOCKS`` entry is in exactly one chain and every chain has a test class, so
    the chains together run every README block (a block no entry matches fails the test
    above)."""
    chained = [h for chain in CHAINS.values() for h in chain]
    assert sorted(h.__name__ for h in chained) == sorted(h.__name__ for _, h in BLOCKS)
    tested = [c for cls in _Chains.__subclasses__() for c in cls.chains]
    assert sorted(tested) == sorted(CHAINS)


def _new_user(root: Path) -> User:
    """A clean checkout under ``root`` with the user's data files and environment."""
    checkout = _clean_checkout(root / "checkout")
    assert not (checkout / "mlflow.db").exists()
    (checkout / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    home = root / "home"
    (home / "data").mkdir(parents=True)
    embedded = checkout / "models" / "data" / "datasets" / "dynacor"
    shutil.copy(embedded / "monthly.csv", home / "data" / "production.csv")
    shutil.copy(embedded / "guidance.csv", home / "data" / "guidance.csv")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MLFLOW_", "ORECAST_"))}
    return User(checkout, home, env)


def _run_chain(user: User, chain: str) -> None:
    """Run the README blocks of ``chain`` in README order; each of its runners must run."""
    blocks = [b for b in readme_blocks(user.checkout / "README.md")
              if _matching_handler(b) in CHAINS[chain]]
    for block in blocks:
        handler = _matching_handler(block)
        handler(user, block)
        user.done.append(f"README.md:{block.line} {handler.__name__}")
    ran = {d.split()[1] for d in user.done}
    assert ran == {h.__name__ for h in CHAINS[chain]}, (chain, user.done)


@pytest.fixture(scope="session")
def trained_checkout(tmp_path_factory: pytest.TempPathFactory) -> User:
    """A clean checkout after the README's training block ran in it, as written: train into
    ./mlflow.db, read the runs back through ``mlflow ui``, promote version 1.

    Built once per session: the xdist workers share it through a file lock in the session's
    temp folder (as ``tests.forecast.test_publish.registered_store``); tests copy it.
    """
    import fcntl

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of this session
    root = base / "readme-trained"
    with open(base / "readme-trained.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "ready").exists():
            shutil.rmtree(root, ignore_errors=True)  # a build that failed half-way
            user = _new_user(root)
            _run_chain(user, "training")
            (root / "ready").write_text("\n".join(user.done))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "ORECAST_"))}
    return User(root / "checkout", root / "home", env,
                done=(root / "ready").read_text().splitlines())


def _copy_of(trained: User, root: Path) -> User:
    """The trained checkout and the user's home, copied (store, artifacts and all)."""
    checkout, home = root / "checkout", root / "home"
    shutil.copytree(trained.checkout, checkout, symlinks=True)
    shutil.copytree(trained.home, home, symlinks=True)
    return User(checkout, home, dict(trained.env))


class _Chains:
    """One xdist scope (``--dist loadscope``: one worker) per subclass, holding its
    ``chains``; the Makefile hands the scopes out in file order, longest first."""

    chains: tuple[str, ...] = ()

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        metafunc.parametrize("chain", self.chains)

    def test_every_readme_command_works_as_written_from_a_clean_checkout(
            self, chain: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
        if chain == "training":
            trained = request.getfixturevalue("trained_checkout")
            assert [d.split()[1] for d in trained.done] == ["training_block"]
            assert (trained.checkout / "mlflow.db").is_file()
            return
        if chain in TRAINED:
            user = _copy_of(request.getfixturevalue("trained_checkout"), tmp_path)
        else:
            user = _new_user(tmp_path)
        _run_chain(user, chain)


@pytest.mark.slow
@pytest.mark.server
class TestTrainingAndPublishing(_Chains):
    """Trains (once per session) and publishes; the worker that takes it builds the store."""

    chains = ("training", "python", "publish", "guidance")


@pytest.mark.slow
@pytest.mark.server
class TestSetup(_Chains):
    """``make demo``: trains its own demo store, the longest chain but training's."""

    chains = ("setup",)


@pytest.mark.slow
@pytest.mark.server
class TestSchedulers(_Chains):
    """cron, Airflow and ``mlflow run``: after ``TestSetup`` on its worker, by when the
    trained checkout is ready (else the file lock waits for it)."""

    chains = ("cron", "airflow", "mlproject")


@pytest.mark.slow
class TestBacktest(_Chains):
    chains = ("backtest",)


@pytest.mark.slow
class TestBulk(_Chains):
    chains = ("bulk",)


@pytest.mark.slow
class TestForecastAndCluster(_Chains):
    chains = ("forecast", "sales", "notebook", "layout")
