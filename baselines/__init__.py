"""Baselines registered by name (the CLI's ``--baseline``); see ``irbench.baselines.base`` for the contract.

Registered lazily, so listing them imports no model code. Third-party baselines join through the
``irbench.baselines`` entry-point group (see the README and ``examples/``); looking one up by name imports
only its own entry point (:mod:`irbench.registry`).
"""

from __future__ import annotations

from irbench.baselines.base import Baseline
from irbench.registry import Registry


REQUIRED = ("name", "description", "source", "input_frames")
"""Class attributes every baseline declares (see :class:`irbench.baselines.base.Baseline`)."""


def check_baseline(entry: object) -> str | None:
    """What is wrong with a registered baseline: it must be a ``Baseline`` subclass that declares its name,
    description, source and window length (a positive number of frames) and, when it
    reads features, a registered front end with its configuration."""
    if not (isinstance(entry, type) and issubclass(entry, Baseline)):
        return f"is a {type(entry).__name__}, not a subclass of irbench.baselines.base.Baseline"
    missing = [name for name in REQUIRED if not hasattr(entry, name)]
    if missing:
        return f"declares no {', '.join(missing)}"
    if not isinstance(entry.input_frames, int) or entry.input_frames < 1:
        return f"input_frames is {entry.input_frames!r}, not a positive number of frames"
    if entry.frontend_name is not None:
        from irbench.features import FRONTENDS

        if entry.frontend_name not in FRONTENDS:  # loads that front end's plugin only
            return f"reads features of front end {entry.frontend_name!r}, which is not registered"
        if getattr(entry, "frontend_config", None) is None:
            return f"reads features of {entry.frontend_name!r} but declares no frontend_config"
    return None


BASELINES: Registry[type[Baseline]] = Registry("baseline", entry_point_group="irbench.baselines", check=check_baseline)
BASELINES.register_lazy("mlp", "irbench.baselines.mlp:MlpBaseline")
BASELINES.register_lazy("vgg", "irbench.baselines.vgg:VGGBaseline")
BASELINES.register_lazy("multistft-panns", "irbench.baselines.multistft_panns:MultiStftPannsBaseline")
BASELINES.register_lazy("transformer", "irbench.baselines.transformer:TransformerBaseline")
BASELINES.register_lazy("cnn14", "irbench.baselines.cnn14:Cnn14Baseline")
BASELINES.register_lazy("constant", "irbench.baselines.constant:ConstantBaseline")


SCHEMES = {"probe": "irbench.baselines.probe:ProbeBaseline", "zero-shot": "irbench.baselines.zero_shot:ZeroShotBaseline"}
"""``<scheme>:<target>`` baselines built per target: ``probe:<embedder>`` (probe-v1 on a frozen embedder) and
``zero-shot:<tagger>`` (a pretrained tagger through a label map); the class is imported on first use."""


def is_scheme_name(name: object) -> bool:
    """Whether ``name`` is a ``<scheme>:<target>`` baseline name with a known scheme (nothing is imported)."""
    return isinstance(name, str) and name.partition(":")[0] in SCHEMES and bool(name.partition(":")[2])


def get_baseline(name: str) -> Baseline:
    """Instantiate the baseline registered as ``name``, or ``probe:<embedder>`` / ``zero-shot:<tagger>``.

    Raises ``UnknownNameError`` with suggestions for an unknown name; ``ConfigError`` for a scheme whose
    target names no embedder or tagger (the embedder or tagger itself is only built when the run is
    configured)."""
    if is_scheme_name(name):
        import importlib

        scheme, _, target = name.partition(":")
        module_name, attribute = SCHEMES[scheme].split(":")
        return getattr(importlib.import_module(module_name), attribute)(target)
    return BASELINES.get(name)()
