"""Pretrained weights as declared remote files: downloaded into the cache with the network replaced, verified,
and picked up by ``cnn14`` and ``multistft-panns`` with no option, their hash in the run record's notes."""

import hashlib
import io

import numpy as np
import pytest
import torch

from helpers import run_cli
from irbench.data import weights as weights_module
from irbench.baselines import panns_checkpoint
from irbench.baselines.base import ModelSpec
from irbench.baselines.cnn14 import Cnn14Baseline, PannsConfig
from irbench.baselines.multistft_panns import MultiStftPannsBaseline
from irbench.baselines.networks.cnn14 import Cnn14
from irbench.errors import ConfigError, IrbenchError
from irbench.registry import Registry
from irbench.task import PredictionType

ZENODO_URL = "https://zenodo.org/records/3987831/files/Cnn14_mAP%3D0.431.pth?download=1"


def _spec(n_features, frames, n_classes=5):
    return ModelSpec(n_classes, PredictionType.SINGLE_LABEL, (n_features, frames), np.full(n_classes, 1 / n_classes),
                     np.zeros(n_features), np.ones(n_features))


@pytest.fixture(scope="module")
def payload() -> bytes:
    """A small stand-in for ``Cnn14_mAP=0.431.pth``: PANNs' layout (``{"model": state}``) with the tensors of
    Cnn14's first four blocks' first convolution and batch norm (what both baselines load), about 6 MB."""
    source = Cnn14(527)
    state = {k: v for k, v in source.state_dict().items()
             if k.split(".")[0] in {f"conv_block{i}" for i in range(1, 5)} and (".conv1." in k or ".bn1." in k)}
    buffer = io.BytesIO()
    torch.save({"model": state, "iteration": 1}, buffer)
    return buffer.getvalue()


@pytest.fixture
def declared(monkeypatch, payload):
    """``cnn14-weights`` as declared, but with the checksum and size of ``payload`` (the real file is 327 MB):
    the registry and the baselines see this declaration."""
    real = panns_checkpoint.CNN14_WEIGHTS
    fake = real.model_copy(update={"file": real.file.model_copy(update={
        "checksum": f"md5:{hashlib.md5(payload).hexdigest()}", "size": len(payload)})})
    registry = Registry("weights", entry_point_group="irbench.weights")
    registry.register("cnn14-weights", fake)
    monkeypatch.setattr(weights_module, "WEIGHTS", registry)
    monkeypatch.setattr(panns_checkpoint, "CNN14_WEIGHTS", fake)
    monkeypatch.delenv(panns_checkpoint.CHECKPOINT_ENV, raising=False)
    return fake


def _serve(monkeypatch, content: bytes) -> list[str]:
    """Replace pooch's HTTP download with ``content``; returns the URLs asked for."""
    import pooch

    fetched = []

    def http(self, url, output_file, pooch_object, check_only=False):
        fetched.append(url)
        with open(output_file, "wb") as handle:
            handle.write(content)

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", http)
    return fetched


def test_the_declaration_pins_zenodos_published_checksum():
    file = panns_checkpoint.CNN14_WEIGHTS.file
    assert (file.name, file.url) == ("Cnn14_mAP=0.431.pth", ZENODO_URL)
    assert file.checksum == "md5:541141fa2ee191a88f24a3219fff024e" and file.size == 327_428_481
    assert "Zenodo record 3987831" in file.checksum_source
    assert weights_module.WEIGHTS.get("cnn14-weights") is panns_checkpoint.CNN14_WEIGHTS


def test_download_verify_and_both_baselines_pick_the_weights_up(monkeypatch, capsys, tmp_path, declared, payload):
    cache = tmp_path / "cache"
    fetched = _serve(monkeypatch, payload)
    code, _, err = run_cli(monkeypatch, capsys, "data", "download", "cnn14-weights", "--cache-dir", str(cache))
    assert code == 0, err
    path = cache / "weights" / "Cnn14_mAP=0.431.pth"
    assert fetched == [ZENODO_URL] and path.read_bytes() == payload
    code, out, _ = run_cli(monkeypatch, capsys, "data", "verify", "cnn14-weights", "--cache-dir", str(cache))
    assert code == 0 and "Cnn14_mAP=0.431.pth" not in out.split("corrupt:")[-1]
    sha256 = hashlib.sha256(payload).hexdigest()

    monkeypatch.setenv("IRBENCH_CACHE_DIR", str(cache))  # as `irbench run --cache-dir` would; no option
    cnn14 = Cnn14Baseline()
    built_cnn14 = cnn14.build(_spec(64, 300), PannsConfig())
    model = built_cnn14.module
    state = torch.load(io.BytesIO(payload), weights_only=True)["model"]
    assert torch.equal(model.conv_block4.conv1.weight, state["conv_block4.conv1.weight"])
    multi = MultiStftPannsBaseline()
    built_multi = multi.build(_spec(1, 128), MultiStftPannsBaseline.training)
    # Cnn14: 4 blocks x (conv1 + 5 bn1 tensors); multi-STFT: 3 branches x 4 blocks x (conv + 4 BN tensors)
    for baseline, built, loaded in ((cnn14, built_cnn14, 24), (multi, built_multi, 60)):
        notes = baseline.describe(built.notes)["notes"]
        assert notes["weights"] == "cnn14-weights" and notes["weights_sha256"] == sha256
        assert notes["initialisation"] == "AudioSet weights (Kong et al. 2020)"  # the published checksum
        assert notes["weights_md5"] == hashlib.md5(payload).hexdigest() and notes["tensors_loaded"] == loaded
        assert "checkpoint" not in notes and str(tmp_path) not in str(notes)  # no machine's path in the identity
    assert built_multi.callbacks and not built_cnn14.callbacks  # the warm-up runs for the pretrained branches


def test_a_wrong_download_is_refused_and_a_damaged_copy_is_named(monkeypatch, capsys, tmp_path, declared, payload):
    cache = tmp_path / "cache"
    _serve(monkeypatch, b"not the weights")
    with pytest.raises(IrbenchError, match="(?i)hash"):
        from irbench.data.download import download

        download("cnn14-weights", cache_dir=cache)
    assert not (cache / "weights" / "Cnn14_mAP=0.431.pth").exists()
    code, out, _ = run_cli(monkeypatch, capsys, "data", "verify", "cnn14-weights", "--cache-dir", str(cache))
    assert code == 1 and "missing: Cnn14_mAP=0.431.pth" in out
    damaged = cache / "weights" / "Cnn14_mAP=0.431.pth"
    damaged.write_bytes(payload[:-1] + b"x")
    code, out, _ = run_cli(monkeypatch, capsys, "data", "verify", "cnn14-weights", "--cache-dir", str(cache))
    assert code == 1 and "corrupt: Cnn14_mAP=0.431.pth" in out and "MD5" in out
    monkeypatch.setenv("IRBENCH_CACHE_DIR", str(cache))
    with pytest.raises(ConfigError, match="irbench data download cnn14-weights"):
        Cnn14Baseline().build(_spec(64, 300), PannsConfig())


def test_without_weights_the_record_says_trained_from_scratch(monkeypatch, tmp_path, declared, payload):
    monkeypatch.setenv("IRBENCH_CACHE_DIR", str(tmp_path / "empty-cache"))
    for baseline, spec in ((Cnn14Baseline(), _spec(64, 300)), (MultiStftPannsBaseline(), _spec(1, 128))):
        notes = baseline.build(spec, baseline.training).notes
        assert notes["initialisation"] == ("trained from scratch (no pretrained weights found: "
                                           "run `irbench data download cnn14-weights`)")
        assert notes["weights"] is None
    folder = tmp_path / "cache" / "weights"
    folder.mkdir(parents=True)
    (folder / "Cnn14_mAP=0.431.pth").write_bytes(payload)
    scratch = Cnn14Baseline()
    scratch.cache_dir = tmp_path / "cache"  # the harness's --cache-dir wins over the environment
    assert scratch.build(_spec(64, 300), PannsConfig(checkpoint="none")).notes["initialisation"] == "trained from scratch (checkpoint=none)"
    found = Cnn14Baseline()
    found.cache_dir = tmp_path / "cache"
    assert found.build(_spec(64, 300), PannsConfig()).notes["weights"] == "cnn14-weights"


def test_another_checkpoint_by_option_is_recorded_by_hash(monkeypatch, tmp_path, declared, payload):
    other = tmp_path / "fine-tuned.pth"
    state = torch.load(io.BytesIO(payload), weights_only=True)
    state["model"]["conv_block1.conv1.weight"] = state["model"]["conv_block1.conv1.weight"] * 2
    torch.save(state, other)
    baseline = Cnn14Baseline()
    notes = baseline.build(_spec(64, 300), PannsConfig(checkpoint=str(other))).notes
    assert notes["weights"] == "another Cnn14 checkpoint"
    assert notes["weights_sha256"] == hashlib.sha256(other.read_bytes()).hexdigest()
    assert notes["weights_file"] == "fine-tuned.pth"
    assert notes["initialisation"] == f"checkpoint {notes['weights_sha256']}"


def test_audioset_is_claimed_only_for_the_published_checksum(monkeypatch, tmp_path, declared, payload):
    published, renamed = tmp_path / "any-name.pth", tmp_path / "Cnn14_mAP=0.431.pth"
    published.write_bytes(payload)  # the declared checksum under another name
    state = torch.load(io.BytesIO(payload), weights_only=True)
    state["iteration"] = 2  # same tensors, other bytes, under the published name
    torch.save(state, renamed)
    for baseline, spec in ((Cnn14Baseline(), _spec(64, 300)), (MultiStftPannsBaseline(), _spec(1, 128))):
        config = baseline.training.model_copy(update={"checkpoint": str(published)})
        assert baseline.build(spec, config).notes["initialisation"] == "AudioSet weights (Kong et al. 2020)"
        notes = baseline.build(spec, config.model_copy(update={"checkpoint": str(renamed)})).notes
        sha256 = hashlib.sha256(renamed.read_bytes()).hexdigest()
        assert notes["initialisation"] == f"checkpoint {sha256}" and "AudioSet" not in str(notes)
