"""Numbers a degenerate model cannot game, intervals of one fixed quantity, and the floor's priors, on every
task's own protocol and tiny stand-in (issue 17)."""

import warnings

import numpy as np
import pytest
from sklearn.metrics import f1_score

from irbench.evaluation.bootstrap import bootstrap_interval
from irbench.evaluation.metrics import headline_metric, multilabel_metrics, single_label_metrics
from irbench.evaluation.types import ClipScores
from irbench.tasks import TASKS, get_task
from irbench.task import PredictionType

pytestmark = pytest.mark.slow


THRESHOLDED = ("irmas", "openmic", "musicnet", "musicnet-instruments")


@pytest.fixture(scope="module")
def loaded(stand_in):
    """``loaded(task)`` -> the task and its tiny stand-in's clips, loaded once per module."""
    cache = {}

    def get(name):
        if name not in cache:
            task = get_task(name)
            cache[name] = task, task.load(stand_in(name))
        return cache[name]

    return get


def _clip_scores(task, clips, windows_of) -> ClipScores:
    targets, mask = task.targets(clips), task.mask(clips)
    return ClipScores([c.clip_id for c in clips], [windows_of(i, t) for i, t in enumerate(targets)], targets, mask)


def _evaluate(task, data, windows_of):
    return task.evaluate(_clip_scores(task, data.splits["validation"], windows_of),
                         _clip_scores(task, data.splits["test"], windows_of))


# --- the absent-class rule against independent computations -------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_macro_averages_match_an_independent_computation(seed):
    rng = np.random.default_rng(seed)
    targets = (rng.random((40, 6)) < 0.3).astype(int)
    targets[:, 4:] = 0  # two classes absent from the test set
    predictions = (rng.random((40, 6)) < 0.3).astype(int)
    predictions[:, 5] = 0  # one of them never predicted
    metrics, _ = multilabel_metrics(targets, predictions, rng.random((40, 6)), tuple("abcdef"))
    every = list(range(6))
    assert metrics["macro_f1"] == pytest.approx(
        f1_score(targets, predictions, labels=every, average="macro", zero_division=1))
    assert metrics["macro_f1_absent_zero"] == pytest.approx(
        f1_score(targets, predictions, labels=every, average="macro", zero_division=0))
    recall = []
    for c in every:  # the rule written out: a class without positives counts 1 only when never predicted
        tp, fp, fn = [int(((targets[:, c] == t) & (predictions[:, c] == p)).sum()) for t, p in ((1, 1), (0, 1), (1, 0))]
        recall.append(tp / (tp + fn) if tp + fn else float(fp == 0))
    assert metrics["macro_recall"] == pytest.approx(np.mean(recall))
    assert headline_metric("macro_f1", targets, predictions, rng.random((40, 6))) == pytest.approx(metrics["macro_f1"])


def test_single_label_macro_f1_counts_a_predicted_absent_class():
    targets = np.eye(3)[[0, 0, 1, 1]]  # class c absent
    honest = np.eye(3)[[0, 0, 1, 1]]
    wrong = np.eye(3)[[0, 2, 1, 1]]  # one clip called c
    assert single_label_metrics(targets, honest, tuple("abc"))[0]["macro_f1"] == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn notes that c is predicted but absent: the case under test
        value = single_label_metrics(targets, wrong, tuple("abc"))[0]["macro_f1"]
        expected = f1_score(targets.argmax(1), wrong.argmax(1), labels=[0, 1, 2], average="macro", zero_division=1)
    assert value == pytest.approx(expected) and value < 1.0


# --- degenerate models on each protocol ------------------------------------------------------------------


@pytest.mark.parametrize("name", THRESHOLDED)
def test_predicting_everything_never_looks_good(name, loaded):
    """On each thresholded task's own test set: a perfect model scores 1; a model that says every instrument is
    present everywhere stays below 0.45 on a decision headline (OpenMIC's mAP ranks scores, so there it earns
    exactly the observed prevalences, the floor) and below a model that names the present classes only."""
    task, data = loaded(name)
    main = task.metadata.main_score
    perfect = _evaluate(task, data, lambda i, t: t[None].astype(np.float64))
    everything = _evaluate(task, data, lambda i, t: np.ones((1, len(t))))
    present = task.targets(data.splits["test"]).max(axis=0)
    present_only = _evaluate(task, data, lambda i, t: np.broadcast_to(present, (1, len(t))).copy())
    assert perfect.metrics[main] == 1.0 and perfect.metrics["macro_f1"] == 1.0
    assert everything.clip_predictions.all()
    if main == "map":  # ranks scores: tied scores earn each class's observed prevalence, the floor's own mAP
        targets, mask = task.targets(data.splits["test"]), task.mask(data.splits["test"]) > 0
        prevalence = [targets[mask[:, c], c].mean() for c in range(targets.shape[1]) if targets[mask[:, c], c].any()]
        assert everything.metrics["map"] == pytest.approx(np.mean(prevalence))
    else:
        assert everything.metrics[main] < 0.45, everything.metrics
    if not present.all():  # where every class occurs, naming the present ones is naming all: nothing to compare
        for metric in ("micro_f1", "macro_f1"):
            assert everything.metrics[metric] < present_only.metrics[metric], metric


def test_arg_max_ties_are_the_first_class_and_score_as_such(loaded):
    """The single-label protocol's degenerate model (equal scores everywhere) decides the first class and
    earns exactly that class's prevalence as accuracy."""
    task, data = loaded("medley-solos")
    result = _evaluate(task, data, lambda i, t: np.full((1, len(t)), 1 / len(t)))
    targets = task.targets(data.splits["test"])
    assert result.metrics["accuracy"] == pytest.approx(targets[:, 0].mean())
    assert result.metrics["macro_f1"] < 0.45


# --- intervals of one fixed quantity ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TASKS.names()))
def test_every_point_estimate_lies_in_its_interval(name, loaded):
    task, data = loaded(name)
    rng = np.random.default_rng(0)
    noisy = _evaluate(task, data, lambda i, t: np.clip(0.4 * t + rng.random((2, len(t))) * 0.7, 0, 1))
    test = data.splits["test"]
    groups = [c.group or c.clip_id for c in test]
    for metric in ("micro_f1", "macro_f1", "map", "accuracy"):
        if metric not in noisy.metrics or (metric == "map" and task.metadata.test_prediction_type
                                           is PredictionType.SINGLE_LABEL):
            continue
        point = noisy.metrics[metric]
        assert noisy.rescore(metric, np.arange(len(test))) == pytest.approx(point), metric
        interval = bootstrap_interval(lambda i, m=metric: noisy.rescore(m, i), groups, resamples=300,
                                      unit=task.metadata.test_group_unit)
        assert interval["low"] - 1e-12 <= point <= interval["high"] + 1e-12, (metric, point, interval)
        assert interval["indicative"] == (interval["n_units"] < 30)


def test_a_resample_without_a_class_keeps_the_class_set():
    """mAP over two classes; a resample that draws no positive of class b keeps b's whole-test-set AP
    instead of dropping it (which would report the mean over a alone)."""
    targets = np.array([[1, 0], [0, 1], [1, 0], [0, 0]])
    scores = np.array([[0.9, 0.2], [0.1, 0.3], [0.8, 0.1], [0.2, 0.6]])
    predictions = (scores > 0.5).astype(int)
    _, per_class = multilabel_metrics(targets, predictions, scores, ("a", "b"))
    reference = np.array([per_class["a"]["ap"], per_class["b"]["ap"]])
    without_b = np.array([0, 2, 3])
    value = headline_metric("map", targets[without_b], predictions[without_b], scores[without_b], None, reference)
    assert value == pytest.approx((1.0 + per_class["b"]["ap"]) / 2)
    assert headline_metric("map", targets[without_b], predictions[without_b], scores[without_b]) == 1.0


def test_paired_resamples_keep_the_class_set():
    """The report's vectorised resampling (weights) agrees with the per-resample fast path under the same
    rule: unit weights give the whole-test score, and a resample without class b's positives keeps b."""
    from irbench.store.predictions_file import ClipTable
    from irbench.evaluation.resampling import weighted_metric

    targets = np.array([[1, 0], [0, 1], [1, 0], [0, 0]], dtype=float)
    scores = np.array([[0.9, 0.2], [0.1, 0.3], [0.8, 0.1], [0.2, 0.6]])
    predictions = (scores > 0.5).astype(float)
    ids = np.array(["0", "1", "2", "3"])
    table = ClipTable(ids, ids, True, targets, predictions, scores, np.ones_like(targets))
    weights = np.array([[1, 1, 1, 1], [1, 0, 1, 1]], dtype=float)
    _, per_class = multilabel_metrics(targets, predictions, scores, ("a", "b"))
    reference = np.array([per_class["a"]["ap"], per_class["b"]["ap"]])
    for metric in ("map", "macro_f1", "micro_f1"):
        got = weighted_metric(metric, weights, table)
        whole = headline_metric(metric, targets, predictions, scores, None, reference)
        drawn = np.array([0, 2, 3])
        part = headline_metric(metric, targets[drawn], predictions[drawn], scores[drawn], None, reference)
        assert got == pytest.approx([whole, part]), metric
