"""The metric registry: every metric a built-in protocol emits is registered with a name, a definition and a
direction; ranking follows the registry; an unregistered metric is never ranked without a warning."""

from __future__ import annotations

import warnings

import pytest

from irbench.contracts import _synthetic
from irbench.evaluation import metric_registry
from irbench.evaluation.metric_registry import (
    METRICS,
    Metric,
    UnknownMetricWarning,
    best_of,
    definition,
    direction,
    display_name,
    higher_is_better,
)
from irbench.registry import Registry
from irbench.tasks import TASKS


@pytest.mark.parametrize("name", sorted(TASKS.names()))
def test_every_metric_a_built_in_protocol_emits_is_registered(name):
    task = TASKS.get(name)()
    evaluation = task.evaluate(_synthetic(task.metadata, 0), _synthetic(task.metadata, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownMetricWarning)
        for key in evaluation.metrics:
            assert direction(key) is not None, key
            assert definition(key) and metric_registry.metric(key) is not None, key
            higher_is_better(key)  # no warning


def test_s1_keys_are_their_metric_aggregated_by_the_mean():
    assert display_name("s1_micro_f1") == "S1 (mean) " + display_name("micro_f1")
    assert definition("s1_micro_f1").startswith(definition("micro_f1")) and "mean" in definition("s1_micro_f1")
    assert direction("s1_hamming_loss") is False and direction("s1_map") is True


def test_best_follows_each_registered_direction():
    for key in METRICS.names():
        expected = 0.9 if METRICS.get(key).higher_is_better else 0.1
        assert best_of(key, [0.1, 0.5, 0.9]) == expected, key
    assert best_of("hamming_loss", [0.3, 0.2]) == 0.2 and best_of("micro_f1", [0.3, 0.2]) == 0.3


def test_an_unregistered_metric_warns_naming_it_and_is_shown_as_it_is():
    assert direction("dprime_score") is None
    assert display_name("dprime_score") == "dprime score" and definition("dprime_score") == ""
    with pytest.warns(UnknownMetricWarning, match="'dprime_score'.*higher-is-better"):
        assert best_of("dprime_score", [0.1, 0.9]) == 0.9
    with pytest.warns(UnknownMetricWarning, match="'s1_dprime_score'"):
        higher_is_better("s1_dprime_score")


def test_a_plugin_metric_registers_its_direction(monkeypatch):
    registry = Registry("metric")
    for key in METRICS.names():
        registry.register(key, METRICS.get(key))
    registry.register("eer", Metric("eer", "EER", "Equal error rate.", higher_is_better=False))
    monkeypatch.setattr(metric_registry, "METRICS", registry)
    from irbench.report.tables import best_rows  # the report asks the registry

    class _Spread:
        def __init__(self, mean):
            self.mean = mean

    class _Row:
        def __init__(self, value):
            self.metrics = {"eer": _Spread(value), "s1_eer": _Spread(value)}

    board = type("Board", (), {"rows": [_Row(0.3), _Row(0.1), _Row(0.2)]})()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownMetricWarning)
        assert best_rows(board, "eer") == {1} and best_rows(board, "s1_eer") == {1}
        assert display_name("s1_eer") == "S1 (mean) EER"
    with pytest.raises(ValueError, match="already registered"):
        registry.register("eer", Metric("eer", "EER", "again"))
