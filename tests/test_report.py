"""``irbench report``: pages per task, formats, published numbers, escaping, and a real browser."""

import re
import shutil
import subprocess

import pytest

from helpers import record_file, run_cli
from irbench.errors import DataNotFoundError
from irbench.store.records import find_records, read_record, legacy_record_path, write_record
from irbench.report import build_report


@pytest.fixture(scope="module")
def results(tmp_path_factory, tiny_irmas, stand_in, feature_cache):
    """Real records: vgg (2 seeds, 1 epoch) and constant on the tiny IRMAS and Medley-solos stand-ins."""
    from irbench.run.runner import RunOptions, run_benchmark

    folder = tmp_path_factory.mktemp("results")
    cache = feature_cache
    for task, baseline, seed in (("irmas", "vgg", 0), ("irmas", "vgg", 1), ("irmas", "constant", 0),
                                 ("medley-solos", "vgg", 0), ("medley-solos", "constant", 0)):
        run_benchmark(RunOptions(task, baseline, stand_in(task), folder, cache, seed=seed, max_epochs=1,
                                 workers=2, show_progress=False))
    return folder


@pytest.fixture(scope="module")
def pages(results, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    build_report(results, out)
    return out


def test_one_page_per_task_and_an_index(pages):
    assert sorted(p.name for p in pages.iterdir()) == [".irbench-report.json", "index.html", "irmas.html",
                                                       "medley-solos.html"]
    index = (pages / "index.html").read_text()
    assert 'href="irmas.html"' in index and 'href="medley-solos.html"' in index


def test_leaderboard_spread_interval_floor_and_plots(results, pages):
    html = (pages / "irmas.html").read_text()
    vgg = [read_record(p) for p in sorted((results / "irmas/vgg").glob("*/seed-*.json"))]
    mean = sum(r.metrics["micro_f1"] for r in vgg) / 2
    assert f"{mean:.3f}" in html and "±" in html
    low = vgg[0].confidence_intervals["micro_f1"]["low"]
    assert f"[{low:.3f}," in html
    assert 'class="floor"' in html and "constant (floor)" in html
    assert html.count("<svg") >= 2  # per-class F1 and precision-recall
    assert html.count('<tr><td>cel <span class="meta">cello</span></td>') == 2  # one per-class table per row
    assert "provenance of seed 1" in html
    for external in ("<link", "<img", "src=", "url(http", "@import"):  # nothing loaded from anywhere
        assert external not in html
    assert "per-class errors (mean over seeds)" in html  # multi-label: false positives and negatives per class
    medley = (pages / "medley-solos.html").read_text()
    assert "confusion matrix, vgg" in medley and "per-class errors" not in medley
    assert medley.count('<table class="confusion">') == 2  # vgg and the floor, as tables of counts


def test_scores_recomputed_from_the_predictions_files_equal_the_records(results):
    from irbench.store.predictions_file import read_clip_table

    checked = set()
    for path in find_records(results):
        record = read_record(path)
        table = read_clip_table(path.with_name(record.predictions_file), list(record.per_class))
        assert table.headline(record.main_score) == pytest.approx(record.metrics[record.main_score], abs=1e-12)
        checked.add(record.main_score)
    assert checked == {"micro_f1", "accuracy"}


def test_the_constant_floor_has_no_score_ranking(results):
    from irbench.store.predictions_file import read_clip_table
    from irbench.report.plots import has_ranking

    def ranks(baseline):
        path = record_file(results, "irmas", baseline)
        record = read_record(path)
        table = read_clip_table(path.with_name(record.predictions_file), list(record.per_class))
        return has_ranking(table.scores, table.mask)

    assert not ranks("constant") and ranks("vgg")


def test_published_numbers_are_shown_apart_and_never_ranked(pages):
    html = (pages / "irmas.html").read_text()
    leaderboard, published = html.split("Published numbers", 1)
    assert "Han, Kim &amp; Lee 2017" not in leaderboard and "Han, Kim &amp; Lee 2017" in published
    assert "threshold grid" in published and 'class="anchors"' in published


def test_stand_in_and_real_results_never_share_a_table(results, tmp_path):
    real = tmp_path / "results"
    for path in results.glob("irmas/*/*/seed-0.json"):
        record = read_record(path).model_copy(update={"stand_in": False})
        write_record(record, real / path.relative_to(results))
    for path in results.glob("irmas/*/*/seed-1.json"):
        write_record(read_record(path), real / path.relative_to(results))
    build_report(real, tmp_path / "out")
    html = (tmp_path / "out/irmas.html").read_text()
    assert html.count('class="leaderboard sortable"') == 2
    assert 'id="irmas-real"' in html and 'id="irmas-stand-in"' in html


EVIL = "<script>alert(1)</script>"


@pytest.mark.parametrize("fmt, escaped", [
    ("html", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("latex", r"\textless{}script\textgreater{}alert(1)\textless{}/script\textgreater{}"),
])
def test_every_string_from_a_record_is_escaped(results, tmp_path, fmt, escaped):
    record = read_record(record_file(results, "irmas", "vgg"))
    config = record.config.model_copy(update={  # a setting: it reaches the row's label
        "training": {**record.config.training, "optimizer": EVIL},
        "baseline": record.config.baseline.model_copy(update={"notes": {"checkpoint": EVIL}})})
    provenance = record.provenance.model_copy(update={"command": EVIL, "device_name": EVIL})
    write_record(record.model_copy(update={"config": config, "provenance": provenance}),
                 legacy_record_path(tmp_path / "r", "irmas", "evil", 0))
    write_record(record, legacy_record_path(tmp_path / "r", "irmas", "vgg", 0))
    main = build_report(tmp_path / "r", tmp_path / "out", fmt)
    text = (tmp_path / "out/irmas.html" if fmt == "html" else main).read_text()
    assert EVIL not in text and escaped in text


@pytest.mark.parametrize("fmt, name, marker", [
    ("markdown", "leaderboard.md", "| vgg (max\\_epochs=1) | 2 |"), ("latex", "leaderboard.tex", r"\begin{tabular}"),
    ("csv", "leaderboard.csv", ",stand-in,supervised,vgg,max_epochs=1,"),
])
def test_table_formats(results, tmp_path, fmt, name, marker):
    path = build_report(results, tmp_path, fmt)
    assert path.name == name and marker in path.read_text() and "stand-in" in path.read_text()


def test_report_command_and_its_errors(monkeypatch, capsys, results, tmp_path):
    code, _, err = run_cli(monkeypatch, capsys, "report", "--results-dir", str(results), "--out", str(tmp_path))
    assert code == 0 and (tmp_path / "index.html").exists()
    with pytest.raises(DataNotFoundError, match="no run records"):
        build_report(tmp_path / "empty", tmp_path)
    broken = tmp_path / "broken/irmas/vgg/seed-0.json"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json")
    code, _, err = run_cli(monkeypatch, capsys, "report", "--results-dir", str(tmp_path / "broken"), "--out", str(tmp_path))
    assert code == 2 and "seed-0.json" in err and "not a readable irbench run record" in err
    code, _, err = run_cli(monkeypatch, capsys, "report", "--results-dir", str(results), "--format", "pdf")
    assert code == 2 and "unknown report format 'pdf'" in err


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(_chromium() is None, reason="no Chromium (.ci/run installs Debian's chromium package)")
def test_pages_render_in_a_real_browser(pages, tmp_path):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    for page in ("index.html", "irmas.html", "medley-solos.html"):
        dom = subprocess.run([_chromium(), *flags, "--dump-dom", (pages / page).as_uri()], capture_output=True,
                             text=True, timeout=120, check=True).stdout
        assert 'data-sortable="ready"' in dom  # the inline script ran
        assert "<table" in dom
        if page != "index.html":
            assert "<svg" in dom and 'class="leaderboard sortable"' in dom
    opened = tmp_path / "opened.html"  # every <details> open: the all-metrics table must not widen the page
    opened.write_text((pages / "irmas.html").read_text().replace("<details", "<details open").replace(
        "</body>", '<script>document.body.dataset.width = document.documentElement.scrollWidth;</script></body>'))
    dom = subprocess.run([_chromium(), *flags, "--window-size=1400,2000", "--dump-dom", opened.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert int(re.search(r'data-width="(\d+)"', dom).group(1)) <= 1400
    shot = tmp_path / "irmas.png"
    subprocess.run([_chromium(), *flags, "--window-size=1280,2000", f"--screenshot={shot}", (pages / "irmas.html").as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 20_000
