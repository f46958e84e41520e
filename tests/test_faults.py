"""Every mistake gets a clear message, every fault loses nothing, nothing a file says runs code (issue 10).

docs/faults.md lists each case with what irbench does; each has a test here or where the docs say.
"""

import errno
import io
import pickle
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from helpers import planned_folder, record_file, run_cli
from irbench.logs import messages_to
from irbench.store.records import read_record, record_lock

pytestmark = pytest.mark.slow


IRBENCH = [sys.executable, "-m", "irbench"]


def _irbench(*args, **options):
    return subprocess.run([*IRBENCH, *args], capture_output=True, text=True, timeout=600, **options)


@pytest.mark.parametrize("args", [
    ("run", "--seed", "0", "1", "2"), ("run", "-t", "irmas", "-b", "vgg", "-d", ".", "--epochs", "3"), ("run",),
    ("run", "-t", "irmas", "-b", "vgg", "-d", ".", "--max-epochs", "ten"), ("frobnicate",), (),
    ("run", "-t", "irmas", "-b", "vgg", "-d", ".", "--workers", "0"),
    ("run", "-t", "irmas", "-b", "vgg", "-d", ".", "--seed", "-1"),
    ("run", "-t", "irmas", "-b", "vgg", "-d", ".", "--seed", str(2**40)),
])
def test_usage_errors_print_the_usage_and_exit_2(args):
    done = _irbench(*args)
    assert done.returncode == 2, done.stderr
    assert "Usage" in done.stdout + done.stderr and "Traceback" not in done.stderr


def _run(monkeypatch, capsys, data_home, results, cache, *extra):
    return run_cli(monkeypatch, capsys, "run", "-t", "irmas", "-b", "vgg", "-d", str(data_home), "--results-dir",
                   str(results), "--cache-dir", str(cache), "--max-epochs", "1", "--quiet", "--workers", "1", *extra)


@pytest.mark.parametrize("which", ["--results-dir", "--cache-dir"])
def test_an_unwritable_output_folder_is_named_before_any_work(monkeypatch, capsys, tiny_irmas, tmp_path, which):
    blocker = tmp_path / "a file"
    blocker.write_text("in the way")
    folders = {"--results-dir": tmp_path / "results", "--cache-dir": tmp_path / "cache", which: blocker / "sub"}
    start = time.perf_counter()
    code, _, err = _run(monkeypatch, capsys, tiny_irmas, folders["--results-dir"], folders["--cache-dir"])
    assert code == 2 and "a file/sub" in err and "Traceback" not in err
    assert time.perf_counter() - start < 10 and not (tmp_path / "cache" / "features").exists()


def test_a_wrong_data_home_is_never_a_success(monkeypatch, capsys, tiny_irmas, tmp_path):
    assert _run(monkeypatch, capsys, tiny_irmas, tmp_path / "r", tmp_path / "c")[0] == 0
    code, _, err = _run(monkeypatch, capsys, tmp_path / "nonexistent", tmp_path / "r", tmp_path / "c")
    assert code == 2 and "skipped" not in err and "irbench data synth irmas" in err
    other = tmp_path / "other"
    shutil.copytree(tiny_irmas, other)
    first = sorted(other.glob("IRMAS-TrainingData/cel/*.wav"))[0]
    first.write_bytes(first.read_bytes()[:-64] + bytes(64))  # other audio, same names
    code, _, err = _run(monkeypatch, capsys, other, tmp_path / "r", tmp_path / "c")
    assert code == 0 and "skipped" in err and "other data" in err and "--overwrite" in err


def test_ctrl_c_says_where_it_stopped_and_the_rerun_resumes(micro_irmas, feature_cache, tmp_path):
    command = [*IRBENCH, "run", "-t", "irmas", "-b", "vgg", "-d", str(micro_irmas), "--results-dir",
               str(tmp_path / "r"), "--cache-dir", str(feature_cache), "--max-epochs", "30", "--workers", "1",
               "--config", "batch_size=4"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in process.stderr:  # not a terminal: one line per epoch
        lines.append(line)
        if "epoch 2/30" in line:
            process.send_signal(signal.SIGINT)
            break
    rest = process.communicate(timeout=300)[1]
    text = "".join(lines) + rest
    assert process.returncode == 130, text
    assert "interrupted at epoch" in text and "run the same command to resume" in text and "Traceback" not in text
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from epoch" in resumed.stderr
    assert read_record(record_file(tmp_path / "r", "irmas", "vgg")).training.resumed is True


def _full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_results_disk_leaves_nothing_partial(monkeypatch, capsys, tiny_irmas, tmp_path):
    from irbench.run import runner

    monkeypatch.setattr(runner, "write_checkpoint", _full)  # the disk fills while the outputs are written
    code, _, err = _run(monkeypatch, capsys, tiny_irmas, tmp_path / "r", tmp_path / "c")
    folder = planned_folder(tmp_path / "r", "irmas", "vgg", max_epochs=1)
    assert code == 2 and "No space left on device" in err and str(folder) in err and "Traceback" not in err
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".seed-0.work")) == [".seed-0.lock"]
    monkeypatch.undo()
    code, _, err = _run(monkeypatch, capsys, tiny_irmas, tmp_path / "r", tmp_path / "c")
    assert code == 0, err
    assert read_record(folder / "seed-0.json").training.resumed is True  # the trained epochs were kept


def test_a_disk_full_during_training_names_the_work_folder(monkeypatch, capsys, tiny_irmas, tmp_path):
    from irbench.run import callbacks

    monkeypatch.setattr(callbacks.torch, "save", _full)
    code, _, err = _run(monkeypatch, capsys, tiny_irmas, tmp_path / "r", tmp_path / "c")
    assert code == 2 and "No space left on device" in err and ".seed-0.work-" in err and "Traceback" not in err
    assert not list((tmp_path / "r").rglob("*.partial*"))


def test_a_full_cache_disk_is_one_line(monkeypatch, capsys, tiny_irmas, tmp_path):
    from irbench.features import cache

    monkeypatch.setattr(cache.np.lib.format, "write_array_header_1_0", _full)  # the entry's first write
    code, _, err = _run(monkeypatch, capsys, tiny_irmas, tmp_path / "r", tmp_path / "c")
    assert code == 2 and "No space left on device" in err and str(tmp_path / "c") in err and "Traceback" not in err
    assert not list((tmp_path / "c").rglob("*.partial*")) and not list((tmp_path / "r").glob("irmas/vgg/*/seed-0.json"))


def test_left_over_partial_files_of_a_killed_run_are_removed(monkeypatch, capsys, tiny_irmas, tmp_path):
    folder = planned_folder(tmp_path / "r", "irmas", "vgg", max_epochs=1)
    folder.mkdir(parents=True)
    leftovers = [folder / ".seed-0.abc123.partial.json", folder / ".seed-0.xyz.partial.ckpt"]
    for leftover in leftovers:
        leftover.write_text("half")
    keep = folder / ".seed-1.def.partial.json"  # another seed's: not this run's to remove
    keep.write_text("half")
    assert _run(monkeypatch, capsys, tiny_irmas, tmp_path / "r", tmp_path / "c")[0] == 0
    assert not any(p.exists() for p in leftovers) and keep.exists()


# irbench's command line with log-mel computed in worker processes, as a front end that is not thread-safe is
# (a plugin's; the built-in torch spectrograms run in threads, which cannot outlive their process)
IN_PROCESSES = [sys.executable, "-c", "from irbench.features import FRONTENDS; "
                "FRONTENDS.get('log-mel').thread_safe = False; from irbench.cli import main; main()"]


def test_feature_workers_die_with_their_parent(tiny_irmas, tmp_path):
    process = subprocess.Popen([*IN_PROCESSES, "run", "-t", "irmas", "-b", "vgg", "-d", str(tiny_irmas), "--results-dir",
                                str(tmp_path / "r"), "--cache-dir", str(tmp_path / "c"), "--workers", "2", "-q"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: list[int] = []
    deadline = time.time() + 120
    while time.time() < deadline and len(children) < 3:  # two workers and multiprocessing's resource tracker
        found = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
        children = [int(pid) for pid in found]
        time.sleep(0.2)
    time.sleep(3)  # the workers are busy extracting
    process.kill()  # kill -9
    process.wait()
    assert len(children) >= 2, "the run never started its workers"
    deadline = time.time() + 30
    while time.time() < deadline and any(Path(f"/proc/{pid}").exists() for pid in children):
        time.sleep(0.2)
    alive = [pid for pid in children if Path(f"/proc/{pid}").exists()
             and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
             and b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()]  # ends with its pipe
    assert not alive, f"workers {alive} outlived their parent"


def test_a_second_run_of_the_same_record_refuses_while_the_first_holds_it(monkeypatch, capsys, tiny_irmas,
                                                                          tmp_path):
    with record_lock(planned_folder(tmp_path / "r", "irmas", "vgg", max_epochs=1) / "seed-0.json"):
        code, _, err = _run(monkeypatch, capsys, tiny_irmas, tmp_path / "r", tmp_path / "c")
    assert code == 2 and "another irbench run is producing" in err and "seed-0.json" in err
    assert _run(monkeypatch, capsys, tiny_irmas, tmp_path / "r", tmp_path / "c")[0] == 0  # free again


class _Planted:
    """Unpickling this writes a file: what a hostile checkpoint would do."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (Path(self.target).write_text, ("code ran",))


def test_a_planted_pickle_in_a_work_folder_never_runs(tmp_path):
    from irbench.run.callbacks import resume_point

    evidence = tmp_path / "evidence.txt"
    latest = tmp_path / "work/latest.ckpt"
    latest.parent.mkdir()
    latest.write_bytes(pickle.dumps({"epoch": 3, "payload": _Planted(evidence)}))
    said = []
    with messages_to(lambda message, level: said.append(message)):
        assert resume_point(latest, 10) is False
    assert not evidence.exists() and not latest.exists() and latest.with_name("latest.ckpt.unreadable").exists()
    assert "starts over" in said[0]


def test_a_plugin_that_exits_or_registers_a_function_is_skipped(monkeypatch):
    from irbench.baselines import check_baseline as _check
    from irbench.registry import PluginWarning, Registry

    module = type(sys)("irbench_hostile_plugin")
    module.exits = None

    def exiting_import():
        raise SystemExit(3)

    module.plain_function = lambda: None
    sys.modules["irbench_hostile_plugin"] = module
    points = [metadata.EntryPoint("function", "irbench_hostile_plugin:plain_function", "irbench.baselines"),
              metadata.EntryPoint("exits", "irbench_hostile_plugin:exits", "irbench.baselines")]
    monkeypatch.setattr(metadata.EntryPoint, "load",
                        lambda self: exiting_import() if self.name == "exits" else module.plain_function)
    monkeypatch.setattr(metadata, "entry_points", lambda group: [p for p in points if p.group == group])
    registry = Registry("baseline", entry_point_group="irbench.baselines", check=_check)
    with pytest.warns(PluginWarning):
        assert registry.names() == []
    assert "not a subclass" in registry.plugin_errors["function"] and "SystemExit" in registry.plugin_errors["exits"]


def _tar(path: Path, members: dict[str, bytes], link: tuple[str, str] | None = None) -> None:
    with tarfile.open(path, "w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo(link[0])
            info.type, info.linkname = tarfile.SYMTYPE, link[1]
            archive.addfile(info)


@pytest.mark.parametrize("member, link, refused", [
    ("../../escaped.txt", None, True), ("fine.txt", ("evil-link", "../../.."), True),
    ("/tmp/irbench-absolute.txt", None, False),  # the leading "/" is dropped: written inside
])
def test_downloaded_tar_archives_never_write_outside_the_data_folder(tmp_path, member, link, refused):
    import mirdata.download_utils
    import pooch

    from irbench.data.download import safe_extraction

    home = tmp_path / "data/home"
    home.mkdir(parents=True)
    for extract in (lambda archive: mirdata.download_utils.untar(str(archive), cleanup=False),
                    lambda archive: pooch.Untar(extract_dir=str(home / "pooch"))(str(archive), "download", None)):
        archive = home / "crafted.tar"
        _tar(archive, {member: b"payload"}, link)
        with safe_extraction():
            if refused:
                with pytest.raises(tarfile.TarError):
                    extract(archive)
            else:
                extract(archive)
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "data/escaped.txt").exists()
    assert not Path("/tmp/irbench-absolute.txt").exists()
    assert tarfile.TarFile.extraction_filter is None  # restored after the block


def test_downloaded_zip_archives_never_write_outside_the_data_folder(tmp_path):
    import mirdata.download_utils

    from irbench.data.download import safe_extraction
    from irbench.errors import UnsafeArchiveError

    home = tmp_path / "data/home"
    home.mkdir(parents=True)
    archive = home / "crafted.zip"
    with zipfile.ZipFile(archive, "w") as crafted:
        crafted.writestr("../../escaped.txt", "payload")
    with safe_extraction(), pytest.raises(UnsafeArchiveError, match="escaped.txt"):
        mirdata.download_utils.unzip(str(archive), cleanup=False)  # mirdata alone writes ../../escaped.txt
    assert not (tmp_path / "escaped.txt").exists() and not (home / "escaped.txt").exists()
    with zipfile.ZipFile(archive) as crafted:  # zipfile itself drops the ".." parts
        crafted.extractall(home / "plain")
    assert (home / "plain/escaped.txt").exists() and not (tmp_path / "escaped.txt").exists()


def test_the_fault_table_lists_every_case_and_every_test_it_names_exists():
    import re

    tests = Path(__file__).resolve().parent
    table = (tests.parent / "docs/faults.md").read_text()
    for case in ("usage error", "unwritable", "--data-home", "Ctrl-C", "disk full", "kill -9", "two runs",
                 "planted", "javascript:", "formula", "schema version", "sys.exit", "archive", "truncated",
                 "damaged cache"):
        assert case.lower() in table.lower(), case
    named = re.findall(r"`(test_\w+\.py)(?:::(test_\w+))?`", table)
    assert len(named) > 20
    for module, test in named:
        source = (tests / module).read_text()
        assert not test or f"def {test}(" in source, f"{module}::{test} named in docs/faults.md does not exist"


def _full_from_torch(*args, **kwargs):
    raise RuntimeError("[enforce fail at inline_container.cc:626] . PytorchStreamWriter failed writing file "
                       "data/3: file write failed")


def test_a_full_disk_reported_by_torch_save_is_one_line(monkeypatch, capsys, tiny_irmas, tmp_path):
    """torch.save reports a full disk as a RuntimeError from its zip writer: the same one-line error naming
    the work folder, no traceback."""
    from irbench.run import callbacks

    monkeypatch.setattr(callbacks.torch, "save", _full_from_torch)
    code, _, err = _run(monkeypatch, capsys, tiny_irmas, tmp_path / "r", tmp_path / "c")
    assert code == 2 and "disk is full" in err and ".seed-0.work-" in err and "Traceback" not in err


def test_an_unreadable_best_checkpoint_is_set_aside_and_training_starts_over(tmp_path):
    import torch

    from irbench.run.callbacks import resume_point

    latest, best = tmp_path / "latest.ckpt", tmp_path / "best.pt"
    torch.save({"epoch": 2, "callbacks": {}}, latest)
    best.write_bytes(b"not a checkpoint")
    said = []
    with messages_to(lambda message, level: said.append(message)):
        assert resume_point(latest, 10) is False
    assert not latest.exists() and not best.exists()
    assert (tmp_path / "best.pt.unreadable").exists() and (tmp_path / "latest.ckpt.unreadable").exists()
    assert "training starts over" in said[0]
