"""The task contract: checked for every built-in task, and a plugin task that breaks it is refused by name."""

from importlib import metadata

import pytest

from irbench.contracts import check_task
from irbench.registry import PluginWarning, Registry
from irbench.tasks import TASKS, _check, get_task
from irbench.tasks.irmas import IrmasTask


@pytest.mark.parametrize("name", sorted(TASKS.names()))
def test_every_built_in_task_keeps_its_contract(name):
    assert check_task(get_task(name)) == []


class _NoSuchMainScore(IrmasTask):
    metadata = IrmasTask.metadata.model_copy(update={"main_score": "f2_score"})


class _LabelNamesMissing(IrmasTask):
    metadata = IrmasTask.metadata.model_copy(update={"label_names": ("cello",)})


class _NoRescore(IrmasTask):
    def evaluate(self, validation, test):
        result = super().evaluate(validation, test)
        result.rescore = None
        return result


class _WordyCurve(IrmasTask):
    def evaluate(self, validation, test):
        result = super().evaluate(validation, test)
        result.threshold = {**result.threshold, "validation_curve": {"low": 0.5}}
        return result


class _ListMatrix(IrmasTask):
    def evaluate(self, validation, test):
        result = super().evaluate(validation, test)
        result.extra = {**result.extra, "confusion_matrix": [[1, 0], [0, 1]]}
        return result


class _Crashes(IrmasTask):
    def evaluate(self, validation, test):
        raise ZeroDivisionError("oops")


@pytest.mark.parametrize("task, found", [
    (_NoSuchMainScore, "'f2_score' is not among the protocol's metrics"),
    (_LabelNamesMissing, "1 names for 11 labels"),
    (_NoRescore, "no rescore"),
    (_Crashes, "ZeroDivisionError: oops"),
    (_WordyCurve, "threshold: does not fit the run record's DecisionRule"),
    (_ListMatrix, "extra: does not fit the run record's ProtocolExtras"),
])
def test_a_broken_task_is_named_with_what_it_breaks(task, found):
    problems = check_task(task())
    assert problems and found in " ".join(map(str, problems))


def test_a_plugin_task_that_breaks_the_contract_is_skipped(monkeypatch):
    _NoSuchMainScore.__module__ = "irbench_plugin_example_broken"
    monkeypatch.setattr(metadata.EntryPoint, "load", lambda self: _NoSuchMainScore)
    point = metadata.EntryPoint("broken-task", "irbench_plugin_example_broken:Task", "irbench.tasks")
    monkeypatch.setattr(metadata, "entry_points", lambda group: [point] if group == "irbench.tasks" else [])
    registry = Registry("task", entry_point_group="irbench.tasks", check=_check)
    with pytest.warns(PluginWarning, match="breaks the task contract"):
        assert registry.names() == []
    assert "f2_score" in registry.plugin_errors["broken-task"]


def test_task_metadata_refuses_a_misspelt_field():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="main_scroe"):
        type(IrmasTask.metadata).model_validate({**IrmasTask.metadata.model_dump(), "main_scroe": "accuracy"})


def _baseline(**attributes):
    from irbench.baselines.vgg import VGGBaseline

    return type("Contributed", (VGGBaseline,), attributes)


@pytest.mark.parametrize("attributes, found", [
    ({"input_frames": 0}, "input_frames is 0"),
    ({"frontend_name": "log-mle"}, "front end 'log-mle', which is not registered"),
    ({"frontend_config": None}, "declares no frontend_config"),
])
def test_a_baseline_that_breaks_its_contract_is_named(attributes, found):
    from irbench.baselines import check_baseline

    assert check_baseline(_baseline()) is None
    assert found in check_baseline(_baseline(**attributes))


def test_a_build_returns_a_module_or_a_built_model():
    import numpy as np
    import torch

    from irbench.baselines.base import BuiltModel, ModelSpec
    from irbench.task import PredictionType

    spec = ModelSpec(3, PredictionType.SINGLE_LABEL, (128, 43), np.full(3, 1 / 3))
    bare = _baseline()()
    built = bare.assemble(spec, bare.training)
    assert isinstance(built, BuiltModel) and built.notes == {} and built.callbacks == ()
    assert bare.describe(built.notes)["notes"] == {}  # nothing is kept on the baseline between builds
    noted = _baseline(build=lambda self, s, c: BuiltModel(torch.nn.Linear(1, 3), {"weights": "w"}))()
    assert noted.describe(noted.assemble(spec, noted.training).notes)["notes"] == {"weights": "w"}
    with pytest.raises(TypeError, match="returned a dict"):
        _baseline(build=lambda self, s, c: {"model": None})().assemble(spec, bare.training)
