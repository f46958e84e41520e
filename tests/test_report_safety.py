"""Nothing a record says can attack the report's reader, and records from elsewhere cost a warning, not
the report: unsafe names, formula injection, mathtext, unknown schema versions, missing or NaN scores,
unknown keys (the one record reader refuses them, so the report skips that record); and rendering leaves
matplotlib's global state alone."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys

import pytest

from irbench.errors import DataNotFoundError, DatasetLayoutError
from irbench.report import ReportWarning, build_report, plots
from irbench.report.safety import csv_cell, inside, is_safe_name, plot_text
from test_report_support import config, edit_json, write_run


def _report(results, out, fmt="html"):
    warnings: list[str] = []
    path = build_report(results, out, fmt, warn=warnings.append)
    return path, warnings


@pytest.mark.parametrize("field, name", [
    ("task", "javascript:alert(document.domain)"), ("task", "../../escaped"), ("baseline", "$x^{$"),
    ("baseline", "=HYPERLINK(1)"), ("task", "IRMAS"), ("baseline", "<script>alert(1)</script>"),
])
def test_unsafe_names_skip_their_record_with_a_warning(tmp_path, field, name):
    write_run(tmp_path / "r")
    bad = write_run(tmp_path / "r", baseline="mlp", cfg=config("mlp"))
    edit_json(bad, **{field: name})
    index, warnings = _report(tmp_path / "r", tmp_path / "out")
    (warning,) = warnings
    assert str(bad) in warning and f"{field} name" in warning and "skipped" in warning
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".irbench-report.json", "index.html", "irmas.html"]
    assert not (tmp_path / "escaped.html").exists()
    text = index.read_text() + (tmp_path / "out/irmas.html").read_text()
    assert "javascript:" not in text and "<script>alert" not in text


def test_names_and_paths():
    assert is_safe_name("medley-solos") and is_safe_name("cnn14.v2_b")
    for name in ("", "../x", "a/b", "javascript:x", "-rf", ".hidden", "Vgg", "a b", None, 3):
        assert not is_safe_name(name)
    with pytest.raises(ValueError):
        inside(".", "../escaped", ".html")


def test_csv_cells_from_records_are_neutralised(tmp_path):
    cfg = config(max_epochs=5, optimizer='=HYPERLINK("http://example.invalid","x")')  # reaches the label
    write_run(tmp_path, folder="a", cfg=cfg, task_version="@SUM(1+1)")
    write_run(tmp_path, folder="b", cfg=config(), task_version="@SUM(1+1)")
    path, _ = _report(tmp_path, tmp_path, "csv")
    rows = list(csv.reader(io.StringIO(path.read_text())))[1:]
    assert rows and all(row[1] == "'@SUM(1+1)" for row in rows)
    settings = {row[5] for row in rows}  # task, task_version, data, track, baseline, configuration
    assert any(s.startswith("max_epochs=5") and "HYPERLINK" in s for s in settings)  # starts with a letter: kept
    assert all(not cell.startswith(("=", "+", "@", "\t", "\r")) for row in rows for cell in row)
    for text in ("=1+1", "+1", "-1", "@x", "\tx", "\rx"):
        assert csv_cell(text) == "'" + text
    assert csv_cell("vgg") == "vgg"


def test_dollar_signs_never_reach_mathtext(tmp_path):
    cfg = config(optimizer=r"$\frac{1}{$")  # a setting: it reaches the row's label in every plot
    write_run(tmp_path, folder="a", cfg=cfg)
    write_run(tmp_path, folder="b", cfg=config())
    _, warnings = _report(tmp_path, tmp_path / "out")
    assert not warnings and "<svg" in (tmp_path / "out/irmas.html").read_text()
    assert plot_text("a $x^2$ b") == r"a \$x^2\$ b" and plot_text("_hidden") == " _hidden"
    svg = plots.per_class_f1([r"$\frac{$", "_x"], {r"$\alpha$ (lr=$1$)": [0.5, 0.0], "_nolegend_": [None, 0.2]})
    assert svg.startswith("<svg")


def test_names_in_plots_are_escaped_svg_text():
    """Plots write text as SVG text: a row or class name from a record is escaped, never markup."""
    svg = plots.per_class_f1(["<b>cello</b>", "a&b"], {"<script>alert(1)</script>": [0.5, 0.25]})
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg and "a&amp;b" in svg


def test_unknown_schema_version_missing_and_nan_scores_and_unknown_keys(tmp_path):
    good = write_run(tmp_path, seed=0)
    future = write_run(tmp_path, seed=1)
    edit_json(future, schema_version="99")
    missing = write_run(tmp_path, baseline="mlp", cfg=config("mlp"))
    edit_json(missing, main_score="accuracy")
    nan_main = write_run(tmp_path, baseline="cnn14", cfg=config("cnn14"))
    data = json.loads(nan_main.read_text())
    data["metrics"]["micro_f1"] = float("nan")
    nan_main.write_text(json.dumps(data))
    nan_other = write_run(tmp_path, baseline="transformer", cfg=config("transformer"))
    data = json.loads(nan_other.read_text())
    data["metrics"]["lrap"] = float("nan")
    nan_other.write_text(json.dumps(data))
    unknown_key = write_run(tmp_path, baseline="mlp", seed=1, cfg=config("mlp"))
    edit_json(unknown_key, from_the_future={"x": 1})
    listed = write_run(tmp_path, seed=2)
    edit_json(listed, schema_version=["2"])
    ragged = write_run(tmp_path, seed=3)
    edit_json(ragged, extra={"confusion_matrix": {"labels": ["cel", "cla"], "rows_true": [[1], [0, 1]]}})

    index, warnings = _report(tmp_path, tmp_path / "out")
    by_file = {path: [w for w in warnings if w.startswith(str(path))]
               for path in (future, missing, nan_main, nan_other, listed, ragged, unknown_key)}
    assert all(len(w) >= 1 and "\n" not in w[0] for w in by_file.values()), warnings
    assert "schema version '99' is not one this irbench reads" in by_file[future][0]
    assert "schema version ['2'] is not one this irbench reads" in by_file[listed][0]
    assert "confusion_matrix" in by_file[ragged][0]
    assert "main score 'accuracy' is missing" in by_file[missing][0]
    assert re.search(r"not a finite number|is not finite", by_file[nan_main][0])  # the report's or the reader's
    assert any("lrap" in w for w in by_file[nan_other])
    from irbench.store.records import read_record

    try:  # the record reader may refuse any non-finite metric itself; else the report drops the metric
        read_record(nan_other)
        reader_refuses = False
    except DatasetLayoutError:
        reader_refuses = True
    assert ("skipped" in by_file[nan_other][0]) == reader_refuses
    assert "from_the_future" in by_file[unknown_key][0] and "skipped" in by_file[unknown_key][0]
    assert not [w for w in warnings if w.startswith(str(good))]
    html = (tmp_path / "out/irmas.html").read_text()
    assert ("transformer" in html) != reader_refuses and "cnn14" not in html.split("Published numbers")[0]
    assert not re.search(r"\bnan\b", html, re.IGNORECASE)  # nothing ranked or shown as NaN


def test_only_no_usable_record_is_an_error(tmp_path):
    one = write_run(tmp_path / "one")
    edit_json(one, schema_version="99")
    with pytest.raises(DatasetLayoutError, match="schema version"):
        _report(tmp_path / "one", tmp_path / "out")
    for seed in (0, 1):
        edit_json(write_run(tmp_path / "two", seed=seed), task="../x")
    with pytest.raises(DataNotFoundError, match="none of the 2 run records is usable"):
        _report(tmp_path / "two", tmp_path / "out")


def test_default_warnings_are_python_warnings(tmp_path):
    write_run(tmp_path, seed=0)
    edit_json(write_run(tmp_path, seed=1), schema_version="99")
    with pytest.warns(ReportWarning, match="seed-1.json"):
        build_report(tmp_path, tmp_path / "out")


def test_importing_and_rendering_leaves_matplotlib_global_state_alone(tmp_path):
    write_run(tmp_path / "r")
    script = f"""
import copy, sys, matplotlib
matplotlib.use("svg")
before_backend, before = matplotlib.get_backend(), copy.deepcopy(dict(matplotlib.rcParams))
from irbench.report import build_report
from irbench.report import plots
build_report({str(tmp_path / 'r')!r}, {str(tmp_path / 'out')!r})
plots.per_class_f1(["a"], {{"b": [0.0]}})
assert matplotlib.get_backend() == before_backend, matplotlib.get_backend()
changed = [k for k, v in matplotlib.rcParams.items() if before[k] != v]
assert not changed, changed
assert "matplotlib.pyplot" not in sys.modules
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-3000:]
