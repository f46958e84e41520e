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


class _Crashes(IrmasTask):
    def evaluate(self, validation, test):
        raise ZeroDivisionError("oops")


@pytest.mark.parametrize("task, found", [
    (_NoSuchMainScore, "'f2_score' is not among the protocol's metrics"),
    (_LabelNamesMissing, "1 names for 11 labels"),
    (_NoRescore, "no rescore"),
    (_Crashes, "ZeroDivisionError: oops"),
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
