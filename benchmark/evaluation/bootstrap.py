"""95% bootstrap intervals over test clips (``scipy.stats.bootstrap``, percentile method).

The interval says how much a run's score depends on which test clips were drawn; it is not the spread
across seeds, which the leaderboard reports separately (lm-eval users mixed the two up).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.stats

RESAMPLES = 1000
LEVEL = 0.95


def bootstrap_interval(
    score: Callable[[np.ndarray], float], n_clips: int, resamples: int = RESAMPLES, seed: int = 0,
) -> dict[str, float | int | str]:
    """Percentile interval of ``score(indices)`` over ``resamples`` resamplings of ``range(n_clips)``.

    Parameters
    ----------
    score: metric of the test clips at the given indices ``(k,)`` (decisions already fixed).
    n_clips: test clips.
    seed: resampling seed; the interval is reproducible.

    Returns
    -------
    ``{"low", "high", "level", "resamples", "method"}``; ``low == high`` when there are under 2 clips.
    """
    indices = np.arange(n_clips)
    if n_clips < 2:
        value = float(score(indices)) if n_clips else 0.0
        return {"low": value, "high": value, "level": LEVEL, "resamples": 0, "method": "too few clips"}
    result = scipy.stats.bootstrap(
        (indices,), lambda sample: score(np.asarray(sample, dtype=int)), vectorized=False, paired=False,
        n_resamples=resamples, confidence_level=LEVEL, method="percentile", random_state=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    return {"low": float(interval.low), "high": float(interval.high), "level": LEVEL, "resamples": resamples,
            "method": "percentile bootstrap over test clips"}
