"""Baselines registered by name (the CLI's ``--baseline``); see ``irbench.baselines.base`` for the contract.

Registered lazily, so listing them imports no model code. Third-party baselines join through the
``irbench.baselines`` entry-point group (see the README and ``examples/``).
"""

from __future__ import annotations

from irbench.baselines.base import Baseline
from irbench.registry import Registry

def _check(entry: object) -> str | None:
    """What is wrong with a registered baseline: it must be a ``Baseline`` subclass."""
    if not (isinstance(entry, type) and issubclass(entry, Baseline)):
        return f"is a {type(entry).__name__}, not a subclass of irbench.baselines.base.Baseline"
    return None


BASELINES: Registry[type[Baseline]] = Registry("baseline", entry_point_group="irbench.baselines", check=_check)
BASELINES.register_lazy("mlp", "irbench.baselines.mlp:MlpBaseline")
BASELINES.register_lazy("vgg", "irbench.baselines.vgg:VGGBaseline")
BASELINES.register_lazy("multistft-panns", "irbench.baselines.multistft_panns:MultiStftPannsBaseline")
BASELINES.register_lazy("transformer", "irbench.baselines.transformer:TransformerBaseline")
BASELINES.register_lazy("cnn14", "irbench.baselines.cnn14:Cnn14Baseline")
BASELINES.register_lazy("constant", "irbench.baselines.constant:ConstantBaseline")


def get_baseline(name: str) -> Baseline:
    """Instantiate the baseline registered as ``name``; raises ``UnknownNameError`` with suggestions."""
    return BASELINES.get(name)()
