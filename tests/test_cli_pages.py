"""Pages at 80 columns (issue 22.11): every command's --help fits 80 columns with no ragged paragraph (a
hard-wrapped docstring re-wrapped by rich) and no ``<bool>`` after a flag; ``irbench cache info`` keeps every
column readable; ``irbench run`` writes each result on one line of a log file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from helpers import run_cli

WIDTH = 80


def _commands() -> list[list[str]]:
    """Every command and group of ``irbench`` as its argument path (``[]``, ``["sweep", "run-cell"]``, ...)."""
    from irbench.cli import app

    paths, todo = [], [([], typer.main.get_command(app))]
    while todo:
        path, command = todo.pop()
        paths.append(path)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            todo.append(([*path, name], sub))
    return sorted(paths)


def _first_word(text: str) -> str:
    return text.split()[0] if text.split() else ""


def _ragged_text(lines: list[str], width: int) -> list[str]:
    """Pairs of consecutive lines of one wrapped paragraph (``width`` characters of text each) where the
    second line's first word would have fitted on the first: a line break the wrapper did not make."""
    found = []
    for above, below in zip(lines, lines[1:]):
        a, b = above.strip(), below.strip()
        if not a or not b or a.startswith("[") or b.startswith("[") or b.startswith("-"):
            continue  # typer's own [default: ...] / [required] lines, and list items
        if len(a) + 1 + len(_first_word(b)) <= width:
            found.append(f"{a!r} / {b!r}")
    return found


def ragged(page: str) -> list[str]:
    """Hard line breaks inside paragraphs of a rendered help page: in its description (1 column of margin
    each side) and in the help column of each panel (the column of continuation lines)."""
    problems, prose, panel = [], [], []

    def flush_panel():
        if not panel:
            return
        starts = [len(inner) - len(inner.lstrip()) for inner in panel if inner[:3].strip() == ""]
        if starts:
            # where the help column starts: the indent most continuation lines share (an option's own line,
            # "│    --seed", is indented too, less deeply; as many of those as continuations made a tie)
            deep = [start for start in starts if start > min(starts)] or starts
            column = max(set(deep), key=deep.count)
            cell_width = len(panel[0]) - column - 1
            rows: list[list[str]] = []
            for inner in panel:
                if inner[:column].strip() or not rows:
                    rows.append([])
                rows[-1].append(inner[column:])
            for row in rows:
                problems.extend(_ragged_text(row, cell_width))
        panel.clear()

    for line in page.splitlines():
        if line.startswith("│") and line.endswith("│"):
            panel.append(line[1:-1])
            continue
        flush_panel()
        if line.strip() and not line.startswith(("╭", "╰")) and not line.lstrip().startswith("Usage:"):
            prose.append(line)
        else:
            problems.extend(_ragged_text(prose, WIDTH - 2))
            prose = []
    flush_panel()
    problems.extend(_ragged_text(prose, WIDTH - 2))
    return problems


def _help(monkeypatch, capsys, path: list[str]) -> str:
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    code, out, err = run_cli(monkeypatch, capsys, *path, "--help")
    assert code == 0, err
    return out


@pytest.mark.parametrize("path", _commands(), ids=lambda path: " ".join(path) or "irbench")
def test_every_help_page_fits_80_columns_without_ragged_text_or_bool(monkeypatch, capsys, path):
    page = _help(monkeypatch, capsys, path)
    assert "Usage:" in page
    too_long = [line for line in page.splitlines() if len(line) > WIDTH]
    assert not too_long, too_long
    assert "<bool>" not in page
    assert not ragged(page), "\n".join(ragged(page))


def test_the_ragged_check_catches_typers_own_rendering(monkeypatch):
    """The checks above can fail: a plain typer app with a hard-wrapped docstring and a flag shows both."""
    from typer.testing import CliRunner

    from irbench.cli.pages import read_well

    def command(quiet: bool = typer.Option(False, "--quiet", help="No output.")) -> None:
        """Do one thing.

        A second paragraph, hard-wrapped in the source at a width well under 80 columns, which
        typer keeps, so it comes out ragged once rich wraps it again at the terminal's width.
        """

    monkeypatch.setenv("COLUMNS", str(WIDTH))
    plain = typer.Typer()
    plain.command()(command)
    page = CliRunner().invoke(plain, ["--help"]).output
    assert ragged(page) and "<bool>" in page
    fixed = typer.Typer()
    fixed.command()(command)
    page = CliRunner().invoke(read_well(fixed), ["--help"]).output
    assert not ragged(page) and "<bool>" not in page and "A second paragraph, hard-wrapped" in page


def test_group_lists_show_each_commands_first_sentence(monkeypatch, capsys):
    page = _help(monkeypatch, capsys, [])
    assert "Render the leaderboards from run records" in page
    assert "Stand-in results, and the supervised" not in page  # the rest of report's help stays on its page


def test_cache_info_is_readable_at_80_columns(monkeypatch, capsys, tmp_path):
    cache = tmp_path / "cache"
    folder = cache / "features" / "multi-stft-0123456789abcdef"
    folder.mkdir(parents=True)
    config = {"bands": [[1024, 0.0, 1000.0], [512, 1000.0, 4000.0], [256, 4000.0, 11025.0]], "sample_rate": 22050}
    (folder / "frontend.json").write_text(json.dumps({"frontend": "multi-stft", "config": config}))
    for index in range(3):
        (folder / f"{index:02d}.npy").write_bytes(bytes(1000))
    (folder / "03.npy.partial").write_bytes(bytes(10))
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    code, out, err = run_cli(monkeypatch, capsys, "cache", "info", "--cache-dir", str(cache))
    assert code == 0, err
    lines = out.splitlines()
    assert all(len(line) <= WIDTH for line in lines), lines
    assert "…" not in out  # no cell cut short
    row = next(line for line in lines if line.startswith("│ multi-stft"))
    assert folder.name in row and re.search(r"│\s+3 │", row) and re.search(r"│\s+1 │", row)  # entries, partial
    assert "sample_rate=22050" in out and '[512, 1000.0, 4000.0]' in out
    assert "irbench cache clear" in out  # the partial file is explained


def test_messages_to_a_file_are_never_wrapped(tmp_path):
    """rich wraps at 80 columns when the output is not a terminal; the message console does not."""
    log = tmp_path / "log.txt"
    script = ("from irbench.logs import message_console\n"
              "message_console(stderr=True).print('note: ' + ' '.join(['word'] * 60) + ' END', highlight=False)\n")
    with log.open("w") as handle:
        subprocess.run([sys.executable, "-c", script], stderr=handle, check=True, timeout=60,
                       env={**os.environ, "COLUMNS": str(WIDTH)})
    lines = log.read_text().splitlines()
    assert len(lines) == 1 and lines[0].endswith("END") and len(lines[0]) > WIDTH


def test_run_writes_each_result_on_one_line_of_a_log_file(tiny_irmas, tmp_path):
    irbench = Path(sys.executable).with_name("irbench")
    log = tmp_path / "run.log"
    command = [str(irbench), "run", "-t", "irmas", "-b", "constant", "-d", str(tiny_irmas), "--results-dir",
               str(tmp_path / "results" / "a-long-folder-name-so-the-line-is-long"), "--cache-dir",
               str(tmp_path / "cache"), "--seed", "0", "--seed", "1", "--workers", "1"]
    with log.open("w") as handle:
        done = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, timeout=600,
                              env={**os.environ, "COLUMNS": str(WIDTH)})
    text = log.read_text()
    assert done.returncode == 0, text
    results = [line for line in text.splitlines() if line.startswith("irmas/constant seed")]
    assert len(results) == 2, text
    for seed, line in enumerate(results):
        assert line.endswith(f"seed-{seed}.json") and "micro_f1 = " in line and len(line) > WIDTH, line
    summary = [line for line in text.splitlines() if "mean ± sample std" in line]
    assert len(summary) == 1 and summary[0].endswith("seeds: 0, 1)"), text
