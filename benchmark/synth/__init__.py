"""Offline stand-ins: datasets rendered from a General MIDI SoundFont in the real on-disk layouts.

Each generator writes exactly the files, names and audio formats of its dataset, so the task loaders read a
stand-in and the real download alike, and marks the folder (``irbench-stand-in.json``) so every result on it
is labelled a stand-in. A task names its generator in its dataset card (``TaskMetadata.card.stand_in``,
``"module:Class"``), so a task from a plugin package is synthesised like a built-in one; tasks that read the
same dataset name the same generator (``medley-solos-binary`` reads Medley-solos-DB's stand-in).
"""

from __future__ import annotations

import importlib

from irbench.errors import IrbenchError


def stand_in_generator(task: str) -> type:
    """The :class:`irbench.synth.base.StandInGenerator` subclass the card of ``task`` names.

    Raises
    ------
    UnknownNameError: an unknown task (nearest names suggested).
    IrbenchError: the task declares no stand-in, or its ``"module:Class"`` cannot be imported or is not a
        ``StandInGenerator``.
    """
    from irbench.synth.base import StandInGenerator
    from irbench.tasks import get_task

    card = get_task(task).metadata.card
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


def shared_stand_in(task: str) -> str:
    """The task whose stand-in folder ``task`` can read: the first task (by name) whose card names the same
    generator (``medley-solos-binary`` -> ``medley-solos``, ``musicnet-instruments`` -> ``musicnet``);
    ``task`` itself when none comes before it or it declares no generator."""
    from irbench.tasks import TASKS

    own = TASKS.get(task).metadata.card
    if own is None or own.stand_in is None:
        return task
    for name in TASKS.names():  # sorted
        card = TASKS.get(name).metadata.card
        if card is not None and card.stand_in == own.stand_in:
            return name
    return task
