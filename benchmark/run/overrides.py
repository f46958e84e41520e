"""``--config key=value`` overrides of a baseline's training defaults, validated by pydantic."""

from __future__ import annotations

import difflib

from pydantic import BaseModel, ValidationError

from irbench.errors import ConfigError


# Short names users type for a training setting, looked up before the closest-spelling suggestion.
ALIASES = {"lr": "learning_rate", "epochs": "max_epochs", "bs": "batch_size", "wd": "weight_decay"}


def apply_overrides(defaults: BaseModel, overrides: list[str], max_epochs: int | None) -> BaseModel:
    """``defaults`` with each ``key=value`` applied (values parsed by the field's type), then ``max_epochs``.

    Raises
    ------
    ConfigError: an override without ``=``, an unknown key, or a value of the wrong type or range.
    """
    values = defaults.model_dump()
    for item in overrides:
        key, separator, value = item.partition("=")
        if not separator or not key:
            raise ConfigError(f"--config expects key=value, got {item!r}")
        if key not in values:
            close = difflib.get_close_matches(ALIASES.get(key, key), sorted(values), n=2, cutoff=0.5)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ConfigError(f"unknown config key {key!r}.{hint} Known: {', '.join(sorted(values))}.")
        values[key] = value
    if max_epochs is not None and "max_epochs" in values:  # a model that trains nothing has no epochs
        values["max_epochs"] = max_epochs
    try:
        return type(defaults).model_validate(values)
    except ValidationError as error:
        raise ConfigError(f"invalid configuration: {error}") from error
