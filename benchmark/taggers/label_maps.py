"""Label maps: which of a tagger's labels stand for each class of a task, recorded, never guessed at run time.

A :class:`LabelMap` maps each task class to a tuple of the tagger's labels; a class's score is the largest of
its labels' scores. A class with no counterpart in the tagger's label set is listed in ``unmapped``, so
every class is accounted for. :func:`label_map` finds the map of a (tagger, task) pair: the built-in maps
below, else one a tagger ships (its class's ``label_map_files``), else a file given to it
(:meth:`LabelMap.from_file`, JSON or TOML). Every map is validated (:meth:`LabelMap.problems`) against the
tagger's labels and the task's ``metadata.labels`` before use.

Built-in maps for ``cnn14-audioset`` (AudioSet's ontology, Gemmeke et al. 2017) map a class to its AudioSet
class and that class's children in the ontology where they are the same instrument (``Organ``: ``Electronic
organ``, ``Hammond organ``); AudioSet has no oboe, bassoon, viola or kalimba, so those stay unmapped rather
than taking a parent class (``Wind instrument, woodwind instrument``) that many other instruments share.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from irbench.errors import ConfigError, UnknownNameError

SINGING = ("Singing", "Male singing", "Female singing", "Child singing", "Choir")
ORGAN = ("Organ", "Electronic organ", "Hammond organ")
PIANO = ("Piano", "Electric piano")
GUITAR = ("Guitar", "Acoustic guitar", "Electric guitar", "Steel guitar, slide guitar")


@dataclass(frozen=True)
class LabelMap:
    """A recorded map from a task's classes to a tagger's labels.

    tagger, task: the names it is for. classes: task class -> tuple of tagger labels (non-empty; the class's
    score is their largest). unmapped: task classes with no counterpart among the tagger's labels. notes:
    why the map is as it is. source: ``irbench`` for a built-in map, else the file it was read from.
    """

    tagger: str
    task: str
    classes: Mapping[str, tuple[str, ...]]
    unmapped: tuple[str, ...] = ()
    notes: str = ""
    source: str = "irbench"

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", MappingProxyType({str(k): tuple(v) for k, v in self.classes.items()}))
        object.__setattr__(self, "unmapped", tuple(self.unmapped))

    def problems(self, tagger_labels: Sequence[str], task_classes: Sequence[str]) -> list[str]:
        """What is wrong with this map for a tagger with ``tagger_labels`` and a task with ``task_classes``: a
        label the tagger lacks, a class the task lacks, a class mapped to nothing, mapped and unmapped, or
        neither, a label repeated in one class. Empty when the map is sound."""
        known, classes = set(tagger_labels), list(task_classes)
        problems = [f"class {c!r} is not a class of task {self.task!r}" for c in [*self.classes, *self.unmapped]
                    if c not in classes]
        for name, labels in self.classes.items():
            if not labels:
                problems.append(f"class {name!r} maps to no label (list it in unmapped instead)")
            problems += [f"class {name!r}: label {label!r} is not a label of tagger {self.tagger!r}"
                         for label in labels if label not in known]
            if len(set(labels)) != len(labels):
                problems.append(f"class {name!r} repeats a label")
        problems += [f"class {c!r} is both mapped and unmapped" for c in self.unmapped if c in self.classes]
        problems += [f"class {c!r} of task {self.task!r} is neither mapped nor listed unmapped" for c in classes
                     if c not in self.classes and c not in self.unmapped]
        return problems

    def check(self, tagger_labels: Sequence[str], task_classes: Sequence[str]) -> LabelMap:
        """This map, after :meth:`problems`; raises ``ConfigError`` naming its source and every problem."""
        problems = self.problems(tagger_labels, task_classes)
        if problems:
            raise ConfigError(f"label map {self.source} ({self.tagger} x {self.task}): " + "; ".join(problems))
        return self

    def apply(self, scores: np.ndarray, tagger_labels: Sequence[str], task_classes: Sequence[str],
              fill: float = float("nan")) -> np.ndarray:
        """Class scores from tagger scores: ``scores`` ``(batch, len(tagger_labels))`` -> ``(batch,
        len(task_classes))`` float32, each mapped class the largest score of its labels, each unmapped class
        ``fill`` (NaN unless told: an unmapped class has no zero-shot score). Raises ``ConfigError`` as
        :meth:`check`, or for scores of another width."""
        self.check(tagger_labels, task_classes)
        scores = np.asarray(scores, dtype=np.float32)
        if scores.ndim != 2 or scores.shape[1] != len(tagger_labels):
            raise ConfigError(f"label map {self.source}: scores have shape {scores.shape}, expected "
                              f"(batch, {len(tagger_labels)})")
        column = {label: k for k, label in enumerate(tagger_labels)}
        out = np.full((scores.shape[0], len(task_classes)), fill, dtype=np.float32)
        for k, name in enumerate(task_classes):
            if name in self.classes:
                out[:, k] = scores[:, [column[label] for label in self.classes[name]]].max(axis=1)
        return out

    def describe(self) -> dict[str, Any]:
        """The map as JSON-plain data (what a run record stores): tagger, task, classes (class -> list of
        labels), unmapped, notes, and source: ``irbench`` or the file's name (its folder is no identity:
        the map's content is recorded in full)."""
        source = self.source if self.source == "irbench" else Path(self.source).name
        return {"tagger": self.tagger, "task": self.task,
                "classes": {name: list(labels) for name, labels in self.classes.items()},
                "unmapped": list(self.unmapped), "notes": self.notes, "source": source}

    @classmethod
    def from_data(cls, data: object, source: str) -> LabelMap:
        """A map from parsed JSON/TOML ``data``: a table with ``tagger`` and ``task`` (strings), ``classes``
        (class -> list of labels), optional ``unmapped`` (list) and ``notes``. Raises ``ConfigError`` naming
        ``source`` and the first malformed field."""
        def bad(problem: str) -> ConfigError:
            return ConfigError(f"label map {source}: {problem}")

        if not isinstance(data, dict):
            raise bad(f"must be a table with tagger, task and classes, got {type(data).__name__}")
        unknown = sorted(set(data) - {"tagger", "task", "classes", "unmapped", "notes"})
        if unknown:
            raise bad(f"unknown field(s) {', '.join(map(repr, unknown))}")
        for key in ("tagger", "task"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise bad(f"{key!r} must be a non-empty string, got {data.get(key)!r}")
        classes, unmapped, notes = data.get("classes"), data.get("unmapped", []), data.get("notes", "")
        if not isinstance(classes, dict):
            raise bad(f"'classes' must be a table of class -> list of labels, got {classes!r}")
        for name, labels in classes.items():
            if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
                raise bad(f"class {name!r} must map to a list of label strings, got {labels!r}")
        if not isinstance(unmapped, list) or not all(isinstance(name, str) for name in unmapped):
            raise bad(f"'unmapped' must be a list of class names, got {unmapped!r}")
        if not isinstance(notes, str):
            raise bad(f"'notes' must be a string, got {notes!r}")
        return cls(data["tagger"], data["task"], classes, tuple(unmapped), notes, source)

    @classmethod
    def from_file(cls, path: Path | str) -> LabelMap:
        """Read a map from a ``.json`` or ``.toml`` file (fields as :meth:`from_data`; TOML: ``tagger``,
        ``task``, ``unmapped``, ``notes`` at the top, then a ``[classes]`` table). Checks its structure, not
        its labels (:func:`label_map` and :meth:`check` do). Raises ``ConfigError`` naming the file when it
        is missing, not JSON/TOML, or malformed."""
        path = Path(path)
        if path.suffix.lower() not in (".json", ".toml"):
            raise ConfigError(f"label map {path}: use a .json or .toml file, not {path.suffix or 'no suffix'!r}")
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot read label map {path}: {error}") from error
        if path.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as error:
                raise ConfigError(f"label map {path} is not valid JSON: {error}") from error
        else:
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                import tomli as tomllib
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as error:
                raise ConfigError(f"label map {path} is not valid TOML: {error}") from error
        return cls.from_data(data, str(path))


def _builtin(task: str, classes: dict[str, tuple[str, ...]], unmapped: tuple[str, ...] = (),
             notes: str = "") -> LabelMap:
    return LabelMap("cnn14-audioset", task, classes, unmapped, notes)


_MEDLEY = {"clarinet": ("Clarinet",), "distorted electric guitar": ("Electric guitar",),
           "female singer": ("Female singing", "Singing"), "flute": ("Flute",), "piano": ("Piano",),
           "tenor saxophone": ("Saxophone",), "trumpet": ("Trumpet",), "violin": ("Violin, fiddle",)}
_MEDLEY_NOTES = ("AudioSet names no distortion or saxophone register: 'distorted electric guitar' is "
                 "'Electric guitar', 'tenor saxophone' 'Saxophone'; 'female singer' takes 'Singing' too, "
                 "the only vocal class of the task.")

BUILTIN: dict[tuple[str, str], LabelMap] = {(m.tagger, m.task): m for m in (
    _builtin("irmas", {
        "cel": ("Cello",), "cla": ("Clarinet",), "flu": ("Flute",), "gac": ("Acoustic guitar",),
        "gel": ("Electric guitar",), "org": ORGAN, "pia": PIANO, "sax": ("Saxophone",), "tru": ("Trumpet",),
        "vio": ("Violin, fiddle",), "voi": SINGING,
    }, notes="IRMAS 'voi' is singing voice: 'Singing' and its solo and choir children in AudioSet's ontology."),
    _builtin("openmic", {
        "accordion": ("Accordion",), "banjo": ("Banjo",), "bass": ("Bass guitar", "Double bass"),
        "cello": ("Cello",), "clarinet": ("Clarinet",), "cymbals": ("Cymbal", "Hi-hat"),
        "drums": ("Drum kit", "Drum", "Snare drum", "Bass drum"), "flute": ("Flute",), "guitar": GUITAR,
        "mallet_percussion": ("Mallet percussion", "Marimba, xylophone", "Glockenspiel", "Vibraphone",
                              "Steelpan"),
        "mandolin": ("Mandolin",), "organ": ORGAN, "piano": PIANO, "saxophone": ("Saxophone",),
        "synthesizer": ("Synthesizer",), "trombone": ("Trombone",), "trumpet": ("Trumpet",),
        "ukulele": ("Ukulele",), "violin": ("Violin, fiddle",), "voice": SINGING,
    }, notes="OpenMIC's 'bass' is electric or upright bass; 'guitar' any guitar."),
    _builtin("medley-solos", _MEDLEY, notes=_MEDLEY_NOTES),
    _builtin("medley-solos-binary", {"piano": ("Piano",), "violin": ("Violin, fiddle",)}),
    _builtin("musicnet-instruments", {
        "piano": ("Piano",), "harpsichord": ("Harpsichord",), "violin": ("Violin, fiddle",),
        "cello": ("Cello",), "contrabass": ("Double bass",), "horn": ("French horn",),
        "clarinet": ("Clarinet",), "flute": ("Flute",),
    }, unmapped=("viola", "oboe", "bassoon"), notes="AudioSet has no viola, oboe or bassoon class."),
    _builtin("musicnet", {
        "keyboard": ("Piano", "Electric piano", "Harpsichord"), "guitar": GUITAR,
        "strings": ("Bowed string instrument", "String section", "Violin, fiddle", "Cello", "Double bass",
                    "Pizzicato", "Harp"),
        "percussion": ("Percussion", "Mallet percussion", "Marimba, xylophone", "Glockenspiel", "Vibraphone",
                       "Tubular bells", "Timpani", "Steelpan", "Wood block"),
        "organ": ORGAN, "bass": ("Bass guitar", "Double bass"),
        "brass": ("Brass instrument", "Trumpet", "Trombone", "French horn"),
        "woodwind": ("Wind instrument, woodwind instrument", "Saxophone", "Clarinet", "Accordion", "Harmonica"),
        "flute": ("Flute",), "synth_lead_pad": ("Synthesizer",), "synth": ("Synthesizer",),
        "world": ("Sitar", "Banjo", "Zither", "Bagpipes"),
    }, notes="General MIDI groups (instrument-classifier's): each group's instruments that AudioSet names, "
             "with the group's own AudioSet class where it has one ('Brass instrument', 'Percussion'); "
             "'keyboard' is GM programs 1-8 (pianos, harpsichord), so not 'Keyboard (musical)', which holds "
             "organs and synthesizers too."),
)}
"""The built-in maps, by (tagger, task)."""


def tagger_labels(tagger: str) -> tuple[str, ...]:
    """The label set the registered tagger ``tagger`` declares on its class (loading its plugin, not building
    it). Raises ``UnknownNameError`` for an unknown tagger and ``ConfigError`` when its class declares no
    ``labels`` (it sets them when built: pass them to :meth:`LabelMap.check` instead)."""
    from irbench.taggers import TAGGERS

    labels = getattr(TAGGERS.get(tagger), "labels", None)
    if not isinstance(labels, (tuple, list)):
        raise ConfigError(f"tagger {tagger!r} declares no labels on its class: cannot check a label map for it")
    return tuple(labels)


def _shipped(tagger: str, task: str) -> LabelMap | None:
    """The map a registered tagger ships for ``task`` (its class's ``label_map_files``), or ``None``."""
    import inspect

    from irbench.taggers import TAGGERS

    entry = TAGGERS.get(tagger)
    relative = dict(getattr(entry, "label_map_files", {}) or {}).get(task)
    return None if relative is None else LabelMap.from_file(Path(inspect.getfile(entry)).parent / relative)


def label_map(tagger: str, task: str, file: Path | str | None = None,
              labels: Sequence[str] | None = None) -> LabelMap:
    """The validated map of ``tagger``'s labels to ``task``'s classes (``metadata.labels``).

    Found in this order: ``file`` (:meth:`LabelMap.from_file`), the built-in maps (:data:`BUILTIN`), the
    tagger's own ``label_map_files``. Checked (:meth:`LabelMap.check`) against ``labels`` (default: the
    tagger class's ``labels``) and the task's classes.

    Raises
    ------
    UnknownNameError: an unknown tagger or task, or no map for the pair (naming the tasks that have one).
    ConfigError: the map file is unreadable or malformed, is for another tagger or task, or the map does not
        fit the labels or classes (naming every problem).
    """
    from irbench.tasks import TASKS

    classes = TASKS.get(task).metadata.labels
    if file is not None:
        found = LabelMap.from_file(file)
        if (found.tagger, found.task) != (tagger, task):
            raise ConfigError(f"label map {file} is for tagger {found.tagger!r} x task {found.task!r}, not "
                              f"{tagger!r} x {task!r}")
    else:
        found = BUILTIN.get((tagger, task)) or _shipped(tagger, task)
    if found is None:
        from irbench.taggers import TAGGERS

        have = sorted({t for g, t in BUILTIN if g == tagger} | set(getattr(TAGGERS.get(tagger), "label_map_files",
                                                                            {}) or {}))
        raise UnknownNameError(f"no label map for tagger {tagger!r} x task {task!r}; it has maps for "
                               f"{', '.join(have) or 'no task'}. Give one with a JSON or TOML file "
                               "(irbench.taggers.label_maps.LabelMap.from_file)")
    return found.check(tagger_labels(tagger) if labels is None else labels, classes)
