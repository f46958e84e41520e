"""95% bootstrap intervals over the independent units of a test set (``scipy.stats.bootstrap``, percentile).

Test clips are rarely independent: IRMAS's 2,874 test excerpts come from 208 tracks (``<track>-<n>.wav``),
MusicNet's test windows from 10 recordings, Medley-solos-DB's clips from songs, OpenMIC's from Free Music
Archive tracks. Resampling clips as if they were independent makes intervals too narrow, so irbench
resamples the groups (a cluster bootstrap: Davison & Hinkley 1997, Sec. 3.8; Field & Welsh 2007) and takes
every clip of each drawn group. The record stores the unit and how many there were.

The interval says how much a run's score depends on which test material was drawn; it is not the spread
across seeds, which the leaderboard reports separately (lm-eval users mixed the two up).

Every resample scores the same quantity as the point estimate: the class set is fixed by the whole test set
(see :func:`irbench.evaluation.metrics.headline_metric`), never recomputed inside a resample. With fewer than
:data:`INDICATIVE_BELOW` units a percentile bootstrap is coarse (10 MusicNet recordings give at most 10 distinct
values per class share, and its coverage falls short of 95%; Davison & Hinkley 1997, Sec. 5.3): such an
interval is flagged ``indicative`` in the record and on the page, with its unit count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

RESAMPLES = 1000
LEVEL = 0.95
INDICATIVE_BELOW = 30
"""Independent units below which an interval is flagged as indicative only."""


def group_members(groups: Sequence[str]) -> list[np.ndarray]:
    """Clip indices of each distinct group, groups in order of first appearance: list of ``(n_i,)`` int arrays."""
    first_seen: dict[str, int] = {}
    codes = np.array([first_seen.setdefault(g, len(first_seen)) for g in groups], dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(first_seen)))[:-1]
    return np.split(order, bounds) if len(groups) else []


def bootstrap_interval(
    score: Callable[[np.ndarray], float], groups: Sequence[str] | int, resamples: int = RESAMPLES, seed: int = 0,
    unit: str = "clip",
) -> dict[str, float | int | str]:
    """Percentile interval of ``score(indices)`` over ``resamples`` resamplings of the test set's groups.

    Parameters
    ----------
    score: metric of the test clips at the given indices ``(k,)`` (decisions already fixed); indices repeat
        when a group is drawn more than once.
    groups: the group (independent unit) of each test clip, ``(n_clips,)``; an int ``n`` means ``n``
        independent clips.
    seed: resampling seed; the interval is reproducible.
    unit: what one group is ("track", "recording", "song", "clip"), stored with the interval.

    Returns
    -------
    ``{"low", "high", "level", "resamples", "method", "unit", "n_units", "indicative"}``; ``low == high``
    with fewer than 2 groups; ``indicative`` is true below :data:`INDICATIVE_BELOW` units.
    """
    if isinstance(groups, int):
        groups = [str(i) for i in range(groups)]
    members = group_members(groups)
    facts = {"level": LEVEL, "unit": unit, "n_units": len(members), "indicative": len(members) < INDICATIVE_BELOW}
    if len(members) < 2:
        value = float(score(np.arange(len(groups)))) if len(groups) else 0.0
        return {"low": value, "high": value, "resamples": 0, "method": f"too few {unit}s to resample", **facts}

    def statistic(drawn: np.ndarray) -> float:
        return score(np.concatenate([members[g] for g in np.asarray(drawn, dtype=np.int64)]))

    import scipy.stats  # here, not at import: the report reads these constants without SciPy's 0.6 CPU-s

    result = scipy.stats.bootstrap(
        (np.arange(len(members)),), statistic, vectorized=False, paired=False, n_resamples=resamples,
        confidence_level=LEVEL, method="percentile", random_state=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    method = "percentile bootstrap over test clips" if unit == "clip" else \
        f"percentile bootstrap over test {unit}s (every clip of each drawn {unit})"
    return {"low": float(interval.low), "high": float(interval.high), "resamples": resamples, "method": method,
            **facts}
