"""Every task's loader and protocol end to end on its tiny stand-in with ``constant`` (no features to compute):
protocol metrics, one per-class entry per class, the report's page. ``vgg`` runs through every protocol
elsewhere (test_run.py for IRMAS's thresholded protocol, test_report.py for Medley-solos-DB's arg-max)."""

import numpy as np
import pytest

from irbench.store.predictions_file import read_clip_table
from irbench.store.records import find_records, read_record
from irbench.report import build_report
from irbench.run.runner import RunOptions, run_benchmark
from irbench.tasks import TASKS, get_task
from helpers import record_file

PROTOCOL_METRICS = {
    "irmas": {"micro_f1", "macro_f1", "lrap", "top1_hit_rate", "s1_micro_f1"},
    "openmic": {"map", "macro_f1", "micro_f1"},
    "medley-solos": {"accuracy", "balanced_accuracy", "macro_f1"},
    "medley-solos-binary": {"accuracy", "balanced_accuracy", "macro_f1"},
    "musicnet": {"micro_f1", "macro_f1", "map", "hamming_loss"},
    "musicnet-instruments": {"micro_f1", "macro_f1", "map", "hamming_loss"},
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return tmp_path_factory.mktemp("results")


@pytest.fixture(scope="module")
def cache(feature_cache):
    return feature_cache


def test_every_registered_task_is_covered():
    assert set(TASKS.names()) == set(PROTOCOL_METRICS)


@pytest.mark.parametrize("task", sorted(PROTOCOL_METRICS))
def test_task_runs_on_its_stand_in(task, stand_in, results, cache):
    record, path = run_benchmark(RunOptions(task, "constant", stand_in(task), results, cache, workers=2,
                                            show_progress=False))
    labels = get_task(task).metadata.labels
    assert record.stand_in and list(record.per_class) == list(labels)
    assert PROTOCOL_METRICS[task] <= set(record.metrics)
    assert record.main_score in record.metrics
    if task.startswith("medley"):
        matrix = record.extra.confusion_matrix.rows_true
        assert len(matrix) == len(labels) and sum(map(sum, matrix)) == record.n_test
    if task.startswith("musicnet"):
        for label, figures in record.per_class.items():
            assert (figures.f1 is None) == (figures.support == 0), label


@pytest.mark.parametrize("task", sorted(PROTOCOL_METRICS))
def test_the_floor_predicts_the_training_prevalences(task, stand_in, results):
    """The constant predictor's test scores are the training split's label prevalences, counted here from the
    loader's clip labels (not from the windows the harness trains on): per class, positives over annotated
    training clips. For MusicNet these are the 3-s windows' labels from their notes."""
    path = record_file(results, task, "constant")
    if not path.exists():
        pytest.skip("needs the runs of test_task_runs_on_its_stand_in")
    record = read_record(path)
    definition = get_task(task)
    labels = definition.metadata.labels
    train = definition.load(stand_in(task)).splits["train"]
    positives = np.array([sum(label in clip.labels for clip in train) for label in labels], dtype=float)
    annotated = np.array([sum(clip.observed is None or label in clip.observed for clip in train) for label in labels],
                         dtype=float)
    prevalence = np.clip(np.divide(positives, annotated, out=np.zeros(len(labels)), where=annotated > 0), 1e-6,
                         1 - 1e-6)
    if record.threshold.aggregation == "s2":  # max-normalised: the priors' ratios
        prevalence = prevalence / prevalence.max()
    table = read_clip_table(path.with_name(record.predictions_file), labels)
    assert positives.sum() > 0
    np.testing.assert_allclose(table.scores, np.broadcast_to(prevalence, table.scores.shape), atol=2e-6)


def test_report_has_a_leaderboard_per_task(results, tmp_path):
    if len(find_records(results)) < len(PROTOCOL_METRICS):
        pytest.skip("needs the runs of test_task_runs_on_its_stand_in")
    index = build_report(results, tmp_path).read_text()
    for task in PROTOCOL_METRICS:
        assert f'href="{task}.html"' in index
        assert f'id="{task}-stand-in"' in (tmp_path / f"{task}.html").read_text()
    assert "no support in the test set" in (tmp_path / "musicnet.html").read_text()  # empty GM groups
    assert read_record(record_file(results, "musicnet", "constant")).per_class["percussion"].support == 0
