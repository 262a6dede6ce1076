"""The registered forecasting model as MLflow pyfunc, logged as code (no pickle).

MLflow copies this file into every logged model and runs it when the model is loaded, which
calls ``mlflow.models.set_model``: so it holds nothing but the wrapper. The model's state is
one small artifact, ``spec.json`` (zoo name + params, ``training.spec``); the request, the
output and the forecast itself are ``training.serving``'s, read from the installed package.
"""

from __future__ import annotations

from typing import Any

import mlflow
import pandas as pd

from training.serving import SPEC_ARTIFACT, forecast_frame
from training.spec import ModelSpec


class OrecastForecastModel(mlflow.pyfunc.PythonModel):
    """pyfunc wrapper of ``forecast_frame``: the spec comes from the artifact."""

    def load_context(self, context: Any) -> None:
        """Read ``spec.json`` from the model artifacts (a ``periods`` artifact of a model
        logged by an earlier version is not read: the data comes with the request)."""
        artifacts = dict(context.artifacts or {})
        self.spec = ModelSpec.load(artifacts[SPEC_ARTIFACT])

    def predict(self, context: Any, model_input: pd.DataFrame,
                params: dict[str, Any] | None = None) -> pd.DataFrame:
        """The forecast frame for ``model_input`` (see the module docstring)."""
        return forecast_frame(self.spec, model_input, params)


mlflow.models.set_model(OrecastForecastModel())
