"""Dataset cards: each task's one declaration of its remote files, counts, format, durations, stand-in and
published numbers, and the commands and report that only loop over them."""

import hashlib

import pytest
from pydantic import ValidationError

from helpers import run_cli
from irbench.data.datasets import AudioFormat, DatasetCard, Reference
from irbench.errors import IrbenchError
from irbench.data.mirdata_source import MirdataSource
from irbench.data.resources import RemoteFile, RemoteFiles
from irbench.tasks import TASKS, get_task

DOCUMENTED = {  # audio files of the full dataset each task reads (datasets.md, mirdata, the official metadata)
    "irmas": 9579, "openmic": 20_000, "medley-solos": 21_571, "medley-solos-binary": 12_003,
    "musicnet": 330, "musicnet-instruments": 330,
}


def _with_card(monkeypatch, task_class, card):
    monkeypatch.setattr(task_class, "metadata", task_class.metadata.model_copy(update={"card": card}))


@pytest.mark.parametrize("task", sorted(DOCUMENTED))
def test_every_built_in_task_declares_its_data_in_one_card(task):
    from irbench.synth import stand_in_generator
    from irbench.synth.base import StandInGenerator

    metadata = get_task(task).metadata
    card = metadata.card
    assert card.expected_files == DOCUMENTED[task]
    assert card.sources and all(source.describe() for source in card.sources)
    assert metadata.clip_seconds == card.clip_seconds  # durations that refuse truncated clips come from the card
    assert issubclass(stand_in_generator(task), StandInGenerator)
    mirdata = {"irmas": "irmas", "openmic": "openmic2018", "medley-solos": "medley_solos_db",
               "medley-solos-binary": "medley_solos_db"}
    names = [source.name for source in card.sources if isinstance(source, MirdataSource)]
    assert names == ([mirdata[task]] if task in mirdata else [])


def test_published_numbers_come_from_the_cards(monkeypatch):
    from irbench.report.anchors import anchors_for, load_anchors
    from irbench.tasks.irmas import IrmasTask

    assert {a.task for a in load_anchors()} == {"irmas", "openmic", "medley-solos", "medley-solos-binary", "musicnet"}
    assert [a.value for a in anchors_for("medley-solos-binary")] == ["0.98"]
    card = IrmasTask.metadata.card.model_copy(update={"references": (
        Reference(method="a new paper", metric="micro-F1", value="0.9", source="arXiv 0000.00000"),)})
    _with_card(monkeypatch, IrmasTask, card)
    (anchor,) = anchors_for("irmas")
    assert (anchor.task, anchor.method, anchor.caveat) == ("irmas", "a new paper", "")
    assert anchors_for("a-task-nobody-registered") == []


def test_a_task_without_a_card_is_told_what_is_missing(monkeypatch, capsys, tiny_irmas, tmp_path):
    from irbench.data.download import download
    from irbench.tasks.irmas import IrmasTask
    from irbench.data.verify import verify

    _with_card(monkeypatch, IrmasTask, None)
    with pytest.raises(IrbenchError, match="declares no remote files"):
        download("irmas", tmp_path)
    code, _, err = run_cli(monkeypatch, capsys, "data", "synth", "irmas", "--out", str(tmp_path / "x"))
    assert code == 2 and "declares no stand-in generator" in err
    report = verify("irmas", tiny_irmas)  # layout and headers are still checked
    assert report.expected is None and report.found and not report.corrupt


@pytest.mark.parametrize("stand_in, message", [
    ("irbench.synth.irmas:NoSuchGenerator", "cannot be imported"),
    ("irbench.synth.render:render", "is not an irbench.synth.base.StandInGenerator"),
])
def test_a_card_naming_a_bad_generator_is_refused_by_name(monkeypatch, capsys, tmp_path, stand_in, message):
    from irbench.tasks.irmas import IrmasTask

    _with_card(monkeypatch, IrmasTask, IrmasTask.metadata.card.model_copy(update={"stand_in": stand_in}))
    code, _, err = run_cli(monkeypatch, capsys, "data", "synth", "irmas", "--out", str(tmp_path / "x"))
    assert code == 2 and message in err and stand_in in err


def test_declarations_refuse_malformed_values(tmp_path):
    with pytest.raises(ValidationError, match="checksum"):
        RemoteFile(name="a.zip", url="https://example.org/a.zip", checksum="md5:1234")
    with pytest.raises(ValidationError, match="checksum"):
        RemoteFile(name="a.zip", url="https://example.org/a.zip", checksum="crc32:12345678")
    with pytest.raises(ValidationError, match="module:Class"):
        DatasetCard(name="x", stand_in="irbench.synth.irmas")
    with pytest.raises(ValidationError):
        AudioFormat(sample_rate=0)
    content = b"weights"
    path = tmp_path / "file.bin"
    path.write_bytes(content)
    right = RemoteFile(name="file.bin", url="https://example.org/file.bin",
                       checksum=f"sha256:{hashlib.sha256(content).hexdigest()}", size=len(content))
    assert right.problem(path) is None
    assert "bytes, expected" in right.model_copy(update={"size": 8}).problem(path)
    wrong = right.model_copy(update={"checksum": "md5:" + "0" * 32, "size": None})
    assert "MD5" in wrong.problem(path) and "differs from the published" in wrong.problem(path)
    result = RemoteFiles(files=(right, right.model_copy(update={"name": "absent.bin"}))).check(tmp_path)
    assert (result.checked, result.missing, result.invalid) == (["file.bin"], ["absent.bin"], [])


def test_mirdata_without_the_private_index_attributes_is_refused(monkeypatch, tmp_path):
    import mirdata

    from irbench.data.mirdata_source import mirdata_dataset

    class Changed:
        _index_data = object()  # no remote, indexes_dir, get_path

    monkeypatch.setattr(mirdata, "initialize", lambda name, data_home: Changed())
    with pytest.raises(IrbenchError, match=r"mirdata>=1.0,<1.1"):
        mirdata_dataset("irmas", tmp_path)


def test_every_registered_task_is_reachable_by_the_data_commands():
    from irbench.data.download import require_known

    for name in TASKS.names():
        require_known(name)  # no separate list of downloadable names to keep in step
    require_known("cnn14-weights")
