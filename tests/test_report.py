from pathlib import Path

import pytest

from helpers import run_cli
from irbench.records import RunRecord, read_record, record_path, write_record
from irbench.report import build_report
from irbench.errors import DataNotFoundError


def _record(path: Path) -> RunRecord:
    return read_record(path)


@pytest.fixture(scope="module")
def results(tmp_path_factory, tiny_irmas):
    """Real records: vgg (2 seeds, 1 epoch) and constant on the tiny stand-in."""
    from irbench.runner import RunOptions, run_benchmark

    folder = tmp_path_factory.mktemp("results")
    cache = tmp_path_factory.mktemp("cache")
    for baseline, seed in (("vgg", 0), ("vgg", 1), ("constant", 0)):
        run_benchmark(RunOptions("irmas", baseline, tiny_irmas, folder, cache, seed=seed, max_epochs=1,
                                 workers=2, show_progress=False))
    return folder


def test_leaderboard_shows_every_baseline_with_spread_and_per_class(results, tmp_path):
    html = build_report(results, tmp_path).read_text()
    assert html.count('class="leaderboard"') == 1
    assert "offline stand-in" in html and "real data" not in html.split("<body>")[1].split("</h2>")[0]
    for baseline in ("vgg", "constant"):
        assert f"<td>{baseline}</td>" in html
    vgg = [read_record(p) for p in sorted((results / "irmas/vgg").glob("seed-*.json"))]
    mean = sum(r.metrics["micro_f1"] for r in vgg) / 2
    assert f"{mean:.3f}" in html and "±" in html
    assert html.count("<tr><td>cel</td>") == 2  # one per-class table per baseline
    assert "<script" not in html and "http" not in html.replace("http-equiv", "")


def test_stand_in_and_real_results_never_share_a_table(results, tmp_path):
    real = tmp_path / "results"
    for path in results.rglob("seed-0.json"):
        record = _record(path).model_copy(update={"stand_in": False})
        write_record(record, real / path.relative_to(results))
    for path in results.rglob("seed-1.json"):
        write_record(_record(path), real / path.relative_to(results))
    html = build_report(real, tmp_path / "out").read_text()
    assert html.count('class="leaderboard"') == 2
    assert 'id="irmas-real"' in html and 'id="irmas-stand-in"' in html


def test_every_string_from_a_record_is_escaped(results, tmp_path):
    record = _record(results / "irmas/vgg/seed-0.json").model_copy(update={"baseline": "<script>alert(1)</script>"})
    write_record(record, record_path(tmp_path / "r", "irmas", "evil", 0))
    html = build_report(tmp_path / "r", tmp_path / "out").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_report_command_and_its_errors(monkeypatch, capsys, results, tmp_path):
    code, _, err = run_cli(monkeypatch, capsys, "report", "--results-dir", str(results), "--out", str(tmp_path))
    assert code == 0 and (tmp_path / "index.html").exists()
    with pytest.raises(DataNotFoundError, match="no run records"):
        build_report(tmp_path / "empty", tmp_path)
    broken = tmp_path / "broken/irmas/vgg/seed-0.json"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json")
    code, _, err = run_cli(monkeypatch, capsys, "report", "--results-dir", str(tmp_path / "broken"), "--out", str(tmp_path))
    assert code == 2 and "seed-0.json" in err and "not a valid irbench run record" in err
