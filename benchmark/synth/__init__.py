"""Offline stand-ins: datasets rendered from a General MIDI SoundFont in the real on-disk layouts.

Each generator writes exactly the files, names and audio formats of its dataset, so the task loaders read a
stand-in and the real download alike, and marks the folder (``irbench-stand-in.json``) so every result on it
is labelled a stand-in. A task names its generator in its dataset card (``TaskMetadata.card.stand_in``,
``"module:Class"``), so a task from a plugin package is synthesised like a built-in one; tasks that read the
same dataset name the same generator (``medley-solos-binary`` reads Medley-solos-DB's stand-in).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from irbench.errors import IrbenchError


def stand_in_generator(task: str) -> type:
    """The :class:`irbench.synth.base.StandInGenerator` subclass the card of ``task`` names.

    Raises
    ------
    UnknownNameError: an unknown task (nearest names suggested).
    IrbenchError: the task declares no stand-in, or its ``"module:Class"`` cannot be imported or is not a
        ``StandInGenerator``.
    """
    from irbench.datasets import dataset_card
    from irbench.synth.base import StandInGenerator

    card = dataset_card(task)
    if card is None or card.stand_in is None:
        raise IrbenchError(f"task {task!r} declares no stand-in generator (TaskMetadata.card.stand_in): "
                           "irbench cannot synthesise its data")
    module_name, attribute = card.stand_in.split(":", 1)
    try:
        generator = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise IrbenchError(f"task {task!r}: stand-in generator {card.stand_in} cannot be imported ({error})") from error
    if not (isinstance(generator, type) and issubclass(generator, StandInGenerator)):
        raise IrbenchError(f"task {task!r}: {card.stand_in} is not an irbench.synth.base.StandInGenerator")
    return generator


def _generators() -> dict[str, str]:
    """Task -> ``"module:Class"`` of its stand-in, for every registered task that declares one."""
    from irbench.tasks import TASKS

    found = {}
    for name in TASKS.names():
        card = TASKS.get(name).metadata.card
        if card is not None and card.stand_in is not None:
            found[name] = card.stand_in
    return found


class _StandIns:
    """``STAND_INS.get(task)``: the generator class of ``task`` (kept for callers of the former registry)."""

    kind = "stand-in generator"

    def get(self, task: str) -> type:
        """See :func:`stand_in_generator`."""
        return stand_in_generator(task)

    def names(self) -> list[str]:
        """Tasks whose card names a stand-in generator, sorted."""
        return sorted(_generators())

    def __contains__(self, task: object) -> bool:
        return task in _generators()


class _SharedStandIns(Mapping):
    """Task -> the first task (by name) whose card names the same generator: tasks that can share one
    rendered stand-in (``medley-solos-binary`` -> ``medley-solos``). Derived from the cards."""

    def _table(self) -> dict[str, str]:
        generators = _generators()
        first: dict[str, str] = {}
        for name in sorted(generators):
            first.setdefault(generators[name], name)
        return {name: first[target] for name, target in generators.items() if first[target] != name}

    def __getitem__(self, task: str) -> str:
        return self._table()[task]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


STAND_INS = _StandIns()
STAND_IN_OF: Mapping[str, str] = _SharedStandIns()
