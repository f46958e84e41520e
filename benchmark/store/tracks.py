"""A run's track: which kind of result a record is, so results of different kinds are never ranked together.

irbench keeps three tracks apart (:data:`TRACKS`):

- ``supervised``: a baseline trained on the task's training split (every registered baseline);
- ``probe-v1``: a frozen pretrained embedder under the probe-v1 protocol (a linear or MLP probe trained on
  pooled embeddings), baselines named ``probe:<embedder>`` (``probe:hear:my_module``, ``probe:cnn14``);
- ``zero-shot``: a pretrained tagger evaluated without training through a label map, baselines named
  ``zero-shot:<tagger>`` (``zero-shot:cnn14-audioset``).

A probe or zero-shot record says so in ``config.baseline.notes`` (``{"track": "probe-v1", "protocol":
"probe-v1", "embedder": {"name", "version", "sample_rate", "embedding_size", "weights_sha256", ...},
"pooling", "probe", "selection"}``, or ``{"track": "zero-shot", "protocol": "zero-shot-v1", "tagger": {...},
"label_map", "unmapped_classes"}``); a record without a ``track`` note falls back on its baseline name's
prefix, else is ``supervised``. A record is untrusted input: a ``track`` note that is not one of
:data:`TRACKS`, or that contradicts the baseline name's prefix, is refused (:class:`UnknownTrackError`),
never guessed, and no track value is ever used as a path. :func:`track_label` gives the one line the report
writes beside a probe or zero-shot row; every text it takes from a record is flattened to one short line
(it still has to be escaped for the output format).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from irbench.errors import IrbenchError

if TYPE_CHECKING:
    from irbench.store.records import RunRecord

__all__ = ["PREFIXES", "SUPERVISED", "TRACKS", "UnknownTrackError", "track_label", "track_of",
           "unmapped_classes"]

SUPERVISED = "supervised"
TRACKS = (SUPERVISED, "probe-v1", "zero-shot")
"""The tracks, in the order the report shows them."""
PREFIXES = {"probe:": "probe-v1", "zero-shot:": "zero-shot"}
"""Baseline name prefix -> the track its records belong to."""
TEXT_LIMIT = 60
"""The most characters of one text from a record in a label (longer ones end in ``…``)."""
MAX_NAMED_CLASSES = 20
"""The most unmapped classes :func:`unmapped_classes` names (the rest are counted)."""
_HEX = re.compile(r"[0-9a-fA-F]{8,128}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


class UnknownTrackError(IrbenchError, ValueError):
    """A record names a track irbench does not know, or one its baseline name contradicts; the message shows
    the value (``ascii``, shortened) and the known tracks."""


def _shown(value: object) -> str:
    text = ascii(value)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 3] + "..."


def _notes(record: RunRecord) -> dict[str, Any]:
    notes = record.config.baseline.notes
    return notes if isinstance(notes, dict) else {}


def track_of(record: RunRecord) -> str:
    """The track of ``record``, one of :data:`TRACKS`: its notes' ``track`` when it has one, else by its
    baseline name's prefix (:data:`PREFIXES`), else ``supervised``.

    Raises
    ------
    UnknownTrackError: the ``track`` note is not one of :data:`TRACKS` (or not a string), or it contradicts
        the baseline name (``probe:x`` declared ``supervised``).
    """
    by_name = next((track for prefix, track in PREFIXES.items() if record.baseline.startswith(prefix)), None)
    notes = _notes(record)
    if "track" not in notes:
        return by_name or SUPERVISED
    declared = notes["track"]
    if not isinstance(declared, str) or declared not in TRACKS:
        raise UnknownTrackError(f"unknown track {_shown(declared)} (irbench knows {', '.join(TRACKS)})")
    if by_name is not None and declared != by_name:
        raise UnknownTrackError(f"baseline {_shown(record.baseline)} is a {by_name} baseline but its record "
                                f"declares track {_shown(declared)}")
    return declared


def one_line(value: object, limit: int = TEXT_LIMIT) -> str:
    """``value`` as one short line: control characters and line breaks become spaces, runs of spaces one,
    at most ``limit`` characters (``…`` at the end when cut). Not escaped for any format."""
    text = " ".join(_CONTROL.sub(" ", str(value)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _weights(model: dict[str, Any]) -> str:
    """``weights 3f2a9c1b`` (8 hex digits of the SHA-256), or what the record lacks."""
    sha = model.get("weights_sha256")
    if sha is None or sha == "":
        return "no weights hash recorded"
    if isinstance(sha, str) and _HEX.fullmatch(sha):
        return f"weights {sha[:8].lower()}"
    return "weights hash not hexadecimal"


def _model(notes: dict[str, Any], key: str) -> str:
    """``hear:my_module 1.0``: the model's name and version from ``notes[key]``, ``unknown <key>`` without."""
    model = notes.get(key)
    if not isinstance(model, dict) or not model.get("name"):
        return f"unknown {key}"
    version = model.get("version")
    return one_line(model["name"]) + (f" {one_line(version, 24)}" if version not in (None, "") else "")


def unmapped_classes(record: RunRecord) -> list[str]:
    """The task's classes a zero-shot record's label map leaves without a tagger label (its notes'
    ``unmapped_classes``), each as one short line, at most :data:`MAX_NAMED_CLASSES` of them followed by
    ``and N more``; empty for other tracks or when none is listed."""
    listed = _notes(record).get("unmapped_classes")
    if not isinstance(listed, list):
        return []
    named = [one_line(item, 40) for item in listed[:MAX_NAMED_CLASSES]]
    return named + ([f"and {len(listed) - MAX_NAMED_CLASSES} more"] if len(listed) > MAX_NAMED_CLASSES else [])


def track_label(record: RunRecord) -> str:
    """One line saying what produced a probe or zero-shot result, e.g.
    ``probe-v1 · hear:my_module 1.0 · weights 3f2a9c1b · linear probe, mean pooling`` or
    ``zero-shot (zero-shot-v1) · cnn14-audioset 2 · weights 3f2a9c1b · 2 classes unmapped``; ``supervised``
    for a supervised record. The protocol is named when it differs from the track.

    Raises ``UnknownTrackError`` as :func:`track_of`."""
    track = track_of(record)
    if track == SUPERVISED:
        return SUPERVISED
    notes = _notes(record)
    protocol = notes.get("protocol")
    head = track if protocol in (None, "", track) else f"{track} ({one_line(protocol, 24)})"
    key = "embedder" if track == "probe-v1" else "tagger"
    model = notes.get(key) if isinstance(notes.get(key), dict) else {}
    parts = [head, _model(notes, key), _weights(model)]
    if track == "probe-v1":
        how = [f"{one_line(notes['probe'], 16)} probe" if notes.get("probe") else "",
               f"{one_line(notes['pooling'], 16)} pooling" if notes.get("pooling") else ""]
        if any(how):
            parts.append(", ".join(h for h in how if h))
    else:
        listed = notes.get("unmapped_classes")
        if not isinstance(listed, list):
            parts.append("unmapped classes not recorded")
        else:
            count = len(listed)
            parts.append(f"{count} class{'es' if count != 1 else ''} unmapped" if count else "every class mapped")
    return " · ".join(parts)
