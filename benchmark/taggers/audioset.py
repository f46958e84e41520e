"""The AudioSet label set (Gemmeke et al. 2017, ICASSP, "Audio Set: an ontology and human-labeled dataset
for audio events"): 527 classes in the index order of PANNs' ``fc_audioset`` head (Kong et al. 2020).

``audioset_labels.csv`` (``index,mid,display_name``) is a copy of ``metadata/class_labels_indices.csv`` of
qiuqiangkong/audioset_tagging_cnn (PANNs' code), which is AudioSet's own ``class_labels_indices.csv``;
AudioSet's ontology and labels are CC BY 4.0 (Google). Reading it imports no torch.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

LABELS_FILE = "audioset_labels.csv"
N_CLASSES = 527


class AudiosetClass(NamedTuple):
    """One AudioSet class: its column ``index`` in PANNs' head, its ontology ``mid`` (``/m/09x0r``) and its
    ``display_name`` (``Speech``)."""

    index: int
    mid: str
    display_name: str


@lru_cache(maxsize=1)
def audioset_classes() -> tuple[AudiosetClass, ...]:
    """The 527 AudioSet classes in index order, read from the package's ``audioset_labels.csv``.

    Raises ``RuntimeError`` naming the file when it is not 527 rows of consecutive indices with unique names
    (a damaged installation)."""
    text = resources.files("irbench.taggers").joinpath(LABELS_FILE).read_text(encoding="utf-8")
    rows = tuple(AudiosetClass(int(row["index"]), row["mid"], row["display_name"])
                 for row in csv.DictReader(io.StringIO(text)))
    names = {row.display_name for row in rows}
    if len(rows) != N_CLASSES or [row.index for row in rows] != list(range(N_CLASSES)) or len(names) != N_CLASSES:
        raise RuntimeError(f"irbench/taggers/{LABELS_FILE} is damaged: expected {N_CLASSES} rows indexed 0-526 "
                           f"with unique names, found {len(rows)} rows and {len(names)} names")
    return rows


def audioset_labels() -> tuple[str, ...]:
    """The 527 AudioSet display names (``"Speech"``, ..., ``"Violin, fiddle"``, ...) in PANNs' index order."""
    return tuple(row.display_name for row in audioset_classes())
