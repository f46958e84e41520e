"""Supervised, probe-v1 and zero-shot runs never share a table: each track has its own, headed by it, ranked
and compared within it; probe and zero-shot rows name their model, weights and protocol (zero-shot rows
their unmapped classes); hostile notes are escaped in every format; the results DataFrame has a track
column (hand-built records, milliseconds each)."""

from __future__ import annotations

import csv
import io
import re

import pytest

import irbench
from irbench.report import build_report
from irbench.report.safety import html_id, is_safe_baseline
from irbench.store.tracks import TRACKS, UnknownTrackError, track_label, track_of
from test_report_support import config, edit_json, make_record, write_run

SHA = "3f2a9c1b" + "0" * 56


def probe_config(name: str = "hear:my_module", sha: str = SHA) -> dict:
    """A probe record's ``config``: vgg's, renamed, with the probe-v1 notes."""
    cfg = config(f"probe:{name}")
    cfg["baseline"]["notes"] = {
        "track": "probe-v1", "protocol": "probe-v1", "pooling": "mean", "probe": "linear", "selection": {},
        "embedder": {"name": name, "version": "1.0", "sample_rate": 16000, "embedding_size": 512,
                     "weights_sha256": sha}}
    return cfg


def zero_shot_config(unmapped=("vio", "org")) -> dict:
    """A zero-shot record's ``config`` with two classes its label map leaves out."""
    cfg = config("zero-shot:cnn14-audioset")
    cfg["baseline"]["notes"] = {
        "track": "zero-shot", "protocol": "zero-shot-v1", "label_map": {"cel": ["Cello"]},
        "unmapped_classes": list(unmapped),
        "tagger": {"name": "cnn14-audioset", "version": "2", "sample_rate": 32000, "n_labels": 527,
                   "weights_sha256": "ab" * 32}}
    return cfg


@pytest.fixture
def three_tracks(tmp_path):
    """vgg (0.5) and mlp (0.3) supervised, a probe far better than both (0.9), a zero-shot tagger (0.4)."""
    results = tmp_path / "results"
    write_run(results, quality=0.5)
    write_run(results, baseline="mlp", quality=0.3, cfg=config("mlp"))
    write_run(results, baseline="probe:hear:my_module", folder="probe-hear", quality=0.9, cfg=probe_config())
    write_run(results, baseline="zero-shot:cnn14-audioset", folder="zero-shot", quality=0.4, cfg=zero_shot_config())
    return results


def _report(results, out, fmt="html"):
    warnings: list[str] = []
    return build_report(results, out, fmt, warn=warnings.append), warnings


def test_track_of_and_its_label():
    assert TRACKS == ("supervised", "probe-v1", "zero-shot")
    assert track_of(make_record()) == "supervised" and track_label(make_record()) == "supervised"
    probe = make_record(baseline="probe:hear:my_module", cfg=probe_config())
    assert track_of(probe) == "probe-v1"
    assert track_label(probe) == "probe-v1 · hear:my_module 1.0 · weights 3f2a9c1b · linear probe, mean pooling"
    zero = make_record(baseline="zero-shot:cnn14-audioset", cfg=zero_shot_config())
    assert track_label(zero) == "zero-shot (zero-shot-v1) · cnn14-audioset 2 · weights abababab · 2 classes unmapped"
    bare = make_record(baseline="probe:cnn14", cfg=config("probe:cnn14"))  # no notes: the name's prefix decides
    assert track_of(bare) == "probe-v1" and "unknown embedder" in track_label(bare)
    for declared in ("../../etc/passwd", 3, None, "Supervised"):
        cfg = config()
        cfg["baseline"]["notes"] = {"track": declared}
        with pytest.raises(UnknownTrackError, match="unknown track"):
            track_of(make_record(cfg=cfg))
    lying = probe_config()
    lying["baseline"]["notes"]["track"] = "supervised"  # a probe claiming a place among supervised baselines
    with pytest.raises(UnknownTrackError, match="is a probe-v1 baseline"):
        track_of(make_record(baseline="probe:hear:my_module", cfg=lying))


def test_names_with_colons_are_accepted_but_never_raw_in_an_id():
    for name in ("probe:hear:my_module", "probe:cnn14", "zero-shot:cnn14-audioset", "probe:hear:pkg.Sub_mod"):
        assert is_safe_baseline(name)
    for name in ("javascript:alert(1)", "probe:", "probe:<b>", "probe: x", "zero-shot:a/b", "x" * 201, "VGG"):
        assert not is_safe_baseline(name)
    assert html_id("vgg") == "vgg"  # ids of plain names are unchanged
    ids = {html_id("probe:hear:x"), html_id("probe-hear-x"), html_id("probe:hear-x")}
    assert len(ids) == 3 and all(re.fullmatch(r"[a-z0-9._-]+", i) for i in ids)


def test_tracks_get_separate_headed_tables_and_are_never_ranked_together(three_tracks, tmp_path):
    _, warnings = _report(three_tracks, tmp_path / "out")
    assert not warnings
    html = (tmp_path / "out/irmas.html").read_text()
    leaderboards = html.split("Published numbers", 1)[0]
    assert leaderboards.count('class="leaderboard sortable"') == 3
    sections = re.findall(r'<section class="board" id="([^"]+)">(.*?)</section>', html, re.S)
    by_id = {name: body for name, body in sections}
    assert list(by_id) == ["irmas-stand-in", "irmas-stand-in-probe-v1", "irmas-stand-in-zero-shot"]
    supervised, probe, zero = by_id.values()
    assert '<span class="badge track">supervised</span>' in supervised
    assert '<span class="badge track">probe-v1</span>' in probe and "never with supervised baselines" in probe
    assert "probe:hear:my_module" not in supervised and "vgg" not in probe.split("<h3>")[0]
    assert "probe-v1 · hear:my_module 1.0 · weights 3f2a9c1b" in probe
    assert "unmapped classes: vio, org" in zero and "2 classes unmapped" in zero
    # the probe scores far above vgg, yet vgg stays the reference of its own table's paired comparison
    assert "the best row (reference)" in supervised.split('<tr class=""><td class="label">vgg</td>', 1)[1][:200]
    for value in re.findall(r'(?:id|href)="([^"]*)"', html):
        assert ":" not in value, value
    index = (tmp_path / "out/index.html").read_text()
    assert index.count('<span class="badge track">') == 3


def test_table_formats_keep_tracks_apart(three_tracks, tmp_path):
    markdown, _ = _report(three_tracks, tmp_path / "md", "markdown")
    text = markdown.read_text()
    headings = re.findall(r"^### .*$", text, re.M)
    assert [h.rsplit(", ", 1)[1] for h in headings] == ["supervised track", "probe-v1 track", "zero-shot track"]
    supervised, probe, zero = re.split(r"^### .*$", text, flags=re.M)[1:]
    assert "| vgg | 1 |" in supervised and "probe:hear:my\\_module" not in supervised
    assert "| best |" in supervised and "| −0." in supervised  # mlp against vgg, within the track
    assert "| probe:hear:my\\_module | probe-v1 · hear:my\\_module 1.0 · weights 3f2a9c1b" in probe
    assert "unmapped: vio, org" in zero
    tex, _ = _report(three_tracks, tmp_path / "tex", "latex")
    latex = tex.read_text()
    for label in ("tab:irbench-irmas-stand-in}", "tab:irbench-irmas-stand-in-probe-v1}",
                  "tab:irbench-irmas-stand-in-zero-shot}"):
        assert latex.count(r"\label{" + label) == 1
    probe_float = latex.split("tab:irbench-irmas-stand-in-probe-v1}", 1)[1].split(r"\end{table}", 1)[0]
    assert r"probe-v1 $\cdot$ hear:\allowbreak{}my\_module 1.0" in probe_float and "vgg" not in probe_float
    rows = list(csv.DictReader(io.StringIO(_report(three_tracks, tmp_path / "csv", "csv")[0].read_text())))
    tracks = {r["baseline"]: r["track"] for r in rows}
    assert tracks == {"vgg": "supervised", "mlp": "supervised", "probe:hear:my_module": "probe-v1",
                      "zero-shot:cnn14-audioset": "zero-shot"}
    probe_main = next(r for r in rows if r["baseline"].startswith("probe") and r["metric"] == "micro_f1")
    assert probe_main["difference_to_best"] == "0.000000" and "weights 3f2a9c1b" in probe_main["track_note"]
    assert {r["unmapped_classes"] for r in rows if r["track"] == "zero-shot"} == {"vio; org"}


HOSTILE = "<script>x</script> $\\input{/etc/passwd}$ | *[a](javascript:1)* \\write18{id}\n# heading"


def test_hostile_notes_are_escaped_in_every_format(tmp_path):
    results = tmp_path / "results"
    write_run(results)
    cfg = probe_config(name="hear:my_module")
    cfg["baseline"]["notes"]["embedder"]["name"] = HOSTILE
    cfg["baseline"]["notes"]["embedder"]["weights_sha256"] = "<b>" + HOSTILE
    write_run(results, baseline="probe:hear:my_module", folder="p", cfg=cfg)
    zero = zero_shot_config(unmapped=[HOSTILE, "=HYPERLINK(1)"])
    write_run(results, baseline="zero-shot:cnn14-audioset", folder="z", cfg=zero)
    html = (_report(results, tmp_path / "html")[0].parent / "irmas.html").read_text()
    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt;" in html and "weights hash not hexadecimal" in html
    markdown = _report(results, tmp_path / "md", "markdown")[0].read_text()
    assert "<script>" not in markdown and "&lt;script&gt;x" in markdown and "\\| \\*\\[a\\](javascript:" in markdown
    assert "\n# heading" not in markdown  # the note stays on its line
    latex = _report(results, tmp_path / "tex", "latex")[0].read_text()
    assert "\\input{" not in latex and "\\write18{" not in latex and r"\textbackslash{}input\{" in latex
    rows = list(csv.reader(io.StringIO(_report(results, tmp_path / "csv", "csv")[0].read_text())))
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_an_unknown_track_costs_its_record_with_a_warning(tmp_path):
    results = tmp_path / "results"
    write_run(results)
    bad = write_run(results, baseline="mlp", cfg=config("mlp"))
    data_cfg = config("mlp")
    data_cfg["baseline"]["notes"] = {"track": "../../leaderboard"}
    edit_json(bad, config=data_cfg)
    _, warnings = _report(results, tmp_path / "out")
    (warning,) = warnings
    assert str(bad) in warning and "unknown track '../../leaderboard'" in warning and "skipped" in warning
    assert "mlp" not in (tmp_path / "out/irmas.html").read_text().split("Published numbers")[0]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".irbench-report.json", "index.html", "irmas.html"]


def test_the_results_dataframe_has_a_track_column(three_tracks):
    results = irbench.load_results(three_tracks)
    frame = results.to_dataframe()
    columns = list(frame.columns)
    assert columns.index("track") == columns.index("protocol") + 1
    assert dict(zip(frame["baseline"], frame["track"])) == {
        "vgg": "supervised", "mlp": "supervised", "probe:hear:my_module": "probe-v1",
        "zero-shot:cnn14-audioset": "zero-shot"}
    mean = results.to_dataframe(level="mean", format="wide")
    assert set(mean["track"]) == set(TRACKS) and "configuration_digest" in mean.columns
    per_class = results.to_dataframe(level="per_class", format="wide")
    assert {"track", "label", "seed", "support"} <= set(per_class.columns)
