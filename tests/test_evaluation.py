import warnings

import numpy as np
import pytest

from irbench.evaluation.aggregation import aggregate
from irbench.evaluation.metrics import multilabel_metrics, top1_hit_rate
from irbench.evaluation.thresholds import choose_threshold
from irbench.evaluation.types import ClipScores
from irbench.tasks.irmas import LABELS, IrmasTask
from irbench.windowing.layouts import layout_windows


def test_windows_are_consecutive_and_never_empty():
    features = np.arange(2 * 10, dtype=np.float32).reshape(2, 10)
    windows = layout_windows(features, 4, pad_value=-1)
    assert windows.shape == (2, 2, 4)
    np.testing.assert_array_equal(windows[1], features[:, 4:8])
    short = layout_windows(features[:, :3], 4, pad_value=-1)
    assert short.shape == (1, 2, 4) and (short[0, :, 3] == -1).all()


def test_s1_is_the_mean_and_s2_puts_the_top_class_at_one():
    scores = [np.array([[0.2, 0.6, 0.2], [0.4, 0.4, 0.2]])]
    np.testing.assert_allclose(aggregate("s1", scores)[0], [0.3, 0.5, 0.2])
    s2 = aggregate("s2", scores)[0]
    assert s2.max() == 1.0 and np.argmax(s2) == 1
    np.testing.assert_allclose(s2, np.array([0.6, 1.0, 0.4]))


def test_threshold_maximises_validation_micro_f1():
    scores = np.array([[0.9, 0.35], [0.2, 0.8], [0.6, 0.1]])
    targets = np.array([[1, 1], [0, 1], [1, 0]])
    best, curve = choose_threshold(scores, targets)
    assert curve[best] == 1.0 and best == min(t for t, f in curve.items() if f == 1.0) == 0.25


def test_perfect_and_inverted_predictions():
    targets = np.array([[1, 0, 1], [0, 1, 0]])
    metrics, per_class = multilabel_metrics(targets, targets, targets.astype(float), ("a", "b", "c"))
    assert metrics["micro_f1"] == metrics["macro_f1"] == metrics["lrap"] == 1.0
    assert per_class["a"]["support"] == 1
    worst, _ = multilabel_metrics(targets, 1 - targets, 1.0 - targets, ("a", "b", "c"))
    assert worst["micro_f1"] == 0.0 and top1_hit_rate(targets, 1.0 - targets) == 0.0


def _scores(rng, targets):
    windows = [np.clip(t * 0.6 + rng.uniform(0, 0.5, (3, len(t))), 0, 1) for t in targets]
    return ClipScores([str(i) for i in range(len(targets))], windows, targets.astype(np.float32))


def test_the_test_split_never_influences_the_threshold():
    rng = np.random.default_rng(0)
    targets = (rng.random((30, len(LABELS))) < 0.2).astype(np.float32)
    validation = _scores(rng, targets)
    test_a = _scores(np.random.default_rng(1), targets)
    test_b = ClipScores(test_a.clip_ids, [1 - w for w in test_a.window_scores], test_a.targets)
    a, b = IrmasTask().evaluate(validation, test_a), IrmasTask().evaluate(validation, test_b)
    assert a.threshold["value"] == b.threshold["value"] and a.threshold["chosen_on"] == "validation"
    assert a.metrics["micro_f1"] > b.metrics["micro_f1"]
    assert {"micro_f1", "macro_f1", "lrap", "top1_hit_rate", "s1_micro_f1"} <= set(a.metrics)
    assert list(a.per_class) == list(LABELS)


def test_without_validation_the_default_threshold_is_recorded():
    rng = np.random.default_rng(0)
    targets = (rng.random((5, len(LABELS))) < 0.3).astype(np.float32)
    empty = ClipScores([], [], np.zeros((0, len(LABELS)), np.float32))
    result = IrmasTask().evaluate(empty, _scores(rng, targets))
    assert result.threshold["value"] == 0.5 and "no validation" in result.threshold["chosen_on"]


def test_unknown_aggregation():
    with pytest.raises(KeyError):
        aggregate("s3", [np.ones((1, 2))])


def test_unobserved_pairs_never_change_masked_metrics():
    from irbench.evaluation.protocols import thresholded

    rng = np.random.default_rng(3)
    labels = ("a", "b", "c", "d")
    targets = (rng.random((40, 4)) < 0.4).astype(np.float32)
    mask = (rng.random((40, 4)) < 0.6).astype(np.float32)
    windows = [np.clip(t * 0.5 + rng.uniform(0, 0.5, (2, 4)), 0, 1) for t in targets]
    base = ClipScores([str(i) for i in range(40)], windows, targets, mask)
    # scores of unobserved pairs turned upside down: wrong for every one of them
    flipped = ClipScores(base.clip_ids, [np.where(m > 0, w, 1 - w) for w, m in zip(windows, mask)], targets, mask)
    a = thresholded(base, base, labels, masked=True)
    b = thresholded(flipped, flipped, labels, masked=True)
    assert a.metrics == b.metrics and a.threshold["value"] == b.threshold["value"]
    unmasked = thresholded(flipped, flipped, labels, masked=False)
    assert unmasked.metrics["micro_f1"] != a.metrics["micro_f1"]


def test_classes_without_support_are_none_and_count_by_the_absent_class_rule():
    targets = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0]])
    predictions = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    metrics, per_class = multilabel_metrics(targets, predictions, predictions.astype(float), ("a", "b", "c"))
    assert per_class["c"] == {"precision": None, "recall": None, "f1": None, "ap": None, "roc_auc": None, "support": 0,
                              "true_positives": 0, "false_positives": 1, "false_negatives": 0}
    # a and b are perfect; c is absent and predicted once: it counts 0 in every macro average
    assert metrics["macro_f1"] == metrics["macro_precision"] == metrics["macro_recall"] == pytest.approx(2 / 3)
    assert metrics["map"] == 1.0 and metrics["micro_f1"] < 1.0
    never, _ = multilabel_metrics(targets, targets, targets.astype(float), ("a", "b", "c"))
    assert never["macro_f1"] == never["macro_recall"] == 1.0  # never predicted: counts 1


def test_predicting_an_absent_class_is_never_free():
    """A false positive on every clip for a class absent from the test set: micro-F1 counts all of them
    (checked against scikit-learn's micro average over every class), macro-F1 loses the class's 1, and the
    absent class's row reports how many there were."""
    from sklearn.metrics import f1_score

    from irbench.evaluation.protocols import thresholded

    rng = np.random.default_rng(7)
    labels = ("a", "b", "c", "absent")
    targets = np.zeros((50, 4), np.float32)
    targets[np.arange(50), rng.integers(0, 3, 50)] = 1
    windows = [np.clip(t * 0.7 + rng.uniform(0, 0.3, (3, 4)), 0, 1) for t in targets]
    honest = ClipScores([str(i) for i in range(50)], windows, targets)
    cheat = ClipScores(honest.clip_ids, [w + np.array([0, 0, 0, 1.0]) for w in windows], targets)
    a, b = thresholded(honest, honest, labels), thresholded(honest, cheat, labels)
    assert b.per_class["absent"]["false_positives"] == 50 and b.per_class["absent"]["f1"] is None
    assert b.metrics["micro_f1"] < a.metrics["micro_f1"]
    assert b.metrics["micro_f1"] == pytest.approx(f1_score(targets, b.clip_predictions, average="micro"))
    assert b.metrics["macro_f1"] == pytest.approx(a.metrics["macro_f1"] - 1 / 4)
    assert b.extra["classes_without_support"] == ["absent"]


def test_group_bootstrap_resamples_whole_groups_and_is_wider_on_correlated_clips():
    """Ten groups of ten identical clips: the clip bootstrap treats 100 clips as independent, the group
    bootstrap knows there are ten; its interval is wider and says so."""
    from irbench.evaluation.bootstrap import bootstrap_interval

    correct = np.repeat(np.random.default_rng(1).random(10) < 0.6, 10).astype(float)
    groups = [f"track {i // 10}" for i in range(100)]
    drawn = []

    def score(indices):
        drawn.append(indices)
        return float(correct[indices].mean())

    by_group = bootstrap_interval(score, groups, seed=0, unit="track")
    assert all(len(i) % 10 == 0 for i in drawn[1:])  # whole groups only
    by_clip = bootstrap_interval(score, 100, seed=0)
    assert by_group["unit"] == "track" and by_group["n_units"] == 10 and by_clip["n_units"] == 100
    assert by_group["high"] - by_group["low"] > 1.5 * (by_clip["high"] - by_clip["low"])


def test_musicnet_presence_rule():
    from irbench.tasks.musicnet import window_labels

    intervals = {"strings": np.array([[0.0, 0.29], [3.0, 3.31]]), "flute": np.array([[0.1, 5.9]])}
    # 10% of a 3 s window is 0.3 s: 0.29 s of strings is not enough, 0.31 s is
    assert window_labels(intervals, 2) == [("flute",), ("flute", "strings")]


def test_single_label_metrics_and_confusion():
    from irbench.evaluation.metrics import single_label_metrics

    targets = np.eye(3)[[0, 0, 1, 2]]
    scores = np.eye(3)[[0, 1, 1, 2]] * 0.9 + 0.05
    metrics, per_class, confusion = single_label_metrics(targets, scores, ("a", "b", "c"))
    assert metrics["accuracy"] == 0.75 and metrics["balanced_accuracy"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert confusion == [[1, 1, 0], [0, 1, 0], [0, 0, 1]] and per_class["a"]["recall"] == 0.5


@pytest.mark.parametrize("masked", [False, True])
def test_fast_headline_metrics_equal_the_full_ones(masked):
    from irbench.evaluation.metrics import headline_metric

    rng = np.random.default_rng(5)
    targets = (rng.random((30, 5)) < 0.3).astype(float)
    targets[:, 4] = 0  # a class without support
    scores = rng.random((30, 5))
    predictions = (scores > 0.5).astype(int)
    mask = (rng.random((30, 5)) < 0.7).astype(float) if masked else None
    full, _ = multilabel_metrics(targets, predictions, scores, tuple("abcde"), mask)
    for name in ("micro_f1", "macro_f1", "map"):
        assert headline_metric(name, targets, predictions, scores, mask) == pytest.approx(full[name]), name


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_precision_recall_points_are_scikit_learn_s_curve(seed):
    """The report's precision-recall curve is scikit-learn's, ties (scores rounded as in predictions files)
    and a class without positives included."""
    from sklearn.metrics import precision_recall_curve

    from irbench.evaluation.metrics import precision_recall_points

    rng = np.random.default_rng(seed)
    truth = (rng.random(300) < 0.3).astype(int)
    score = np.round(0.3 * truth + 0.7 * rng.random(300), 2)
    for t in (truth, np.zeros(300, dtype=int)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-learn warns about the class without positives
            expected_precision, expected_recall, _ = precision_recall_curve(t, score)
        precision, recall = precision_recall_points(t, score)
        np.testing.assert_allclose(precision, expected_precision, rtol=0, atol=1e-12)
        np.testing.assert_allclose(recall, expected_recall, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_fast_average_precision_is_scikit_learn_s(seed):
    from sklearn.metrics import average_precision_score

    from irbench.evaluation.metrics import fast_average_precision

    rng = np.random.default_rng(seed)
    truth = (rng.random(300) < 0.2).astype(int)
    score = np.round(rng.random(300), 1 if seed % 2 else 6)  # coarse scores: many ties
    assert fast_average_precision(truth, score) == pytest.approx(average_precision_score(truth, score), abs=1e-12)
    assert fast_average_precision(np.zeros(5), rng.random(5)) == 0.0
