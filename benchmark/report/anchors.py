"""Published reference numbers shown beside the leaderboards, never ranked with runs.

``anchors.csv`` (shipped with irbench) holds each number with its citation, the metric as its source defined
it, and the protocol caveat that keeps it from being compared one to one with irbench's runs.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Anchor:
    """One published number: task, method, metric (as the source defined it), value, source, caveat."""

    task: str
    method: str
    metric: str
    value: str
    source: str
    caveat: str


def load_anchors() -> list[Anchor]:
    """Every anchor in ``anchors.csv``, in file order."""
    text = resources.files("irbench.report").joinpath("anchors.csv").read_text(encoding="utf-8")
    return [Anchor(**row) for row in csv.DictReader(io.StringIO(text))]


def anchors_for(task: str) -> list[Anchor]:
    """The anchors of one task."""
    return [anchor for anchor in load_anchors() if anchor.task == task]
