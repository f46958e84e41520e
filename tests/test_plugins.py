"""Third-party baselines and tasks through entry points, and the example plugin package end to end."""

import os
import subprocess
import sys
from importlib import metadata

import pytest

from irbench.registry import DISABLE_PLUGINS, PluginWarning, Registry

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
    assert (tmp_path / "results/irmas/tiny-cnn/seed-0.json").exists()
