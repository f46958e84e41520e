"""Plugins load lazily: a lookup by name imports only that plugin's entry point, listing imports them all, a
built-in wins a clash without its rival ever being imported, a broken plugin is reported and skipped, and a
plugin task's contract is checked when it is loaded. The plugins are real distributions (a ``*.dist-info``
folder with ``entry_points.txt`` on ``sys.path``), found by ``importlib.metadata`` as pip-installed ones are."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from irbench.errors import UnknownNameError
from irbench.registry import DISABLE_PLUGINS, PluginWarning, Registry

GROUP = "irbench.test-things"


def _distribution(site: Path, name: str, entry_points: dict[str, dict[str, str]], modules: dict[str, str]) -> Path:
    """Install a fake distribution ``name`` into ``site``: its modules (name -> source) and its entry points
    (group -> {entry name: "module:attribute"})."""
    site.mkdir(parents=True, exist_ok=True)
    info = site / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{entry} = {target}\n" for entry, target in points.items())
        for group, points in entry_points.items()))
    for module, source in modules.items():
        (site / f"{module}.py").write_text(textwrap.dedent(source))
    return site


@pytest.fixture
def things(tmp_path, monkeypatch):
    """A registry of the group ``GROUP`` with one built-in (``clash``) and a distribution offering ``alpha``,
    ``beta``, ``clash`` and ``broken``, each in a module of its own."""
    modules = {f"lazy_thing_{n}": f"VALUE = {n!r}\n" for n in ("alpha", "beta", "clash")}
    modules["lazy_thing_broken"] = ("import sys\nsys.modules['lazy_thing_tried'] = sys  # a failed import leaves no module\n"
                                    "raise RuntimeError('this plugin is broken')\n")
    site = _distribution(tmp_path / "site", "lazy-things", {GROUP: {
        "alpha": "lazy_thing_alpha:VALUE", "beta": "lazy_thing_beta:VALUE", "clash": "lazy_thing_clash:VALUE",
        "broken": "lazy_thing_broken:VALUE"}}, modules)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv(DISABLE_PLUGINS, raising=False)
    for module in [*modules, "lazy_thing_tried"]:
        monkeypatch.delitem(sys.modules, module, raising=False)
    registry = Registry("thing", entry_point_group=GROUP)
    registry.register("clash", "built-in")
    yield registry
    for module in [*modules, "lazy_thing_tried"]:
        sys.modules.pop(module, None)


def _imported() -> set[str]:
    return {name.removeprefix("lazy_thing_") for name in sys.modules if name.startswith("lazy_thing_")}


def test_a_lookup_imports_only_its_own_plugin(things):
    with pytest.warns(PluginWarning, match="'clash' from package 'lazy-things' ignored: the built-in"):
        assert things.get("alpha") == "alpha"
    assert _imported() == {"alpha"}
    assert things.source("alpha") == "lazy-things" and things.source("clash") == "irbench"
    assert things.get("clash") == "built-in"  # the built-in wins; its rival is never imported
    assert "beta" in things and _imported() == {"alpha", "beta"}


def test_a_miss_suggests_names_without_importing_any_plugin(things):
    with pytest.warns(PluginWarning), pytest.raises(UnknownNameError, match="Did you mean 'alpha'"):
        things.get("alpah")
    assert _imported() == set()


def test_listing_imports_all_and_reports_the_broken_one(things):
    with pytest.warns(PluginWarning) as caught:
        assert things.names() == ["alpha", "beta", "clash"]
    assert _imported() == {"alpha", "beta", "tried"}  # ``clash`` stays the built-in
    assert any("'broken'" in str(w.message) and "this plugin is broken" in str(w.message) for w in caught)
    assert "RuntimeError" in things.plugin_errors["broken"]
    with pytest.raises(UnknownNameError, match="'broken' cannot be used: its plugin was skipped.*RuntimeError"):
        things.get("broken")


def test_looking_up_a_broken_plugin_says_why_and_spares_the_others(things):
    with pytest.warns(PluginWarning) as caught, pytest.raises(UnknownNameError, match="broken"):
        things.get("broken")
    assert any("'broken'" in str(w.message) and "skipped" in str(w.message) for w in caught)
    assert "broken" not in things and _imported() == {"tried"}


def test_discovery_can_be_turned_off(things, monkeypatch):
    monkeypatch.setenv(DISABLE_PLUGINS, "1")
    fresh = Registry("thing", entry_point_group=GROUP)
    assert "alpha" not in fresh and fresh.names() == [] and _imported() == set()


TASK = """
from irbench.tasks.irmas import IrmasTask

class Task(IrmasTask):
    metadata = IrmasTask.metadata.model_copy(update={{"name": {name!r}, "main_score": {main!r}}})
"""

CHECK = """
import sys, warnings
from irbench.tasks import TASKS, get_task

loaded = lambda: sorted(m for m in sys.modules if m.startswith("lazy_task_"))
get_task("irmas")
print("built-in:", loaded())
print("one:", TASKS.get("lazy-one").metadata.main_score, loaded())
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print("two listed:", "lazy-two" in TASKS, loaded())
print("two refused:", any("breaks the task contract" in str(w.message) for w in caught))
print("names:", [n for n in TASKS.names() if n.startswith("lazy-")])
"""


def test_the_task_registry_loads_one_plugin_task_and_checks_its_contract(tmp_path):
    """In a fresh interpreter with two plugin tasks installed: a built-in lookup imports neither, looking up
    one imports only it, and the other (whose main score its protocol never emits) is refused when loaded."""
    site = _distribution(tmp_path, "lazy-tasks", {"irbench.tasks": {
        "lazy-one": "lazy_task_one:Task", "lazy-two": "lazy_task_two:Task"}}, {
        "lazy_task_one": TASK.format(name="lazy-one", main="micro_f1"),
        "lazy_task_two": TASK.format(name="lazy-two", main="f2_score")})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    env.pop(DISABLE_PLUGINS, None)
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "built-in: []"
    assert lines[1] == "one: micro_f1 ['lazy_task_one']"
    assert lines[2] == "two listed: False ['lazy_task_one', 'lazy_task_two']"
    assert lines[3] == "two refused: True" and lines[4] == "names: ['lazy-one']"
