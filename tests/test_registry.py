import pytest

from irbench.baselines import BASELINES
from irbench.errors import UnknownNameError
from irbench.registry import Registry
from irbench.tasks import TASKS


def test_duplicate_names_are_refused():
    registry = Registry("thing")
    registry.register("a", 1)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("a", 2)


def test_unknown_name_suggests_the_nearest():
    with pytest.raises(UnknownNameError, match="Did you mean 'irmas'"):
        TASKS.get("irmass")
    with pytest.raises(UnknownNameError, match="'vgg'"):
        BASELINES.get("vggg")


def test_lazy_entries_import_on_first_get():
    registry = Registry("thing")
    registry.register_lazy("join", "os.path:join")
    assert "join" in registry
    import os.path

    assert registry.get("join") is os.path.join


def test_decorator_registers_and_returns_the_object():
    registry = Registry("thing")

    @registry.register("f")
    def f():
        return 3

    assert registry.get("f") is f and registry.names() == ["f"]
