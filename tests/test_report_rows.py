"""The report's rows and tables on hand-built records: one row per configuration, field names and legends,
"no support" with its false positives, bootstrap units, paper tables (LaTeX, Markdown, CSV)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess

import pytest

from irbench.report import build_report
from irbench.report.collect import leaderboards
from irbench.report.loading import load_runs
from test_report_support import config, write_run


def boards_of(results):
    from irbench.store.records import find_records

    return leaderboards(load_runs(find_records(results), warn=pytest.fail))


def test_runs_with_different_settings_are_separate_labelled_rows(tmp_path):
    write_run(tmp_path, folder="vgg-e5", cfg=config(max_epochs=5))
    write_run(tmp_path, folder="vgg-e40", cfg=config(max_epochs=40), quality=0.7)
    write_run(tmp_path, folder="vgg-e40", seed=1, cfg=config(max_epochs=40), quality=0.7)
    write_run(tmp_path, baseline="mlp", cfg=config("mlp"))
    (board,) = boards_of(tmp_path)
    labels = {row.label: len(row.seeds) for row in board.rows}
    assert labels == {"vgg (max_epochs=5)": 1, "vgg": 2, "mlp": 1}  # vgg's default is 40 epochs
    digests = {row.digest for row in board.rows}
    assert len(digests) == 3 and all(re.fullmatch(r"[0-9a-f]{8}", d) for d in digests)

    build_report(tmp_path, tmp_path)
    html = (tmp_path / "irmas.html").read_text()
    assert "(max_epochs=5)" in html and "(max_epochs=40)" not in html
    markdown = build_report(tmp_path, tmp_path, "markdown").read_text()
    assert "| vgg (max\\_epochs=5) | 1 |" in markdown and "| vgg | 2 |" in markdown
    latex = build_report(tmp_path, tmp_path, "latex").read_text()
    assert r"vgg (max\_epochs=5) & 1 &" in latex
    rows = list(csv.DictReader(io.StringIO(build_report(tmp_path, tmp_path, "csv").read_text())))
    assert {r["configuration"] for r in rows if r["baseline"] == "vgg"} == {"max_epochs=5", ""}
    assert {r["configuration"] for r in rows if r["baseline"] == "mlp"} == {""}
    assert len({r["config_digest"] for r in rows}) == 3


def test_seeds_of_one_configuration_pool_whatever_their_device(tmp_path):
    write_run(tmp_path, seed=0, cfg=config(device="cpu"))
    write_run(tmp_path, seed=1, cfg=config(device="cuda"))
    (board,) = boards_of(tmp_path)
    (row,) = board.rows
    assert row.label == "vgg" and row.seeds == [0, 1] and row.metrics["micro_f1"].n == 2
    assert row.devices == ["cpu", "cuda"]


def test_weights_and_learning_rate_differences_name_only_what_differs(tmp_path):
    """Pretrained weights count by SHA-256; other notes (what building the model said) do not split rows."""
    with_weights = config(learning_rate=0.1)
    with_weights["baseline"]["notes"] = {"weights_sha256": "ab" * 32, "weights": "cnn14-weights"}
    chatty = config()
    chatty["baseline"]["notes"] = {"tensors_loaded": 12}
    write_run(tmp_path, folder="a", cfg=with_weights)
    write_run(tmp_path, folder="b", cfg=config())
    write_run(tmp_path, folder="c", seed=1, cfg=chatty)
    (board,) = boards_of(tmp_path)
    assert sorted((row.label, len(row.seeds)) for row in board.rows) == [
        ("vgg", 2), ("vgg (learning_rate=0.1, weights=cnn14-weights)", 1)]


def test_a_plugin_baseline_without_known_defaults_is_labelled_by_what_differs(tmp_path):
    """A baseline not registered here has no defaults to compare with: its rows name the settings in which
    they differ from each other."""
    for folder, rate in (("a", 0.1), ("b", 0.01)):
        cfg = config(learning_rate=rate)
        cfg["baseline"]["name"] = "plugin-net"
        write_run(tmp_path, baseline="plugin-net", folder=folder, cfg=cfg)
    (board,) = boards_of(tmp_path)
    assert sorted(row.label for row in board.rows) == [
        "plugin-net (learning_rate=0.01)", "plugin-net (learning_rate=0.1)"]


def test_page_uses_field_names_definitions_and_the_micro_macro_legend(tmp_path):
    write_run(tmp_path, absent=("org",))
    build_report(tmp_path, tmp_path)
    html = (tmp_path / "irmas.html").read_text()
    assert "<h1>IRMAS (predominant instrument, 11 classes)</h1>" in html
    assert '<th class="main" title="F1 of all decisions pooled over every (clip, class) decision' in html
    assert ">Micro-F1</th>" in html and ">Macro-F1</th>" in html and ">mAP</th>" in html
    assert ">micro_f1<" not in html
    assert "micro: pooled over every (clip, class) decision, so every false positive counts, also for classes " \
           "absent from the test set; macro: mean over every class, where a class absent from the test set counts " \
           "1 when it is never predicted and 0 once it is predicted" in html
    assert "<dt>Micro-F1</dt>" in html  # the legend defines each column
    legend = html.split("Classes with no support in the test set", 1)[1].split("</p>", 1)[0]
    assert "organ (<code>org</code>)" in legend and "cello" not in legend


def test_an_absent_class_shows_no_support_and_its_false_positives(tmp_path):
    path = write_run(tmp_path, absent=("org",), quality=0.2)
    from irbench.store.records import read_record

    false_positives = read_record(path).per_class["org"].false_positives
    assert false_positives > 1
    build_report(tmp_path, tmp_path)
    html = (tmp_path / "irmas.html").read_text()
    assert f"no support · {false_positives} false positives: counts 0 in macro averages</td>" in html
    org_row = html.split("<tr><td>org", 1)[1].split("</tr>", 1)[0]
    assert org_row.count(f"<td>{false_positives}</td>") == 1  # the FP column too
    assert "hatched grey" in html and html.count("<svg") >= 3  # F1, precision-recall, per-class errors


def test_counts_come_from_the_predictions_file_when_the_record_predates_them(tmp_path):
    path = write_run(tmp_path, absent=("org",), quality=0.2)
    from irbench.store.record_parts import ProtocolExtras
    from irbench.store.records import read_record, write_record

    record = read_record(path)
    expected = record.per_class["org"].false_positives
    old = {label: m.model_copy(update={"true_positives": None, "false_positives": None, "false_negatives": None})
           for label, m in record.per_class.items()}
    write_record(record.model_copy(update={"per_class": old, "extra": ProtocolExtras()}), path, overwrite=True)
    build_report(tmp_path, tmp_path)
    assert f"no support · {expected} false positives" in (tmp_path / "irmas.html").read_text()


def test_each_interval_names_its_bootstrap_unit_and_count(tmp_path):
    write_run(tmp_path, n_groups=12)
    write_run(tmp_path, baseline="mlp", unit=None, cfg=config("mlp"))  # an old record: clips were resampled
    build_report(tmp_path, tmp_path)
    html = (tmp_path / "irmas.html").read_text()
    assert "95% CI over 12 tracks" in html and "95% CI over 60 clips" in html


def test_index_shows_mean_std_and_n(tmp_path):
    write_run(tmp_path, seed=0)
    write_run(tmp_path, seed=1)
    index = build_report(tmp_path, tmp_path).read_text()
    assert re.search(r'\d\.\d{3} <span class="std">± \d\.\d{3}</span> <span class="std">\(n=2\)</span>', index)


def test_all_metrics_table_scrolls_instead_of_overflowing(tmp_path):
    write_run(tmp_path)
    build_report(tmp_path, tmp_path)
    html = (tmp_path / "irmas.html").read_text()
    assert '<div class="scroll">\n<table class="sortable all-metrics">' in html
    assert ".scroll { overflow-x: auto; max-width: 100%; }" in html


def _latex_boards(tmp_path):
    write_run(tmp_path, quality=0.8, seed=0)
    write_run(tmp_path, quality=0.8, seed=1)
    write_run(tmp_path, baseline="constant", quality=0.0, cfg=config("constant"))
    write_run(tmp_path, baseline="mlp", quality=0.3, cfg=config("mlp"))
    return build_report(tmp_path, tmp_path / "tex", "latex").read_text()


def test_latex_is_a_captioned_labelled_booktabs_table_with_the_best_in_bold(tmp_path):
    tex = _latex_boards(tmp_path)
    board, published = tex.split("published numbers on", 1)  # the leaderboard, then the published numbers' float
    assert board.count(r"\begin{table}") == 1 and r"\label{tab:irbench-irmas-stand-in}" in board
    assert r"\label{tab:irbench-irmas-published}" in published and "Han, Kim" in published
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert board.count(rule) == 1
    caption = re.search(r"\\caption\{(.*)\}", tex).group(1)
    assert "IRMAS (predominant instrument, 11 classes)" in caption and "protocol version 1.0" in caption
    assert "offline stand-in" in caption and "1--2 seeds per row" in caption
    header = tex.split(r"\toprule", 1)[1].split(r"\\", 1)[0]
    assert "Micro-F1 & Macro-F1 & LRAP" in header and "Hamming" not in header  # main metrics only
    vgg = next(line for line in tex.splitlines() if line.startswith(r"\raggedright vgg &"))
    assert vgg.count(r"\textbf{") == 3 and r"$\pm$" in vgg and "& 2 &" in vgg
    floor = next(line for line in tex.splitlines() if line.startswith(r"\raggedright constant (floor)"))
    assert r"\textbf" not in floor and "$^\\dagger$" in floor  # far below the best: the interval excludes 0


def test_metrics_option_chooses_the_columns(tmp_path, monkeypatch, capsys):
    from helpers import run_cli

    write_run(tmp_path)
    code, _, err = run_cli(monkeypatch, capsys, "report", "--results-dir", str(tmp_path), "--out", str(tmp_path),
                           "--format", "latex", "--metrics", "hamming_loss,map")
    assert code == 0, err
    header = (tmp_path / "leaderboard.tex").read_text().split(r"\toprule", 1)[1].split(r"\\", 1)[0]
    assert "Micro-F1 & Hamming loss & mAP" in header
    code, _, err = run_cli(monkeypatch, capsys, "report", "--results-dir", str(tmp_path), "--out", str(tmp_path),
                           "--metrics", "nonsense")
    assert code == 2 and "nonsense is in no leaderboard" in err


def test_markdown_has_a_caption_line_bold_best_and_differences(tmp_path):
    write_run(tmp_path, quality=0.8)
    write_run(tmp_path, baseline="mlp", quality=0.3, cfg=config("mlp"))
    text = build_report(tmp_path, tmp_path, "markdown").read_text()
    lines = text.splitlines()
    table_start = next(i for i, line in enumerate(lines) if line.startswith("| Baseline"))
    assert lines[table_start - 2].startswith("Table: IRMAS (predominant instrument, 11 classes), protocol version 1.0")
    assert "| vgg | 1 | **" in text and "| best |" in text
    assert re.search(r"\| mlp \| 1 \| [^*]*\| −0\.\d{3} \[−0\.\d{3}, −0\.\d{3}\] † \|", text)


def _pdflatex():
    return shutil.which("pdflatex")


@pytest.mark.skipif(_pdflatex() is None, reason="no pdflatex (Debian: apt-get install texlive-latex-base "
                                                "texlive-latex-recommended)")
def test_latex_compiles(tmp_path):
    tex = _latex_boards(tmp_path)
    document = tmp_path / "paper.tex"
    document.write_text("\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n" + tex +
                        "\\end{document}\n")
    done = subprocess.run([_pdflatex(), "-interaction=nonstopmode", "-halt-on-error", document.name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "paper.pdf").stat().st_size > 1000


def test_published_numbers_cite_authors_and_public_sources():
    from irbench.report.anchors import load_anchors

    anchors = load_anchors()
    for anchor in anchors:
        for text in (anchor.method, anchor.source):
            assert not re.search(r"\bseed\b", text, re.IGNORECASE), text  # "seed" means the random seed
    sources = " ".join(a.source for a in anchors)
    for repository in ("claudia-hm/IRMAS_Deep_Learning", "anthonybob/Multi-Instrument-Detection", "ofekdd/DL_Project",
                       "ofargally/instrument-classifier"):
        assert f"GitHub {repository}" in sources
    assert all(a.source for a in anchors)


def test_a_published_number_sits_beside_the_same_quantity_on_real_data_only(tmp_path):
    """The "irbench, same quantity" cell shows the best real-data row's value of the reference's metric
    (Han et al.'s micro-F1 / macro-F1 on IRMAS); with stand-in results only it stays empty."""
    write_run(tmp_path / "stand-in")
    build_report(tmp_path / "stand-in", tmp_path / "a")
    published = (tmp_path / "a" / "irmas.html").read_text().split("Published numbers", 1)[1]
    assert "(Micro-F1 / Macro-F1)" not in published
    path = write_run(tmp_path / "real", stand_in=False)
    build_report(tmp_path / "real", tmp_path / "b")
    published = (tmp_path / "b" / "irmas.html").read_text().split("Published numbers", 1)[1]
    from irbench.store.records import read_record

    record = read_record(path)
    expected = f"vgg: {record.metrics['micro_f1']:.3f} / {record.metrics['macro_f1']:.3f} (Micro-F1 / Macro-F1)"
    assert expected in published
