"""Telling apart leaderboard rows of one baseline whose configurations read alike.

A row is a baseline plus its configuration (:mod:`irbench.run.configuration`, the one definition of "the same
configuration"), labelled by the settings that differ from the baseline's defaults. A baseline that is not
registered here (a record from a plugin not installed) has no known defaults, so two of its configurations
would read alike: :func:`differing_settings` labels them by the settings in which they differ instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from irbench.run.configuration import flatten, format_value

MISSING = "unset"


def differing_settings(configs: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    """For the configurations of one baseline, the settings in which each differs from the others.

    Parameters
    ----------
    configs: the distinct configurations' settings (:attr:`irbench.run.configuration.Configuration.settings`).

    Returns
    -------
    One ``{setting: value}`` per configuration, same order; empty dictionaries when there is only one.
    A setting is named by its last key (``max_epochs``) unless two differing settings share it, then by
    its dotted path (``baseline.frontend_config.n_mels``). A setting one configuration lacks reads
    ``unset``.
    """
    if len(configs) < 2:
        return [{} for _ in configs]
    flat = [flatten(c) for c in configs]
    keys = sorted({k for f in flat for k in f})
    differ = [k for k in keys if len({json.dumps(f.get(k, MISSING), sort_keys=True, default=str) for f in flat}) > 1]
    short = [k.rsplit(".", 1)[-1] for k in differ]
    names = [s if short.count(s) == 1 else k for k, s in zip(differ, short)]
    return [{name: format_value(f[k]) if k in f else MISSING for name, k in zip(names, differ)} for f in flat]
