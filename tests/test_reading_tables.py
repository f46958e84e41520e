"""An afternoon at 80 columns (issue 22): every table a command prints fits 80 columns with no cell cut short
(``…``), whatever it lists; ``irbench list`` shows whole first sentences without reStructuredText markup; help
pages label values as a user types them; ``--run`` given a folder names the records in it.

Output captured here is not a terminal, where irbench deliberately leaves prose unwrapped
(:func:`irbench.logs.message_console`): only table lines (those drawn with box characters) are measured."""

from __future__ import annotations

import re

import pytest

from helpers import run_cli
from test_cli_pages import WIDTH, _commands, _help
from test_report_support import write_run

TABLE_LINE = re.compile(r"^[┏┃┡│└┗]")


def _table_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if TABLE_LINE.match(line)]


def _fits(text: str) -> None:
    lines = _table_lines(text)
    assert lines, f"no table in:\n{text}"
    too_long = [line for line in lines if len(line) > WIDTH]
    assert not too_long, "\n".join(too_long)
    assert not [line for line in lines if "…" in line], text  # no cell cut short


def _cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    return run_cli(monkeypatch, capsys, *args)


@pytest.mark.parametrize("what", ["baselines", "tasks", "frontends", "embedders", "taggers"])
def test_every_list_fits_80_columns_in_whole_sentences(monkeypatch, capsys, what):
    code, out, err = _cli(monkeypatch, capsys, "list", what)
    assert code == 0, err
    _fits(out)
    assert "``" not in out and ":func:" not in out


def test_a_docstring_becomes_its_whole_first_sentence_without_markup():
    from irbench.cli.inspect import docstring_line

    doc = """Waveforms ``(batch, samples)`` at ``config.sample_rate`` Hz -> embeddings ``(batch, D, frames)`` on the
    grid of :func:`~irbench.features.frames`, resized by :class:`Resizer`. More detail here.

    Another paragraph."""
    assert docstring_line(doc) == ("Waveforms (batch, samples) at config.sample_rate Hz -> embeddings (batch, D, "
                                   "frames) on the grid of irbench.features.frames, resized by Resizer.")
    assert docstring_line(None) == "-" and docstring_line("  ") == "-"


@pytest.mark.parametrize("name", ["constant", "irmas"])
def test_validate_tables_fit_80_columns(monkeypatch, capsys, name):
    code, out, err = _cli(monkeypatch, capsys, "validate", name)
    assert code == 0, err
    _fits(out)


def test_a_long_finding_wraps_in_its_own_column_not_the_checks_name(monkeypatch, capsys):
    """constant's "no trainable parameters (nothing to train)" once took half the table, wrapping 10 check
    names onto two lines each."""
    code, out, err = _cli(monkeypatch, capsys, "validate", "constant")
    assert code == 0, err
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in out.splitlines() if line.startswith("│")]
    wrapped = [f"{above[0]} {below[0]}" for above, below in zip(cells, cells[1:]) if below[0] and not below[1]]
    assert wrapped and all(len(name) > 36 for name in wrapped), out  # a name of up to 36 characters keeps its line


def test_cache_info_fits_80_columns_and_never_says_zero_megabytes_for_a_part_that_holds_files(
        monkeypatch, capsys, tmp_path):
    folder = tmp_path / "cache" / "features" / "log-mel-0123456789abcdef"
    folder.mkdir(parents=True)
    (folder / "frontend.json").write_text('{"frontend": "log-mel", "config": {"n_mels": 64}}')
    (folder / "00.npy").write_bytes(bytes(100))
    code, out, err = _cli(monkeypatch, capsys, "cache", "info", "--cache-dir", str(tmp_path / "cache"))
    assert code == 0, err
    _fits(out)
    row = next(line for line in out.splitlines() if line.startswith("│ log-mel"))
    assert "<0.1 MB" in row and "0.0 MB" not in out


def test_a_missing_cache_says_what_creates_one(monkeypatch, capsys, tmp_path):
    code, out, err = _cli(monkeypatch, capsys, "cache", "info", "--cache-dir", str(tmp_path / "none"))
    assert code == 0, err
    assert "no irbench cache at" in out and "`irbench run` creates one" in out and "IRBENCH_CACHE_DIR" in out


@pytest.mark.parametrize("how", ["--dry-run", "--status"])
def test_sweep_plan_and_status_fit_80_columns(monkeypatch, capsys, tmp_path, how):
    results = tmp_path / "a-results-folder-with-a-rather-long-name" / "results"
    write_run(results, "irmas", "vgg", 0)
    code, out, err = _cli(monkeypatch, capsys, "sweep", "-t", "irmas", "-b", "constant,vgg,multistft-panns",
                          "-s", "0-2", "-d", str(tmp_path), "--results-dir", str(results), "--max-epochs", "2",
                          how)
    assert code in (0, 1), err
    _fits(out)


@pytest.mark.parametrize("path", _commands(), ids=lambda path: " ".join(path) or "irbench")
def test_help_labels_values_as_a_user_types_them(monkeypatch, capsys, path):
    """typer's Python type labels (``<list[int]>``, ``<int range>``) read as ``<int>``; arguments are in capitals
    in the usage line, as the help text names them (``{TASK}``, never ``{task}``)."""
    page = _help(monkeypatch, capsys, path)
    options = page.split("╭─ Options", 1)[-1] if "╭─ Options" in page else ""
    assert " range>" not in page and "<list[" not in options and "<Path>" not in options, page
    usage = next(line for line in page.splitlines() if "Usage:" in line)
    assert not re.search(r"[{\[][a-z_]+[}\]]", usage.replace("[OPTIONS]", "").replace("[ARGS]", "")), usage


def test_value_labels():
    from irbench.cli.pages import value_label

    assert [value_label(label) for label in ("<list[int]>", "<int range>", "<list[str]>", "<Path>", "<float>",
                                              "<float range>", "<a|b>")] == \
        ["<int>", "<int>", "<str>", "<path>", "<float>", "<float>", "<a|b>"]


def test_predict_given_a_folder_names_the_records_in_it(monkeypatch, capsys, tmp_path):
    results = tmp_path / "results"
    record = write_run(results, "irmas", "vgg", 0, folder="vgg/default-0123abcd")
    for given in (results, results / "irmas" / "vgg"):
        code, _, err = _cli(monkeypatch, capsys, "predict", "--run", str(given), str(tmp_path / "clip.wav"))
        assert code == 2 and "not a folder" in err and str(record) in " ".join(err.split()), err
    (tmp_path / "empty").mkdir()
    code, _, err = _cli(monkeypatch, capsys, "predict", "--run", str(tmp_path / "empty"), str(tmp_path / "a.wav"))
    assert code == 2 and "no run record in it" in err and "seed-<n>.json" in err, err


def test_sweep_messages_are_one_line_each_in_a_log(monkeypatch, capsys, micro_irmas, feature_cache, tmp_path):
    """Its closing line ("every cell has its record; `irbench report --results-dir ...`") was wrapped at 80
    columns in a file, splitting the command to copy."""
    results = tmp_path / "a-results-folder-with-a-rather-long-name" / "results"
    code, out, err = _cli(monkeypatch, capsys, "sweep", "-t", "irmas", "-b", "constant", "-s", "0",
                          "-d", str(micro_irmas), "--results-dir", str(results), "--cache-dir", str(feature_cache),
                          "--workers", "1", "--quiet")
    assert code == 0, err
    last = err.strip().splitlines()[-1]
    assert last == f"[sweep] every cell has its record; `irbench report --results-dir {results}` renders the " \
                   "leaderboard", err


def test_the_seed_range_is_said_in_words_not_as_a_wide_type_label(monkeypatch, capsys, tmp_path):
    """typer's ``[0<=x<=4294967295]`` beside --seed widened run's type column, squeezing every help text."""
    page = _help(monkeypatch, capsys, ["run"])
    assert "4294967295" not in page and "0 .. 2**32-1" in page
    for seed in ("-1", str(2**32)):
        code, out, err = _cli(monkeypatch, capsys, "run", "-t", "irmas", "-b", "vgg", "-d", str(tmp_path),
                              "--seed", seed)
        assert code == 2 and f"{seed} is not in 0 .. 2**32-1" in " ".join((out + err).split()), out + err
