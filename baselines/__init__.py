"""Baselines registered by name (the CLI's ``--baseline``); see ``irbench.baselines.base`` for the contract.

Registered lazily, so listing them imports no model code.
"""

from __future__ import annotations

from irbench.baselines.base import Baseline
from irbench.registry import Registry

BASELINES: Registry[type[Baseline]] = Registry("baseline")
BASELINES.register_lazy("vgg", "irbench.baselines.vgg:VGGBaseline")
BASELINES.register_lazy("constant", "irbench.baselines.constant:ConstantBaseline")


def get_baseline(name: str) -> Baseline:
    """Instantiate the baseline registered as ``name``; raises ``UnknownNameError`` with suggestions."""
    return BASELINES.get(name)()
