"""Third-party baselines and tasks through entry points, and the example plugin package end to end."""

import os
import subprocess
import sys
from importlib import metadata

import pytest

from irbench.registry import DISABLE_PLUGINS, PluginWarning, Registry
from helpers import record_file

pytestmark = pytest.mark.slow


REPOSITORY = __import__("pathlib").Path(__file__).resolve().parent.parent
EXAMPLE = REPOSITORY / "examples/irbench-example-plugin"


def _registry(monkeypatch, *points):
    monkeypatch.setattr(metadata, "entry_points", lambda group: [p for p in points if p.group == group])
    registry = Registry("baseline", entry_point_group="irbench.baselines")
    registry.register_lazy("vgg", "os.path:join")
    return registry


def test_plugins_join_built_ins_win_and_broken_ones_are_reported(monkeypatch):
    points = [
        metadata.EntryPoint("extra", "os.path:basename", "irbench.baselines"),
        metadata.EntryPoint("vgg", "os.path:dirname", "irbench.baselines"),
        metadata.EntryPoint("broken", "no_such_module_here:Thing", "irbench.baselines"),
    ]
    registry = _registry(monkeypatch, *points)
    with pytest.warns(PluginWarning) as caught:
        names = registry.names()
    assert names == ["extra", "vgg"]
    messages = " ".join(str(w.message) for w in caught)
    assert "'vgg'" in messages and "built-in" in messages and "'broken'" in messages
    import os.path

    assert registry.get("extra") is os.path.basename and registry.get("vgg") is os.path.join
    assert "ModuleNotFoundError" in registry.plugin_errors["broken"]


def test_plugin_discovery_can_be_turned_off(monkeypatch):
    monkeypatch.setenv(DISABLE_PLUGINS, "1")
    registry = _registry(monkeypatch, metadata.EntryPoint("extra", "os.path:basename", "irbench.baselines"))
    assert registry.names() == ["vgg"]


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    """The example plugin installed (no dependencies, no network) into a folder of its own."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(target), str(EXAMPLE)],
        check=True, capture_output=True, text=True,
    )
    return target


def _irbench(site, *args, cwd):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    env.pop(DISABLE_PLUGINS, None)
    return subprocess.run([sys.executable, "-m", "irbench", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)


def test_example_plugin_is_listed_validated_and_run(plugin_site, tiny_irmas, tmp_path):
    listed = _irbench(plugin_site, "list", "baselines", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if "tiny-cnn" in line)
    assert "irbench-example-plugin" in row or "irbench-example-pl" in row
    validated = _irbench(plugin_site, "validate", "tiny-cnn", cwd=tmp_path)
    assert validated.returncode == 0 and "FAIL" not in validated.stdout, validated.stdout + validated.stderr
    ran = _irbench(plugin_site, "run", "-t", "irmas", "-b", "tiny-cnn", "-d", str(tiny_irmas), "--max-epochs", "1",
                   "-q", "--results-dir", str(tmp_path / "results"), "--cache-dir", str(tmp_path / "cache"), cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert record_file(tmp_path / "results", "irmas", "tiny-cnn").exists()


SERVE = '''
"""Test double loaded at start-up: pooch's HTTP download serves local files instead of the network."""
import json, os, shutil
import pooch

_FILES = json.loads(os.environ["IRBENCH_TEST_SERVE"])

def _serve(self, url, output_file, pooch_object, check_only=False):
    shutil.copyfile(_FILES[url], output_file)

pooch.HTTPDownloader.__call__ = _serve
'''


def test_example_plugin_task_downloads_verifies_synthesises_and_cites(plugin_site, tmp_path, monkeypatch):
    """The example plugin's tiny-tones task, installed, gets every data command and its published number with
    no change to irbench; the download is served locally (a sitecustomize replaces pooch's HTTP)."""
    import hashlib
    import json
    import re

    import soundfile

    from irbench.data.csvfiles import read_rows

    monkeypatch.syspath_prepend(str(plugin_site))
    from irbench_example_plugin.tones import CARD
    from irbench_example_plugin.tones_release import build_release, release_files

    served = tmp_path / "served.tar"
    served.write_bytes(build_release())
    (file,) = CARD.sources[0].files
    assert file.checksum == f"sha256:{hashlib.sha256(served.read_bytes()).hexdigest()}"  # pinned, reproducible
    double = tmp_path / "double"
    double.mkdir()
    (double / "sitecustomize.py").write_text(SERVE)
    monkeypatch.setenv("IRBENCH_TEST_SERVE", json.dumps({file.url: str(served)}))
    site = f"{plugin_site}{os.pathsep}{double}"
    real, stand_in = tmp_path / "tiny-tones", tmp_path / "tiny-tones-stand-in"
    out = {}
    for step, args in (("download", ("data", "download", "tiny-tones", "-d", str(real))),
                       ("verify", ("data", "verify", "tiny-tones", "-d", str(real))),
                       ("synth", ("data", "synth", "tiny-tones", "--out", str(stand_in), "-q", "-j", "1")),
                       ("verify stand-in", ("data", "verify", "tiny-tones", "-d", str(stand_in)))):
        done = _irbench(site, *args, cwd=tmp_path)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        out[step] = done.stdout + done.stderr
    assert sorted(p.relative_to(real).as_posix() for p in real.rglob("*") if p.is_file()) == sorted(release_files())
    found, expected = re.findall(r"│\s*(\d+)\s*│\s*\d+\s*│\s*\d+\s*│\s*(\S+)\s*│", out["verify"])[0]
    assert (found, expected) == ("16", "16")  # every file the card counts, real data
    assert "8 training and 4 test clips" in out["synth"] and "stand-in" in out["verify stand-in"]
    cited = subprocess.run([sys.executable, "-c", "from irbench.report.anchors import anchors_for; "
                            "print([(a.method, a.value) for a in anchors_for('tiny-tones')])"],
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(plugin_site)})
    assert "peak-share rule" in cited.stdout and "1.000" in cited.stdout, cited.stderr
    # the published number holds: the peak-share rule on the release's test clips
    rows = [row for _, row in read_rows(real / "labels.csv", ("file", "split", "label")) if row["split"] == "test"]
    for row in rows:
        audio, _ = soundfile.read(real / row["file"])
        share = float((abs(audio) > 0.9 * abs(audio).max()).mean())
        assert ("square" if share > 0.5 else "sawtooth") == row["label"]


FEATURES = '''
import json, sys
from pathlib import Path

import numpy as np
import torch

from irbench.data.audio import decode_audio
from irbench.features.extract import extract_features

files, cache = [Path(p) for p in sys.argv[1:-1]], Path(sys.argv[-1])
config = {"sample_rate": 16000, "hop_length": 512, "floor_db": -100.0}
done = extract_features(files, "frame-energy", config, cache, workers=2, show_progress=False)
in_parent = "irbench_example_plugin.frontend" in sys.modules  # False: only the workers looked it up

from irbench.features import FRONTENDS

frontend = FRONTENDS.get("frame-energy")(FRONTENDS.get("frame-energy").config_class(**config))
expected = [frontend(torch.from_numpy(decode_audio(p, 16000).samples)).numpy() for p in files]
print(json.dumps({"computed": done.computed, "in_parent": in_parent, "source": FRONTENDS.source("frame-energy"),
                  "shapes": [list(done.array(p).shape) for p in files],
                  "same": all(np.allclose(done.array(p), e, atol=1e-4) for p, e in zip(files, expected))}))
'''


def test_a_plugin_front_end_computes_features_in_spawned_workers(plugin_site, tmp_path):
    """The example plugin's ``frame-energy`` front end (entry-point group ``irbench.frontends``), named only
    by its string, is found by the 2 spawned worker processes that compute its features."""
    import json

    import numpy as np
    import soundfile

    rng = np.random.default_rng(0)
    files = []
    for i in range(5):
        path = tmp_path / f"clip-{i}.wav"
        soundfile.write(path, (rng.standard_normal(16000 + 700 * i) * 0.1 * (i + 1)).astype(np.float32), 16000)
        files.append(str(path))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_site), os.environ.get("PYTHONPATH", "")])}
    env.pop(DISABLE_PLUGINS, None)
    done = subprocess.run([sys.executable, "-c", FEATURES, *files, str(tmp_path / "cache")], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["computed"] == 5 and found["in_parent"] is False and found["same"] is True
    assert found["source"] == "irbench-example-plugin"
    assert found["shapes"] == [[1, -(-(16000 + 700 * i) // 512)] for i in range(5)]  # (features, frames)
