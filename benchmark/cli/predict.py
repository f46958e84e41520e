"""``irbench predict``: which instruments play in a user's own audio files, by a finished run's protocol.

Every number is labelled for what it is: ``probability`` is S1, the mean window probability; a run that
decides on another aggregation (IRMAS: S2, the sum over windows divided by its maximum) shows that score
under its own name, never as a probability; ``present`` is the run's decision rule applied to its decision
score, and a file under the silence gate holds "no sound" and no instrument. JSON (at its top) and CSV (on
every row) carry the task, protocol version, baseline, seed, stand-in flag, aggregation and threshold; both
have a present value per instrument.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

import numpy as np
import typer
from rich.markup import escape

from irbench.logs import message_console
from rich.table import Table


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"


def _level(level: float) -> float | None:
    """A level for JSON (``None`` for digital silence, which JSON cannot write as -inf)."""
    return None if math.isinf(level) else round(level, 2)


def predict(
    audio: list[Path] = typer.Argument(..., help="Audio files (any format soundfile or librosa reads)."),
    run: Path = typer.Option(..., "--run", "-r", help="A run record: the seed-<n>.json path that `irbench run` "
                             "printed, in a folder such as results/irmas/vgg/<configuration>/."),
    fmt: str = typer.Option("table", "--format", "-f", help="table (default), json or csv."),
    top: int = typer.Option(0, "--top", min=0, help="Show only the N most likely instruments (table; 0 = all)."),
    windows: bool = typer.Option(False, "--windows", "-w", help="Also show every window, and every segment for "
                                 "a segmented task (table); json and csv always hold them."),
) -> None:
    """Which instruments play in AUDIO, by a finished run's model and decision rule.

    Per instrument: its probability (the mean window probability, S1), the run's decision score when it
    decides on another aggregation (S2 for IRMAS, not a probability), whether it is present under the run's
    decision rule (threshold chosen on validation), and where in the file it is most present. Windows are
    placed as the task's evaluation places them (IRMAS: non-overlapping; a trailing remainder shorter than
    a window is not scored); MusicNet runs score each 3-s segment as their test clips were scored. A file
    whose loudest 400-ms block is under -50 dBFS holds "no sound". Memory stays bounded for long files."""
    from irbench.data.audio import check_header_rate
    from irbench.errors import ConfigError
    from irbench.predict import predict_file

    if fmt not in ("table", "json", "csv"):
        raise ConfigError(f"--format takes table, json or csv, not {fmt!r}")
    for path in audio:  # an implausible header is refused before the model is loaded (NaN samples: as read)
        if path.is_file():
            check_header_rate(path)
    if run.is_dir():
        raise _folder_given(run)
    loaded = _load(run)
    results = [predict_file(loaded, path) for path in audio]
    if fmt == "json":
        _json(loaded, run, results)
    elif fmt == "csv":
        _csv(loaded, run, results)
    else:
        _tables(loaded, run, results, top, windows)


def _folder_given(folder: Path):
    """The error for a ``--run`` that is a folder: the run records below it (the first three, with a bounded
    walk: :func:`irbench.cli.guidance.records_below`), or what to pass instead."""
    from irbench.cli.guidance import records_below
    from irbench.errors import ConfigError

    found = records_below(folder, 4)
    if not found:
        return ConfigError(f"--run {folder} is a folder with no run record in it; pass a record's seed-<n>.json "
                           "(the path `irbench run` printed)")
    shown = ", ".join(str(path) for path in found[:3]) + (" and more" if len(found) > 3 else "")
    return ConfigError(f"--run takes one run record, not a folder; {folder} holds {shown}")


def _load(run: Path):
    """:func:`irbench.predict.load_run`, with what a hand-edited or damaged record can hold said in one line.

    Raises ``IrbenchError``: the record names no checkpoint (``checkpoint_file`` null), or its
    ``config.training`` does not validate with its baseline's training settings (names the record, the
    baseline and the first bad setting); what ``load_run`` raises otherwise."""
    from pydantic import ValidationError

    from irbench.errors import ConfigError, IrbenchError
    from irbench.predict import load_run
    from irbench.store.records import read_record

    record = read_record(run)  # a plain file name or null (validated); null cannot be predicted from
    if record.checkpoint_file is None:
        raise IrbenchError(f"{run}: the record names no checkpoint (checkpoint_file is null), so its model "
                           f"cannot be rebuilt; re-run `irbench run --task {record.task} --baseline "
                           f"{record.baseline} --overwrite`")
    try:
        return load_run(run)
    except ValidationError as error:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ())) or "?"
        raise ConfigError(f"{run}: config.training does not fit baseline {record.baseline!r}: {where}: "
                          f"{first.get('msg', str(error))} ({error.error_count()} problem(s))") from error


def _run_fields(loaded, record_path: Path) -> dict:
    from irbench.evaluation.aggregation import describe
    from irbench.streaming import SILENCE_GATE_DBFS

    record = loaded.record
    rule = record.threshold
    return {
        "record": str(record_path), "task": record.task, "protocol_version": record.task_version,
        "baseline": record.baseline, "seed": record.seed, "stand_in": record.stand_in,
        "decision": {"aggregation": rule.aggregation, "threshold": rule.value, "chosen_on": rule.chosen_on,
                     "rule": rule.describe(), "decision_score": describe(rule.aggregation)},
        "probability": describe("s1"), "window_layout": loaded.task.metadata.window_layout,
        "silence_gate_dbfs": SILENCE_GATE_DBFS,
    }


def _json(loaded, record_path: Path, results) -> None:
    labels, names = loaded.labels, dict(zip(loaded.labels, loaded.label_names))

    def by_label(values):
        return {label: float(v) for label, v in zip(labels, values)}

    files = [{
        "file": str(r.path), "seconds": r.seconds, "level_dbfs": _level(r.level_dbfs), "sound": r.sound,
        "window_seconds": r.window_seconds, "scored_seconds": r.scored_seconds, "padded": r.padded,
        "segmented": r.segmented,
        "instruments": [{"label": label, "name": names[label], "probability": float(p),
                         "decision_score": float(s), "present": bool(d)}
                        for label, p, s, d in zip(labels, r.probability, r.score, r.decision)],
        "present": [label for label, d in zip(labels, r.decision) if d],
        "clips": [{"start": c.start, "end": c.end, "windows": c.windows, "probability": by_label(c.probability),
                   "decision_score": by_label(c.score),
                   "present": [label for label, d in zip(labels, c.decision) if d]} for c in r.clips],
        "windows": [{"start": s, "end": e, "probability": by_label(p)} for s, e, p in r.windows],
    } for r in results]
    json.dump({**_run_fields(loaded, record_path), "files": files}, sys.stdout, indent=2)
    sys.stdout.write("\n")


CSV_COLUMNS = ("task", "protocol_version", "baseline", "seed", "stand_in", "aggregation", "threshold", "file",
               "level_dbfs", "sound", "scope", "start", "end", "instrument", "probability", "decision_score",
               "present")


def _csv(loaded, record_path: Path, results) -> None:
    """One row per (file or segment or window, instrument); ``scope`` says which. Window rows have no
    decision (the protocol decides on clips): their ``decision_score`` and ``present`` are empty."""
    record, rule = loaded.record, loaded.record.threshold
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    run_cells = [record.task, record.task_version, record.baseline, record.seed, str(record.stand_in).lower(),
                 rule.aggregation, "" if rule.value is None else rule.value]
    for r in results:
        cells = [*run_cells, str(r.path), f"{r.level_dbfs:.2f}", str(r.sound).lower()]
        rows = [("file", 0.0, r.seconds, r.probability, r.score, r.decision)]
        if r.segmented:
            rows += [("segment", c.start, c.end, c.probability, c.score, c.decision) for c in r.clips]
        rows += [("window", s, e, p, None, None) for s, e, p in r.windows]
        for scope, start, end, probability, score, decision in rows:
            for i, label in enumerate(loaded.labels):
                writer.writerow([*cells, scope, f"{start:.3f}", f"{end:.3f}", label, f"{probability[i]:.6f}",
                                 "" if score is None else f"{score[i]:.6f}",
                                 "" if decision is None else str(bool(decision[i])).lower()])


def _tables(loaded, record_path: Path, results, top: int, windows: bool) -> None:
    from irbench.evaluation.aggregation import describe
    from irbench.streaming import SILENCE_GATE_DBFS

    console = message_console(stderr=False)
    record, rule = loaded.record, loaded.record.threshold
    labels, names = loaded.labels, dict(zip(loaded.labels, loaded.label_names))
    aggregation, layout = rule.aggregation, loaded.task.metadata.window_layout
    own_score = aggregation != "s1"  # S1 is the probability column itself
    run_line = f"{record.task} protocol {record.task_version}, {record.baseline} seed {record.seed}" + (
        ", offline stand-in (not real data)" if record.stand_in else "")
    if loaded.task.metadata.version != record.task_version:
        run_line += f"; windows placed by this irbench's {record.task} {loaded.task.metadata.version}"
    for r in results:
        level = "-inf" if math.isinf(r.level_dbfs) else f"{r.level_dbfs:.1f}"
        console.print(f"[bold]{escape(str(r.path))}[/bold]", highlight=False)
        console.print(escape(f"{run_line}\n{r.seconds:.1f} s, loudest 400-ms block {level} dBFS"), highlight=False)
        if not r.sound:
            console.print(f"no sound: the file's loudest 400-ms block is under the {SILENCE_GATE_DBFS:g} dBFS "
                          "gate, so no instrument is reported\n", highlight=False)
            continue
        placed = f"{len(r.windows)} window(s) of {r.window_seconds:.2f} s, {layout} layout"
        if r.segmented:
            placed += (f", in {len(r.clips)} segment(s) of {r.clips[0].end - r.clips[0].start:g} s scored as "
                       "the task's test clips; a row is the mean over segments")
        elif r.seconds - r.scored_seconds > 0.01:
            placed += f"; the last {r.seconds - r.scored_seconds:.2f} s is not scored"
        console.print(escape(placed), highlight=False)
        table = Table()
        columns = ["instrument", "probability", *([f"{aggregation} score"] if own_score else []),
                   "present in" if r.segmented else "present", "most present at"]
        for column in columns:
            table.add_column(column, justify="left" if column == "instrument" else "right")
        for index in np.argsort(-r.score, kind="stable")[: top or len(labels)]:
            start, end = r.most_present(index)
            if r.segmented:
                present = f"{sum(bool(c.decision[index]) for c in r.clips)}/{len(r.clips)}"
            else:
                present = "yes" if r.decision[index] else ""
            table.add_row(escape(names[labels[index]]), f"{r.probability[index]:.3f}",
                          *([f"{r.score[index]:.3f}"] if own_score else []), present,
                          f"{_clock(start)}-{_clock(end)}")
        console.print(table)
        notes = [f"probability: {describe('s1')}" + (", averaged over the segments." if r.segmented else ".")]
        if own_score:
            notes.append(f"{aggregation} score: {describe(aggregation)}.")
        what = "present in: the segments where" if r.segmented else "present:"
        scored = f"{aggregation} score" if own_score else "probability"
        notes.append(f"{what} {rule.describe()}." if rule.value is None else
                     f"{what} {scored} >= {rule.value:g} (threshold chosen on {rule.chosen_on}).")
        if r.padded:
            notes.append(f"The file is shorter than the model's {r.window_seconds:.2f}-s window; it was padded "
                         "with silence.")
        console.print(escape(" ".join(notes)), highlight=False)
        if windows:
            _detail_tables(console, r, labels, names)
        console.print()


def _detail_tables(console, r, labels, names) -> None:
    if r.segmented:
        per_segment = Table(title="per segment: instruments present", title_justify="left")
        per_segment.add_column("segment", justify="right")
        per_segment.add_column("present")
        for c in r.clips:
            present = ", ".join(escape(names[labels[i]]) for i in np.flatnonzero(c.decision))
            per_segment.add_row(f"{_clock(c.start)}-{_clock(c.end)}", present or "-")
        console.print(per_segment)
    per_window = Table(title="per window: top 3 window probabilities", title_justify="left")
    per_window.add_column("window", justify="right")
    per_window.add_column("instruments")
    for start, end, p in r.windows:
        best = np.argsort(-p, kind="stable")[:3]
        per_window.add_row(f"{_clock(start)}-{_clock(end)}",
                           ", ".join(f"{escape(names[labels[i]])} {p[i]:.2f}" for i in best))
    console.print(per_window)
