"""``irbench data download`` with the network replaced, and ``irbench data verify`` on stand-ins and real files."""

import hashlib
import io
import tarfile
import urllib.request

import pytest

from helpers import run_cli
from irbench.data import download as download_module
from irbench.errors import IrbenchError
from irbench.data.verify import verify


def _tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _serve(monkeypatch, files: dict[str, bytes]):
    """Replace urllib's and pooch's HTTP with a dictionary of url -> bytes; record what was fetched."""
    import pooch

    fetched = []

    def urlretrieve(url, filename, reporthook=None, data=None):
        fetched.append(url)
        with open(filename, "wb") as handle:
            handle.write(files[url])

    def http(self, url, output_file, pooch_object, check_only=False):
        fetched.append(url)
        content = files[url]
        if hasattr(output_file, "write"):
            output_file.write(content)
        else:
            with open(output_file, "wb") as handle:
                handle.write(content)

    monkeypatch.setattr(urllib.request, "urlretrieve", urlretrieve)
    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", http)
    return fetched


def _with_card(monkeypatch, task_class, **changes):
    """Give ``task_class`` a copy of its dataset card with ``changes`` (e.g. other checksums) for one test."""
    metadata = task_class.metadata
    card = metadata.card.model_copy(update=changes)
    monkeypatch.setattr(task_class, "metadata", metadata.model_copy(update={"card": card}))
    return card


def test_musicnet_download_places_and_checks_files(monkeypatch, tmp_path):
    from irbench.data.resources import RemoteFile, RemoteFiles
    from irbench.tasks.musicnet import MusicNetTask

    archive = _tar({"musicnet/train_data/1.wav": b"RIFF", "musicnet/train_labels/1.csv": b"start_time\n"})
    metadata = b"id,ensemble,seconds\n1,Solo Piano,10\n"
    urls = {"https://example.invalid/musicnet.tar.gz": archive, "https://example.invalid/metadata.csv": metadata}
    _with_card(monkeypatch, MusicNetTask, sources=(RemoteFiles(files=(
        RemoteFile(name="musicnet_metadata.csv", url="https://example.invalid/metadata.csv",
                   checksum=f"md5:{hashlib.md5(metadata).hexdigest()}"),
        RemoteFile(name="musicnet.tar.gz", url="https://example.invalid/musicnet.tar.gz",
                   checksum=f"md5:{hashlib.md5(archive).hexdigest()}", extract=True),
    ), move_up="musicnet"),))
    fetched = _serve(monkeypatch, urls)
    download_module.download("musicnet", tmp_path)
    assert sorted(fetched) == sorted(urls)
    assert (tmp_path / "train_data/1.wav").read_bytes() == b"RIFF"
    assert (tmp_path / "musicnet_metadata.csv").read_bytes() == metadata
    assert not (tmp_path / "musicnet.tar.gz").exists() and not (tmp_path / "musicnet").exists()


def test_musicnet_download_rejects_a_wrong_checksum(monkeypatch, tmp_path):
    from irbench.tasks.musicnet import CARD

    (source,) = CARD.sources
    assert {f.url for f in source.files} == {  # the declared Zenodo files, fetched and checked as declared
        "https://zenodo.org/records/5120004/files/musicnet_metadata.csv?download=1",
        "https://zenodo.org/records/5120004/files/musicnet.tar.gz?download=1"}
    _serve(monkeypatch, {file.url: b"tampered" for file in source.files})
    with pytest.raises(IrbenchError, match="(?i)hash|md5"):
        download_module.download("musicnet", tmp_path)


def test_mirdata_download_rejects_a_wrong_checksum(monkeypatch, tmp_path):
    from mirdata import download_utils

    from irbench.data.mirdata_source import mirdata_dataset

    dataset = mirdata_dataset("irmas", tmp_path)
    urls = {remote.url: b"not the IRMAS archive" for remote in dataset.remotes.values()}
    urls[dataset._index_data.remote.url] = b"{}"
    monkeypatch.setattr(download_utils.urllib.request, "urlretrieve",
                        lambda url, filename, **_: open(filename, "wb").write(urls[url]))
    with pytest.raises(IrbenchError, match="MD5 checksum"):
        download_module.download("irmas", tmp_path)
    # the index goes with the data, not into mirdata's folder in site-packages
    assert dataset.index_path == str(tmp_path.resolve() / "mirdata_indexes" / "irmas_index_1.0.json")


def test_mirdata_download_places_archives_and_index(monkeypatch, tmp_path):
    from mirdata import download_utils

    from irbench.data import mirdata_source

    archive = _tar({"annotation/Medley-solos-DB_metadata.csv": b"subset,instrument,instrument_id,song_id,uuid4\n"})
    index = b'{"version": "1.2", "tracks": {}}'
    dataset = mirdata_source.mirdata_dataset("medley_solos_db", tmp_path)
    served = {}
    for key, remote in dataset.remotes.items():
        remote.checksum = hashlib.md5(archive).hexdigest()
        served[remote.url] = archive
    dataset._index_data.remote.checksum = hashlib.md5(index).hexdigest()
    served[dataset._index_data.remote.url] = index
    monkeypatch.setattr(mirdata_source, "mirdata_dataset", lambda name, home: dataset)
    monkeypatch.setattr(download_utils.urllib.request, "urlretrieve",
                        lambda url, filename, **_: open(filename, "wb").write(served[url]))
    download_module.download("medley-solos", tmp_path)
    assert (tmp_path / "annotation/Medley-solos-DB_metadata.csv").exists()
    assert (tmp_path / "mirdata_indexes" / dataset._index_data.filename).read_bytes() == index


def test_a_download_name_is_a_task_or_weights(tmp_path):
    from irbench.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="'cnn14-weights'"):  # suggested beside the tasks
        download_module.download("cnn14-weight", tmp_path)
    with pytest.raises(IrbenchError, match="--data-home"):
        download_module.download("irmas")


@pytest.mark.parametrize("task", ["irmas", "openmic", "medley-solos", "musicnet"])
def test_verify_accepts_each_stand_in(monkeypatch, capsys, stand_in, task):
    code, out, _ = run_cli(monkeypatch, capsys, "data", "verify", task, "--data-home", str(stand_in(task)))
    assert code == 0 and "stand-in" in out


def test_verify_lists_a_corrupt_and_a_missing_file(monkeypatch, capsys, stand_in, tmp_path):
    import shutil

    root = tmp_path / "medley"
    shutil.copytree(stand_in("medley-solos"), root)
    clips = sorted((root / "audio").glob("*.wav"))
    clips[0].write_bytes(b"junk")
    clips[1].unlink()
    code, out, _ = run_cli(monkeypatch, capsys, "data", "verify", "medley-solos", "--data-home", str(root))
    assert code == 1 and f"corrupt: audio/{clips[0].name}" in out and f"missing: audio/{clips[1].name}" in out


def test_verify_real_irmas_files(real_irmas_root, real_data, monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, "data", "verify", "irmas", "--data-home", str(real_irmas_root))
    assert code == 1 and "short of the full dataset" in out  # 8 of 9,579 files
    code, out, _ = run_cli(monkeypatch, capsys, "data", "verify", "irmas", "--data-home", str(real_irmas_root),
                           "--allow-missing")
    # mirdata cut one test clip to 2 s: its header alone shows it (IRMAS test clips last 5-20 s)
    assert code == 1 and "And The Body Will Die-8.wav: 2.000 s" in out and "truncated" in out
    index = real_data / "irmas/mirdata/mirdata/datasets/indexes/irmas_index_1.0.json"
    report = verify("irmas", real_irmas_root, index)
    # mirdata's validate() compared the 8 clips and 4 test label files; every other file matches
    assert report.checksummed == 12 and "irmas_index_1.0.json" in report.checksum_reference
    assert [name for name, _ in report.corrupt] == ["IRMAS-TestingData-Part1/Part1/02 - And The Body Will Die-8.wav"]


@pytest.mark.parametrize("task, root_fixture, found", [
    ("medley-solos", "real_medley_root", 7), ("openmic", "real_openmic_root", 1),
])
def test_verify_accepts_other_real_files(request, monkeypatch, capsys, task, root_fixture, found):
    root = request.getfixturevalue(root_fixture)
    code, out, _ = run_cli(monkeypatch, capsys, "data", "verify", task, "--data-home", str(root), "--allow-missing")
    assert code == 0, out
    report = verify(task, root)
    assert len(report.found) == found and not report.corrupt and report.missing


def _plain_copy(source, target):
    """A stand-in copied without its marker, so verify treats it as real data."""
    import shutil

    from irbench.data.standin import STAND_IN_MARKER

    shutil.copytree(source, target)
    (target / STAND_IN_MARKER).unlink()
    return target


def test_verify_checks_md5s_with_mirdata_validate(monkeypatch, stand_in, tmp_path):
    import json

    import mirdata.core

    root = _plain_copy(stand_in("medley-solos"), tmp_path / "medley")
    clips = sorted(p.relative_to(root).as_posix() for p in (root / "audio").glob("*.wav"))
    tracks = {
        "good": {"audio": [clips[0], hashlib.md5((root / clips[0]).read_bytes()).hexdigest()]},
        "bad": {"audio": [clips[1], "0" * 32]},
        "absent": {"audio": ["audio/Medley-solos-DB_test-0_not-here.wav", "1" * 32]},
    }
    index = tmp_path / "index.json"
    index.write_text(json.dumps({"version": "1.2", "tracks": tracks}))
    calls = []
    original = mirdata.core.Dataset.validate
    monkeypatch.setattr(mirdata.core.Dataset, "validate",
                        lambda self, verbose=True: calls.append(verbose) or original(self, verbose))
    report = verify("medley-solos", root, index)
    assert calls == [False]  # mirdata's own validate(), quietly
    assert report.checksummed == 2 and report.corrupt == [(clips[1], "MD5 differs from mirdata's index index.json")]
    assert clips[1] not in report.found and "audio/Medley-solos-DB_test-0_not-here.wav" in report.missing


def test_verify_names_an_unreadable_index_and_refuses_one_that_does_not_apply(monkeypatch, capsys, stand_in,
                                                                               tmp_path):
    root = _plain_copy(stand_in("medley-solos"), tmp_path / "medley")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, _, err = run_cli(monkeypatch, capsys, "data", "verify", "medley-solos", "-d", str(root),
                           "--index", str(broken))
    assert code == 2 and "broken.json" in err and "mirdata index" in err
    with pytest.raises(IrbenchError, match="--index does not apply"):
        verify("musicnet", stand_in("musicnet"), broken)


def test_verify_takes_counts_and_format_from_the_card(monkeypatch, stand_in, tmp_path):
    from irbench.data.datasets import AudioFormat
    from irbench.tasks.medley_solos import MedleySolosBinaryTask, MedleySolosTask

    root = _plain_copy(stand_in("medley-solos"), tmp_path / "medley")
    assert verify("medley-solos", root).expected == 21_571
    assert verify("medley-solos-binary", root).expected == 12_003  # piano and violin only
    _with_card(monkeypatch, MedleySolosTask, files={"training": 3}, audio=AudioFormat(sample_rate=22_050))
    report = verify("medley-solos", root)
    assert report.expected == 3 and report.corrupt[0][1] == "sample rate 44100 Hz, expected 22050 Hz"
    assert MedleySolosBinaryTask.metadata.card.files["training"] == 4441  # its own card is untouched
