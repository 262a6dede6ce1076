"""Quiet means quiet: with ``-q``, and in a log file at any level, MLflow's artifact progress
bars (carriage-return redraws) and its registry prints ("Successfully registered model",
"Created version") never appear; stdout carries only the commands' result lines. A value of
``ORECAST_LOG_LEVEL`` that names no level is one warning, and the command runs at INFO."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from forecast.cli.logs import env_level

ORECAST = str(Path(sys.executable).parent / "orecast")
MLFLOW_PRINTS = ("Successfully registered model", "Created version", "already exists",
                 "View run", "Downloading artifacts")


@pytest.mark.parametrize(("value", "level"), [
    (None, logging.INFO), ("", logging.INFO), ("warning", logging.WARNING),
    (" DEBUG ", logging.DEBUG), ("Error", logging.ERROR), ("warn", logging.WARNING),
])
def test_level_names_are_read_in_any_case(value, level):
    assert env_level(value) == (level, None)


@pytest.mark.parametrize("value", ["BASIC_FORMAT", "verbose", "10", "root", "getLogger"])
def test_a_value_that_is_no_level_falls_back_to_info_with_a_warning(value):
    level, warning = env_level(value)
    assert level == logging.INFO
    assert f"ORECAST_LOG_LEVEL={value!r} is not a level" in warning
    assert "DEBUG, INFO, WARNING, ERROR, CRITICAL" in warning


def _env(**more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MLFLOW_", "ORECAST_LOG_LEVEL"))}
    return {**env, "MPLBACKEND": "Agg", **more}


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    # stderr and stdout are files here, as under cron or a scheduler: not a terminal
    return subprocess.run([ORECAST, *args], cwd=cwd, env=_env(**env), capture_output=True,
                          text=True, timeout=600)


def test_basic_format_as_a_level_is_one_warning_and_the_command_runs(tmp_path: Path):
    data = Path(__file__).parents[2] / "docs" / "examples" / "production.csv"
    done = _run(["validate", str(data)], tmp_path, ORECAST_LOG_LEVEL="BASIC_FORMAT")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "WARNING" in lines[0] and "BASIC_FORMAT" in lines[0], lines
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_log_files_hold_no_mlflow_bars_or_prints(tmp_path: Path):
    import mlflow

    from training.tracking import tracking_uri

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    with tracking_uri(uri):
        for name in ("orecast", "orecast-publish"):
            mlflow.MlflowClient().create_experiment(
                name, artifact_location=(tmp_path / name).as_uri())
    train = ["train", "--models", "naive", "--years", "2017", "--no-figures",
             "--n-paths", "100", "--tracking-uri", uri]
    runs = {
        # INFO into a file: registers version 1
        "train": _run(train, tmp_path),
        # -q: downloads the champion's spec to compare, registers version 2
        "train -q": _run(["-q", *train, "--seed", "1"], tmp_path),
        # -q: downloads the champion to publish with it
        "publish -q": _run(["-q", "publish", "--as-of", "2017-06", "--out",
                            str(tmp_path / "pub"), "--n-paths", "200", "--tracking-uri", uri],
                           tmp_path),
    }
    for name, done in runs.items():
        assert done.returncode == 0, (name, done.stderr[-2000:])
        for stream in (done.stderr, done.stdout):
            assert "\r" not in stream, (name, stream[-500:])
            assert not [p for p in MLFLOW_PRINTS if p in stream], (name, stream[-1000:])
        if name.endswith("-q"):
            assert not [line for line in done.stderr.splitlines()
                        if " INFO " in line or " DEBUG " in line], (name, done.stderr)
    assert "registered: orecast version 2" in runs["train -q"].stdout
    assert not (tmp_path / "mlruns").exists()


def test_mlflow_prints_become_records_of_its_logger(capsys):
    from mlflow.tracking._model_registry import fluent

    from forecast.cli.logs import configure_logging

    configure_logging(quiet=True)
    fluent.eprint("Created version '7' of model 'orecast'.")
    assert capsys.readouterr().err == ""  # quiet: the mlflow logger is at WARNING
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append
    logger = logging.getLogger("mlflow")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)  # as with -v
    try:
        fluent.eprint("Created version '7' of model 'orecast'.")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert [r.getMessage() for r in seen] == ["Created version '7' of model 'orecast'."]
