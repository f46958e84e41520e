"""What the report writes and where: an unwritable ``--out`` is one line and exit 2; stale task pages it
wrote before are removed and nothing else; the LaTeX tables fit a one-column article; published numbers
appear in Markdown and LaTeX as a block of their own; per-seed intervals are labelled (hand-built records)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from helpers import run_cli
from irbench.errors import OutputError
from irbench.report import build_report
from irbench.report.outputs import MANIFEST
from test_report_support import config, write_run
from test_report_tracks import probe_config, zero_shot_config


def _cli_report(monkeypatch, capsys, results, out, *more):
    return run_cli(monkeypatch, capsys, "report", "--results-dir", str(results), "--out", str(out), *more)


@pytest.mark.parametrize("where", ["file", "under-file", "read-only"])
def test_an_unwritable_out_is_one_line_naming_it(monkeypatch, capsys, tmp_path, where):
    write_run(tmp_path / "r")
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    out = {"file": blocker, "under-file": blocker / "report", "read-only": tmp_path / "ro"}[where]
    if where == "read-only":
        out.mkdir()
        out.chmod(0o555)
        if os.geteuid() == 0:  # root ignores the mode: fail the write check as a read-only mount would
            def refuse(*args, **kwargs):
                raise PermissionError(13, "Permission denied")

            monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    try:
        code, out_text, err = _cli_report(monkeypatch, capsys, tmp_path / "r", out)
    finally:
        if where == "read-only":
            out.chmod(0o755)
    assert code == 2 and "Traceback" not in err + out_text
    (line,) = [line for line in err.splitlines() if line.strip()]
    assert line.startswith("error: cannot write the report to") and str(out) in " ".join(err.split())
    assert blocker.read_text() == "not a folder"


def test_a_page_that_cannot_be_replaced_is_an_output_error(tmp_path):
    write_run(tmp_path / "r")
    (tmp_path / "out/irmas.html").mkdir(parents=True)  # a folder where the page goes
    with pytest.raises(OutputError, match="cannot write the report to .*irmas"):
        build_report(tmp_path / "r", tmp_path / "out", warn=pytest.fail)


def test_stale_pages_are_removed_and_nothing_else(tmp_path):
    results, out = tmp_path / "r", tmp_path / "out"
    write_run(results)
    old = write_run(results, task="old-task")
    build_report(results, out, warn=pytest.fail)
    build_report(results, out, "markdown", warn=pytest.fail)
    assert (out / "old-task.html").is_file()
    (out / "notes.txt").write_text("mine")
    (out / "mine.html").write_text("<html>my own page</html>")
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["files"]["html"] == ["index.html", "irmas.html", "old-task.html"]
    manifest["files"]["html"] += ["mine.html", "../outside.html", "notes.txt"]  # a forged manifest
    (out / MANIFEST).write_text(json.dumps(manifest))
    (tmp_path / "outside.html").write_text('<meta name="generator" content="irbench">')
    shutil.rmtree(old.parent.parent)  # the old task's records are gone
    build_report(results, out, warn=pytest.fail)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "index.html", "irmas.html", "leaderboard.md",
                                                     "mine.html", "notes.txt"]
    assert (tmp_path / "outside.html").exists() and "old-task" not in (out / "index.html").read_text()
    assert json.loads((out / MANIFEST).read_text())["files"] == {"html": ["index.html", "irmas.html"],
                                                                   "markdown": ["leaderboard.md"]}


def test_published_numbers_are_a_block_of_their_own_in_markdown_and_latex(tmp_path):
    write_run(tmp_path / "r", stand_in=False)
    markdown = build_report(tmp_path / "r", tmp_path / "md", "markdown", warn=pytest.fail).read_text()
    table, published = markdown.split("#### Published numbers", 1)
    assert "Han, Kim" not in table and "| CNN (Han, Kim &amp; Lee 2017) | micro-F1 / macro-F1 | 0.602 / 0.503 |" in published
    assert "never ranked with the rows above" in published and "| vgg: " in published  # the same quantity, beside
    latex = build_report(tmp_path / "r", tmp_path / "tex", "latex", warn=pytest.fail).read_text()
    floats = latex.split(r"\begin{table}")[1:]
    assert len(floats) == 2 and "Han, Kim" not in floats[0] and r"Han, Kim \& Lee 2017" in floats[1]
    assert r"\label{tab:irbench-irmas-published}" in floats[1] and "never ranked with its runs" in floats[1]


def test_each_per_seed_interval_is_labelled_with_its_seed(tmp_path):
    for seed in (0, 1, 2):
        write_run(tmp_path / "r", seed=seed)
    build_report(tmp_path / "r", tmp_path / "out", warn=pytest.fail)
    html = (tmp_path / "out/irmas.html").read_text()
    cell = re.search(r'<td class="ci">(.*?)</td>', html).group(1)
    assert re.findall(r"seed (\d): \[\d\.\d{3}, \d\.\d{3}\]<br>", cell) == ["0", "1", "2"]
    assert "95% CI over 12 tracks" in cell


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no pdflatex (Debian: apt-get install "
                                                             "texlive-latex-base texlive-latex-recommended)")
def test_latex_tables_fit_a_one_column_article(tmp_path):
    """Compiled in ``article`` at 10 pt (``\\linewidth`` 345 pt): no overfull box anywhere, and every tabular,
    boxed alone, measures at most ``\\linewidth`` (before the layout change the IRMAS table was 486 pt)."""
    results = tmp_path / "r"
    write_run(results, quality=0.8, seed=0, stand_in=False)
    write_run(results, quality=0.8, seed=1, stand_in=False)
    write_run(results, folder="vgg-e5", cfg=config(max_epochs=5, learning_rate=0.0003), quality=0.6, stand_in=False)
    write_run(results, baseline="constant", quality=0.0, cfg=config("constant"), stand_in=False)
    write_run(results, baseline="probe:hear:hearbaseline.wav2vec2_large", folder="p", quality=0.7, stand_in=False,
              cfg=probe_config("hear:hearbaseline.wav2vec2_large"))
    write_run(results, baseline="probe:hear:my_module", folder="p2", seed=1, quality=0.6, stand_in=False,
              cfg=probe_config())
    write_run(results, baseline="zero-shot:cnn14-audioset", folder="z", quality=0.4, stand_in=False,
              cfg=zero_shot_config(unmapped=["vio", "org", "sax", "tru"]))
    tex = build_report(results, tmp_path / "tex", "latex", warn=pytest.fail).read_text()
    tabulars = re.findall(r"(\\begin\{tabular\}\{@\{\}p.*?\n\\end\{tabular\})", tex, re.S)
    assert len(tabulars) == 4  # supervised, probe-v1, zero-shot, published
    measure = "".join(r"\setbox0\hbox{" + t + "}\\typeout{IRBENCH-WIDTH \\the\\wd0}\n" for t in tabulars)
    document = tmp_path / "paper.tex"
    document.write_text("\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n" + tex +
                        "\\clearpage\\small\\setlength{\\tabcolsep}{4pt}\n" + measure +
                        "\\typeout{IRBENCH-LINEWIDTH \\the\\linewidth}\n\\end{document}\n")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", document.name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    log = (tmp_path / "paper.log").read_text(errors="replace")
    assert done.returncode == 0, done.stdout[-2000:]
    assert "Overfull \\hbox" not in log, re.findall(r"Overfull \\hbox.*", log)
    widths = [float(w) for w in re.findall(r"IRBENCH-WIDTH ([\d.]+)pt", log)]
    (line_width,) = [float(w) for w in re.findall(r"IRBENCH-LINEWIDTH ([\d.]+)pt", log)]
    assert len(widths) == 4 and max(widths) <= line_width, (widths, line_width)
