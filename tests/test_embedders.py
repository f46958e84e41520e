"""The embedder contract, the HEAR 2021 adapter (``hear:<module>``) and ``irbench validate`` for embedders.

Every HEAR module here is a few lines written into ``tmp_path`` by :func:`hear_module`: a clean one, and
variants that break one rule each (embeddings that depend on the batch or on padding, random output,
timestamps at another rate, a sample rate HEAR does not take, a missing function or attribute). No network,
no GPU (``device=cpu``)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from hear_modules import hear_module
from helpers import run_cli
from irbench.embedders import EMBEDDERS, Embedder, EmbedderError, check_embedder, get_embedder
from irbench.embedders.hear import HearApiError, HearEmbedder
from irbench.errors import ConfigError, UnknownNameError
from irbench.validate import validate_embedder

REPOSITORY = Path(__file__).resolve().parent.parent

def checks_of(name: str, **options) -> dict:
    """``irbench validate``'s checks of ``name`` on the CPU, by check name."""
    checks = validate_embedder(name, {"device": "cpu", **options})
    return {check.name: check for check in checks}


def by_prefix(checks: dict, prefix: str):
    found = [check for name, check in checks.items() if name.startswith(prefix)]
    assert len(found) == 1, f"one check named {prefix!r}... expected among {list(checks)}"
    return found[0]


@pytest.mark.parametrize("kind", ["clean", "clip_peak"])
def test_a_clean_module_passes_every_check_and_hear_ones_come_first(tmp_path, monkeypatch, kind):
    checks = checks_of(f"hear:{hear_module(tmp_path, monkeypatch, kind)}")
    failed = {name: check.found for name, check in checks.items() if not check.passed}
    assert not failed
    names = list(checks)
    assert names[0].startswith("HEAR:") and not names[-1].startswith("HEAR:")
    for prefix in ("batch independence", "padding independence", "two identical calls", "timestamps cover",
                   "the declared sample rate", "HEAR: get_timestamp_embeddings", "HEAR: get_scene_embeddings"):
        check = by_prefix(checks, prefix)
        if check.tolerance is not None:
            assert check.value <= check.tolerance


def test_embeddings_that_depend_on_the_batch_are_refused_naming_the_check_and_difference(tmp_path, monkeypatch):
    checks = checks_of(f"hear:{hear_module(tmp_path, monkeypatch, 'batch_max')}")
    batch = by_prefix(checks, "batch independence")
    assert not batch.passed
    assert batch.value > batch.tolerance
    assert "max |difference|" in batch.found and "cosine" in batch.found
    hear_ones = [check for name, check in checks.items() if name.startswith("HEAR:")]
    assert all(check.passed for check in hear_ones)  # what hear-validator checks does not see it


def test_embeddings_that_depend_on_padding_fail_only_the_padding_check(tmp_path, monkeypatch):
    checks = checks_of(f"hear:{hear_module(tmp_path, monkeypatch, 'padding')}")
    assert by_prefix(checks, "batch independence").passed
    padding = by_prefix(checks, "padding independence")
    assert not padding.passed and padding.value > padding.tolerance


def test_random_embeddings_fail_the_determinism_check(tmp_path, monkeypatch):
    checks = checks_of(f"hear:{hear_module(tmp_path, monkeypatch, 'random')}")
    determinism = by_prefix(checks, "two identical calls")
    assert not determinism.passed and determinism.value > 0
    assert by_prefix(checks, "HEAR: get_timestamp_embeddings").passed


def test_timestamps_at_another_rate_fail_coverage_and_the_sample_rate_check(tmp_path, monkeypatch):
    checks = checks_of(f"hear:{hear_module(tmp_path, monkeypatch, 'other_rate')}")
    rate = by_prefix(checks, "the declared sample rate")
    assert not rate.passed and rate.value > rate.tolerance
    coverage = by_prefix(checks, "timestamps cover")
    assert not coverage.passed and "before the end" in coverage.found


def test_a_sample_rate_hear_does_not_take_fails_that_check_only(tmp_path, monkeypatch):
    checks = checks_of(f"hear:{hear_module(tmp_path, monkeypatch, 'rate_8k')}")
    failed = [check for check in checks.values() if not check.passed]
    assert [check.name for check in failed] == ["HEAR: sample_rate is one HEAR accepts"]
    assert "8000" in failed[0].found


def test_a_missing_function_or_attribute_is_a_clear_error_naming_the_module(tmp_path, monkeypatch):
    missing = hear_module(tmp_path, monkeypatch, "clean", drop="get_timestamp_embeddings")
    with pytest.raises(HearApiError, match=f"hear:{missing}.*get_timestamp_embeddings"):
        get_embedder(f"hear:{missing}", device="cpu")
    checks = list(checks_of(f"hear:{missing}").values())
    assert len(checks) == 1 and not checks[0].passed and "get_timestamp_embeddings" in checks[0].found

    scene = hear_module(tmp_path, monkeypatch, "clean", drop="get_scene_embeddings")
    assert get_embedder(f"hear:{scene}", device="cpu").embedding_size == 4  # the adapter does not call it
    api = by_prefix(checks_of(f"hear:{scene}"), "HEAR: the module imports")
    assert not api.passed and "get_scene_embeddings" in api.found

    no_rate = hear_module(tmp_path, monkeypatch, "no_rate")
    with pytest.raises(HearApiError, match=f"hear:{no_rate}.*'sample_rate'"):
        get_embedder(f"hear:{no_rate}", device="cpu")
    text_rate = hear_module(tmp_path, monkeypatch, "rate_text")
    with pytest.raises(HearApiError, match=f"hear:{text_rate}: model.sample_rate is '16 kHz', not a positive whole"):
        get_embedder(f"hear:{text_rate}", device="cpu")
    refused = list(checks_of(f"hear:{text_rate}").values())[-1]
    assert not refused.passed and "sample_rate is '16 kHz'" in refused.found
    with pytest.raises(HearApiError, match="cannot import"):
        get_embedder("hear:irbench_test_no_such_module")


@pytest.mark.parametrize("name", ["hear:", "hear:1abc", "hear:a..b", "hear:os;rm", "hear:pkg.class", "hear:a-b"])
def test_only_dotted_identifiers_are_imported(name):
    before = set(sys.modules)
    with pytest.raises(HearApiError, match="does not name a Python module"):
        get_embedder(name)
    assert set(sys.modules) - before <= {"irbench.embedders.hear", "irbench.data.hashing"}


def test_the_adapter_shapes_timestamps_and_provenance(tmp_path, monkeypatch):
    name = hear_module(tmp_path, monkeypatch, "clean")
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"any bytes: this model reads none")
    embedder = get_embedder(f"hear:{name}", model_file=str(weights), device="cpu")
    module = sys.modules[name]
    assert isinstance(embedder, HearEmbedder) and embedder.model.loaded_from == str(weights)
    samples = 12345
    audio = np.random.default_rng(0).uniform(-1, 1, (3, samples)).astype(np.float32)
    embeddings, timestamps = embedder.embed(audio)
    frames = 1 + (samples - module.WINDOW) // module.HOP
    assert embeddings.shape == (3, frames, embedder.embedding_size) and embeddings.dtype == np.float32
    assert timestamps.shape == (3, frames) and timestamps.dtype == np.float64
    expected = (np.arange(frames) * module.HOP + module.WINDOW / 2) * 1000.0 / embedder.sample_rate
    np.testing.assert_allclose(timestamps[2], expected, rtol=1e-6)
    described = embedder.describe()
    assert described["name"] == f"hear:{name}" and described["version"] == module.__version__
    assert described["weights_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert described["sample_rate"] == module.Model.sample_rate and described["device"] == "cpu"
    assert not embedder.model.training  # put in eval mode
    assert get_embedder(f"hear:{name}", device="cpu").weights_sha256 is None
    with pytest.raises(HearApiError, match="is not a file"):
        get_embedder(f"hear:{name}", model_file=str(tmp_path / "absent.pt"))


def test_embed_refuses_audio_outside_the_contract(tmp_path, monkeypatch):
    embedder = get_embedder(f"hear:{hear_module(tmp_path, monkeypatch, 'clean')}", device="cpu")
    bad = {"must be \\(batch, samples\\)": np.zeros(1600, np.float32),
           "floating point": np.zeros((1, 1600), np.int16),
           "\\[-1, 1\\]": np.full((1, 1600), 1.5, np.float32),
           "NaN": np.full((1, 1600), np.nan, np.float32),
           "empty": np.zeros((0, 1600), np.float32)}
    for problem, audio in bad.items():
        with pytest.raises(ValueError, match=f"hear:.*{problem}"):
            embedder.embed(audio)


class _Fixed(Embedder):
    """An embedder whose output the test sets: to see each breach named."""

    name, version, sample_rate, embedding_size = "fixed", "1", 16000, 3

    def __init__(self, frames: int = 2, size: int = 3, fill: float = 0.0):
        self.frames, self.size, self.fill = frames, size, fill

    def compute(self, audio):
        embeddings = np.full((audio.shape[0], self.frames, self.size), self.fill)
        return embeddings, np.tile(np.arange(self.frames) * 10.0, (audio.shape[0], 1))


def test_embed_names_the_embedder_and_the_breach_of_its_output():
    audio = np.zeros((2, 1600), np.float32)
    embeddings, _timestamps = _Fixed().embed(audio)
    assert embeddings.dtype == np.float32 and embeddings.shape == (2, 2, 3)
    for embedder, problem in ((_Fixed(size=5), "D = 5, but embedding_size is 3"), (_Fixed(frames=0), "no frames"),
                              (_Fixed(fill=np.nan), "NaN or infinite embeddings for clip\\(s\\) 0, 1")):
        with pytest.raises(EmbedderError, match=f"'fixed': .*{problem}"):
            embedder.embed(audio)


def test_a_broken_declaration_stops_validation_and_a_deaf_embedder_is_caught():
    from irbench.embedders.validate import run_embedder_checks

    class Undeclared(_Fixed):
        sample_rate = "16 kHz"

    checks = run_embedder_checks(Undeclared())
    assert len(checks) == 1 and not checks[0].passed and "sample_rate is '16 kHz'" in checks[0].found
    checks = {check.name: check for check in run_embedder_checks(_Fixed())}  # the same output whatever the audio
    rate = checks["the declared sample rate is used"]
    assert not rate.passed and "ignore the audio" in rate.found
    assert not checks["timestamps cover the clip"].passed
    assert checks["two identical calls, identical output"].passed


def test_registered_embedders_come_from_the_entry_point_group(tmp_path, monkeypatch):
    from irbench.registry import Registry

    site = tmp_path / "site"
    info = site / "tiny_embedders-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tiny-embedders\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[irbench.embedders]\ntiny = tiny_embedder_plugin:Tiny\n"
                                           "not-one = tiny_embedder_plugin:NOT_AN_EMBEDDER\n")
    (site / "tiny_embedder_plugin.py").write_text(textwrap.dedent('''
        import numpy as np
        from irbench import Embedder

        class Tiny(Embedder):
            name, version, sample_rate, embedding_size = "tiny", "0.1", 16000, 2

            def __init__(self, scale="1"):
                self.scale = float(scale)

            def compute(self, audio):
                frames = audio.numpy()[:, : audio.shape[1] // 160 * 160].reshape(audio.shape[0], -1, 160)
                energy = self.scale * np.log10(np.mean(frames ** 2, axis=-1) + 1e-8)
                times = (np.arange(frames.shape[1]) * 160 + 80) * 1000.0 / 16000
                return np.stack([energy, np.abs(frames).max(-1)], -1), np.tile(times, (audio.shape[0], 1))

        NOT_AN_EMBEDDER = 42
        '''))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("IRBENCH_DISABLE_PLUGINS", raising=False)
    monkeypatch.delitem(sys.modules, "tiny_embedder_plugin", raising=False)
    registry = Registry("embedder", entry_point_group="irbench.embedders", check=check_embedder)
    monkeypatch.setattr("irbench.embedders.EMBEDDERS", registry)
    assert get_embedder("tiny", scale="2").scale == 2.0
    with pytest.raises(ConfigError, match="no option 'colour'.*known: scale"):
        get_embedder("tiny", colour="red")
    with pytest.warns(UserWarning, match="not a subclass of irbench.Embedder"), pytest.raises(UnknownNameError):
        get_embedder("not-one")
    assert all(check.passed for check in validate_embedder("tiny"))
    with pytest.raises(UnknownNameError, match="Did you mean 'tiny'"):
        get_embedder("tinny")
    assert EMBEDDERS is not registry


def test_unknown_names_schemes_and_options_are_errors(tmp_path, monkeypatch):
    with pytest.raises(UnknownNameError, match="unknown embedder scheme 'heer'.*hear:<target>"):
        get_embedder("heer:hear_example")
    name = hear_module(tmp_path, monkeypatch, "clean")
    with pytest.raises(ConfigError, match="takes no option 'model'; known: model_file, device"):
        get_embedder(f"hear:{name}", model="x.pt")


def test_cli_validate_exit_codes_and_report(tmp_path, monkeypatch, capsys):
    clean = hear_module(tmp_path, monkeypatch, "clean")
    leaky = hear_module(tmp_path, monkeypatch, "batch_max")
    code, out, _ = run_cli(monkeypatch, capsys, "validate", f"hear:{clean}", "--config", "device=cpu")
    assert code == 0 and "FAILED" not in out and out.rstrip().endswith("checks ok")
    assert max(len(line) for line in out.splitlines()) <= 80
    code, out, _ = run_cli(monkeypatch, capsys, "validate", f"hear:{leaky}", "-c", "device=cpu")
    assert code == 1
    failed = [line for line in out.splitlines() if line.startswith("FAILED")]
    assert any("batch independence" in line for line in failed)
    assert "max |difference|" in out and "checks FAILED: batch independence" in out
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"weights")
    code, out, _ = run_cli(monkeypatch, capsys, "validate", f"hear:{clean}", "-c", f"model_file={weights}",
                           "-c", "device=cpu")
    assert code == 0 and hashlib.sha256(b"weights").hexdigest()[:12] in out
    code, _, err = run_cli(monkeypatch, capsys, "validate", f"hear:{clean}", "-c", "nope=1")
    assert code == 2 and "nope" in err
    code, _, err = run_cli(monkeypatch, capsys, "validate", "constant", "-c", "model_file=x")
    assert code == 2 and "--config applies to embedders" in err
    missing = hear_module(tmp_path, monkeypatch, "clean", drop="load_model")
    code, out, _ = run_cli(monkeypatch, capsys, "validate", f"hear:{missing}")
    assert code == 1 and "has no function load_model" in out


def test_the_shipped_example_module_validates_with_and_without_a_model_file(monkeypatch, tmp_path):
    import torch

    monkeypatch.syspath_prepend(str(REPOSITORY / "examples/hear-example/src"))
    checks = checks_of("hear:hear_example")
    assert all(check.passed for check in checks.values()), [c for c in checks.values() if not c.passed]
    import hear_example

    weights = tmp_path / "bands.pt"
    torch.save(hear_example.load_model().state_dict(), weights)
    checks = checks_of("hear:hear_example", model_file=str(weights))
    assert all(check.passed for check in checks.values()), [c for c in checks.values() if not c.passed]
    assert hashlib.sha256(weights.read_bytes()).hexdigest()[:12] in checks[
        "declares name, version, sample rate, size D, weights"].found


def test_import_irbench_and_its_embedders_stays_cheap():
    code = ("import sys, irbench, irbench.embedders; irbench.Embedder; "
            "print(sorted(m for m in ('torch', 'lightning', 'pandas') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
