"""The MLflow project: entry points, their parameters, the environment, and a real run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ENTRY_POINTS = {"train", "backtest", "forecast", "publish", "benchmark"}
MLFLOW_TYPES = {"string", "float", "path", "uri"}


def _project():
    from mlflow.projects import _project_spec

    return _project_spec.load_project(str(ROOT))


def _argv(entry: str, params: dict[str, str]) -> list[str]:
    """The argv the entry point's command gives ``orecast`` (bash runs it, as mlflow does)."""
    command = _project().get_entry_point(entry).compute_command(params, storage_dir=None)
    shell = "orecast() { printf '%s\\n' \"$@\"; }; " + command
    out = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def _options(command: str) -> set[str]:
    import typer.main

    from forecast.cli import app

    group = typer.main.get_command(app)
    cmd = group.commands.get(command)
    if cmd is None:
        pytest.skip(f"orecast {command} is not available in this tree")
    return {opt for p in cmd.params for opt in p.opts}


def test_entry_points_have_typed_parameters() -> None:
    doc = yaml.safe_load((ROOT / "MLproject").read_text())
    assert set(doc["entry_points"]) == ENTRY_POINTS
    assert doc["python_env"] == "python_env.yaml"
    for name, entry in doc["entry_points"].items():
        for param, spec in entry.get("parameters", {}).items():
            kind = spec if isinstance(spec, str) else spec["type"]
            assert kind in MLFLOW_TYPES, (name, param)


def test_python_env_matches_pyproject() -> None:
    env = yaml.safe_load((ROOT / "python_env.yaml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert env["dependencies"] == project["dependencies"]
    minimum = project["requires-python"].removeprefix(">=")
    assert str(env["python"]) == minimum


def test_train_defaults_omit_optional_flags() -> None:
    argv = _argv("train", {})
    assert argv[0] == "train"
    assert "--data" not in argv and "--models" not in argv and "--no-figures" not in argv
    # every year with evidence by default: no --years, --periods or --guidance flag
    assert not {"--years", "--periods", "--guidance"} & set(argv)
    assert set(a for a in argv if a.startswith("--")) <= _options("train")


def test_train_passes_set_parameters_verbatim() -> None:
    argv = _argv("train", {"data": "my data.csv", "models": "drift,ets", "figures": "false",
                           "n_paths": "200"})
    assert argv[argv.index("--data") + 1] == "my data.csv"
    assert argv[argv.index("--models") + 1] == "drift,ets"
    assert argv[argv.index("--n-paths") + 1] == "200"
    assert "--no-figures" in argv


@pytest.mark.parametrize(("entry", "params", "expected"), [
    ("forecast", {"as_of": "2017-06", "guidance_range": "78000:80000"},
     ["forecast", "--as-of", "2017-06", "--guidance-range", "78000:80000", "--out",
      "forecast-out"]),
    ("publish", {"out": "pub", "force": "true"},
     ["publish", "--model", "models:/orecast@champion", "--out", "pub", "--force"]),
    ("backtest", {"years": "2016,2017"},
     ["backtest", "--years", "2016,2017", "--out", "backtest-out"]),
])
def test_other_entry_points_map_to_cli_options(entry: str, params: dict, expected: list) -> None:
    argv = _argv(entry, params)
    assert argv == expected
    assert set(a for a in argv if a.startswith("--")) <= _options(entry)


def test_benchmark_entry_point_matches_the_script_arguments() -> None:
    command = _project().get_entry_point("benchmark").compute_command({"workers": "1"}, None)
    argv = subprocess.run(["bash", "-c", "python() { printf '%s\\n' \"$@\"; }; " + command],
                          capture_output=True, text=True, check=True).stdout.splitlines()
    assert argv[0] == "benchmarks/m3_monthly.py" and "--models" not in argv
    script = ROOT / "benchmarks" / "m3_monthly.py"
    if not script.exists():
        pytest.skip("benchmarks/m3_monthly.py is not in this tree")
    # every flag passed is one the script's argparse declares
    text = script.read_text()
    for flag in (a for a in argv if a.startswith("--")):
        assert f'"{flag}"' in text, flag


def _clean_checkout(dest: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for rel in files:
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


@pytest.mark.slow
def test_mlflow_run_train_then_publish_from_a_clean_checkout(tmp_path: Path) -> None:
    """As a newcomer runs it: the venv not on PATH, no --experiment-name for training."""
    from mlflow import MlflowClient

    checkout = _clean_checkout(tmp_path / "checkout")
    (checkout / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if p != venv_bin and not (Path(p) / "orecast").exists())
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "PATH": path}
    env.pop("MLFLOW_EXPERIMENT_ID", None)
    env.pop("MLFLOW_EXPERIMENT_NAME", None)
    mlflow_run = [sys.executable, "-m", "mlflow", "run", str(checkout), "--env-manager", "local"]
    train = subprocess.run(
        [*mlflow_run, "-e", "train", "-P", "models=drift,share_runrate", "-P", "n_paths=100",
         "-P", "figures=false", "-P", "register=mlproject-test", "-P", "years=2016-2017"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert train.returncode == 0, train.stderr[-3000:]
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    champion = client.get_model_version_by_alias("mlproject-test", "champion")
    run = client.get_run(champion.tags["parent_run_id"])
    # the training is in the experiment the project names, not in "Default"
    assert client.get_experiment(run.info.experiment_id).name == "orecast"
    assert run.data.tags.get("mlflow.project.entryPoint") == "train"
    project = client.get_run(run.data.tags["orecast.project_run_id"])
    assert project.info.experiment_id == "0"
    assert run.info.run_id in project.data.tags["orecast.logged_to"]

    # publish without as_of: the project run logged as_of="" before the job resolved it
    out = tmp_path / "pub"
    publish = subprocess.run(
        [*mlflow_run, "-e", "publish", "--experiment-name", "mlproject", "-P", f"out={out}",
         "-P", "model=models:/mlproject-test@champion"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert publish.returncode == 0, publish.stderr[-3000:]
    assert (out / "2018" / "2017-12" / "annual.json").is_file()
    runs = client.search_runs([client.get_experiment_by_name("mlproject").experiment_id])
    assert len(runs) == 1
    assert runs[0].data.tags.get("mlflow.project.entryPoint") == "publish"
    assert runs[0].data.tags.get("orecast.as_of") == "2017-12"
    assert runs[0].data.params.get("as_of") in ("", "''")  # what the project run logged


@pytest.mark.slow
def test_mlflow_run_train_from_a_clean_checkout(tmp_path: Path) -> None:
    from mlflow import MlflowClient

    checkout = _clean_checkout(tmp_path / "checkout")
    assert not (checkout / ".venv").exists()
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("MLFLOW_EXPERIMENT_ID", None)
    cmd = [sys.executable, "-m", "mlflow", "run", str(checkout), "-e", "train",
           "--env-manager", "local", "--experiment-name", "mlproject",
           "-P", "models=drift,share_runrate", "-P", "n_paths=100", "-P", "figures=false",
           "-P", "register=mlproject-test"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    champion = client.get_model_version_by_alias("mlproject-test", "champion")
    run = client.get_run(champion.tags["parent_run_id"])
    assert run.data.params["models"] == "drift,share_runrate"
    assert run.data.tags.get("mlflow.project.entryPoint") == "train"
    assert champion.tags["data_name"] == "dynacor"
