"""Seeded, stratified, recording-grouped validation splits."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from irbench.task import Clip


def grouped_stratified_split(
    clips: list[Clip], fraction: float, seed: int
) -> tuple[list[Clip], list[Clip]]:
    """Split single-label clips into (train, validation), per class, never splitting a group.

    For each class, its recording groups (``Clip.group``, or the clip itself when ``None``) are shuffled with
    ``numpy.random.default_rng(seed)`` and moved to validation until at least ``round(fraction * n)`` of the
    class's clips are there (at least one group when the class has two or more), and the last group in
that order always stays in training. A class with a single group stays entirely in training. Excerpts of one
    recording therefore never sit on both sides (the leak of IRMAS_Deep_Learning's clip-level split).

    Parameters
    ----------
    clips: training clips, each with exactly one label.
    fraction: target share of each class in validation, in (0, 1).
    seed: split seed; the same seed and clips always give the same split.

    Returns
    -------
    (train, validation), each sorted by ``clip_id``.

    Raises
    ------
    ValueError: ``fraction`` outside (0, 1).
    """
    if not 0 < fraction < 1:
        raise ValueError(f"validation fraction must be in (0, 1), got {fraction}")
    rng = np.random.default_rng(seed)
    by_class: dict[str, dict[str, list[Clip]]] = defaultdict(lambda: defaultdict(list))
    for clip in sorted(clips, key=lambda c: c.clip_id):
        by_class[clip.labels[0]][clip.group or clip.clip_id].append(clip)
    train: list[Clip] = []
    validation: list[Clip] = []
    for label in sorted(by_class):
        groups = by_class[label]
        ordered = sorted(groups)
        names = [ordered[i] for i in rng.permutation(len(ordered))]
        n_clips = sum(len(g) for g in groups.values())
        wanted = max(1, round(fraction * n_clips)) if len(groups) > 1 else 0
        taken = 0
        for position, name in enumerate(names):
            is_last = position == len(names) - 1
            if taken < wanted and not is_last:
                validation.extend(groups[name])
                taken += len(groups[name])
            else:
                train.extend(groups[name])
    return sorted(train, key=lambda c: c.clip_id), sorted(validation, key=lambda c: c.clip_id)


def grouped_split(clips: list[Clip], fraction: float, seed: int) -> tuple[list[Clip], list[Clip]]:
    """Split clips into (train, validation) by whole groups (recordings, tracks), for multi-label data.

    Groups (``Clip.group``, or the clip itself) are shuffled with ``numpy.random.default_rng(seed)`` and
    moved to validation until at least ``round(fraction * n_clips)`` clips are there (at least one group
    when there are two or more); the last group always stays in training.

    Returns (train, validation), each sorted by ``clip_id``. Raises ``ValueError`` for ``fraction``
    outside (0, 1).
    """
    if not 0 < fraction < 1:
        raise ValueError(f"validation fraction must be in (0, 1), got {fraction}")
    groups: dict[str, list[Clip]] = defaultdict(list)
    for clip in sorted(clips, key=lambda c: c.clip_id):
        groups[clip.group or clip.clip_id].append(clip)
    ordered = sorted(groups)
    names = [ordered[i] for i in np.random.default_rng(seed).permutation(len(ordered))]
    wanted = max(1, round(fraction * len(clips))) if len(groups) > 1 else 0
    train: list[Clip] = []
    validation: list[Clip] = []
    for position, name in enumerate(names):
        if len(validation) < wanted and position < len(names) - 1:
            validation.extend(groups[name])
        else:
            train.extend(groups[name])
    return sorted(train, key=lambda c: c.clip_id), sorted(validation, key=lambda c: c.clip_id)
