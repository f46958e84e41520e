"""Baseline specifics: the defects each fixes, pretrained loading, unfreezing, and its front end."""

import hashlib

import librosa
import numpy as np
import pytest
import torch

from irbench.baselines.base import ModelSpec
from irbench.baselines.cnn14 import Cnn14Baseline, PannsConfig
from irbench.baselines.multistft_panns import MultiStftPannsBaseline
from irbench.baselines.networks.cnn14 import Cnn14
from irbench.baselines.networks.constant import ConstantNet
from irbench.baselines.networks.multistft_panns import MultiStftPanns, UnfreezeBackbone
from irbench.baselines.networks.vgg import VGGNet
from irbench.baselines.panns_checkpoint import CHECKPOINT_ENV
from irbench.baselines.transformer import TransformerBaseline
from irbench.errors import ConfigError
from irbench.features.mfcc import Mfcc
from irbench.features.multi_stft import MultiStft, band_bins, unfold_bands
from irbench.features.spectral import amplitude_to_db_relative_to_max
from irbench.task import PredictionType


def _spec(n_features, frames, n_classes=3):
    return ModelSpec(n_classes, PredictionType.SINGLE_LABEL, (n_features, frames), np.full(n_classes, 1 / n_classes),
                     np.zeros(n_features), np.ones(n_features))


def _noise(seconds, rate, seed=0):
    return (np.random.default_rng(seed).standard_normal(int(seconds * rate)) * 0.1).astype(np.float32)


def test_vgg_emits_logits_not_probabilities():
    model = VGGNet(4, (64, 64)).eval()
    with torch.no_grad():
        out = model(torch.randn(3, 64, 64) * 5)
    assert not torch.allclose(out.sum(dim=1), torch.ones(3))  # no softmax inside the model


def test_constant_predicts_the_priors():
    priors = np.array([0.5, 0.3, 0.2])
    single = ConstantNet(priors, PredictionType.SINGLE_LABEL)(torch.zeros(2, 5)).softmax(dim=1)
    multi = ConstantNet(priors, PredictionType.MULTI_LABEL)(torch.zeros(2, 5)).sigmoid()
    assert torch.allclose(single[1], torch.tensor(priors, dtype=torch.float32), atol=1e-5)
    assert torch.allclose(multi[0], torch.tensor(priors, dtype=torch.float32), atol=1e-5)


def test_transformer_attends_over_time_within_one_clip():
    baseline = TransformerBaseline()
    model = baseline.assemble(_spec(13, 256), baseline.training).module.eval()
    x = torch.randn(2, 13, 256)
    with torch.no_grad():
        alone = model(x[:1])
        together = model(x)
        shuffled = model(x[:, :, torch.randperm(256)])
    assert torch.allclose(alone[0], together[0], atol=1e-5)  # other clips of the batch do not leak in
    assert not torch.allclose(together, shuffled, atol=1e-4)  # frame order matters: positions are encoded


def test_cnn14_checkpoint_loads_by_name(tmp_path, monkeypatch):
    source = Cnn14(527)
    state = {k: v for k, v in source.state_dict().items() if not k.startswith("head")}
    state["fc_audioset.weight"] = torch.zeros(527, 2048)
    state["spectrogram_extractor.stft.conv_real.weight"] = torch.zeros(513, 1, 1024)
    path = tmp_path / "Cnn14_mAP=0.431.pth"
    torch.save({"model": state, "iteration": 1}, path)
    baseline = Cnn14Baseline()
    built = baseline.build(_spec(64, 300, 5), PannsConfig(checkpoint=str(path)))
    assert torch.equal(built.module.conv_block3.conv2.weight, source.conv_block3.conv2.weight)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    # the published file's name, not its checksum: named by hash, never "AudioSet weights"
    assert built.notes["initialisation"] == f"checkpoint {sha256}" and built.notes["weights_sha256"] == sha256
    monkeypatch.setenv(CHECKPOINT_ENV, str(path))
    from_env = Cnn14Baseline().build(_spec(64, 300, 5), PannsConfig())
    assert from_env.notes == built.notes  # the same file gives the same configuration, however it was found
    monkeypatch.delenv(CHECKPOINT_ENV)
    monkeypatch.setenv("IRBENCH_CACHE_DIR", str(tmp_path / "no-weights-here"))
    scratch = Cnn14Baseline().build(_spec(64, 300, 5), PannsConfig())
    assert "from scratch" in scratch.notes["initialisation"]
    (tmp_path / "bad.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match="bad.pth"):
        Cnn14Baseline().build(_spec(64, 300, 5), PannsConfig(checkpoint=str(tmp_path / "bad.pth")))


def test_multistft_branches_take_cnn14_first_convolutions():
    source = Cnn14(527)
    model = MultiStftPanns(11, MultiStftPannsBaseline.frontend_config)
    assert model.load_pretrained(source.state_dict()) == 3 * 4 * 5
    for branch in model.backbone:
        conv, norm = branch.convolutions()[2]
        assert torch.equal(conv.weight, source.conv_block3.conv1.weight)
        assert torch.equal(norm.running_var, source.conv_block3.bn1.running_var)


def test_multistft_backbone_really_unfreezes():
    import lightning as L

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.backbone = torch.nn.Linear(2, 2)
            self.head = torch.nn.Linear(2, 1)

    module = Module()
    callback = UnfreezeBackbone(epoch=4, learning_rate=2e-4)
    callback.freeze_before_training(module)
    assert not any(p.requires_grad for p in module.backbone.parameters())
    optimizer = torch.optim.Adam(module.head.parameters(), lr=3e-3)
    callback.finetune_function(module, 3, optimizer)
    assert len(optimizer.param_groups) == 1
    callback.finetune_function(module, 4, optimizer)
    assert all(p.requires_grad for p in module.backbone.parameters())
    assert len(optimizer.param_groups) == 2 and {g["lr"] for g in optimizer.param_groups} == {2e-4}
    scratch = MultiStftPannsBaseline().build(_spec(1, 128), MultiStftPannsBaseline.training.model_copy(
        update={"checkpoint": "none"}))
    assert scratch.callbacks == ()  # nothing to unfreeze from scratch


def test_multi_stft_bands_match_librosa():
    audio = _noise(1.0, 22_050)
    frontend = MultiStft()
    bands = unfold_bands(frontend(torch.from_numpy(audio))[None], frontend.config)
    for (n_fft, _, _), (first, last), band in zip(frontend.config.bands, band_bins(frontend.config), bands):
        reference = np.abs(librosa.stft(audio, n_fft=n_fft, hop_length=n_fft // 4, pad_mode="constant"))[first:last]
        frames = min(reference.shape[1], band.shape[-1])
        np.testing.assert_allclose(band[0, :, :frames].numpy(), reference[:, :frames], atol=1e-3, rtol=1e-3)


def test_mfcc_matches_librosa():
    audio = _noise(2.0, 22_050, seed=1)
    reference = librosa.feature.mfcc(y=audio.astype(np.float64), sr=22_050, n_mfcc=13, n_fft=2048, hop_length=255,
                                     n_mels=96, fmin=20, fmax=11_025, pad_mode="constant")
    ours = Mfcc()(torch.from_numpy(audio)).numpy()
    assert ours.shape == reference.shape and np.abs(ours - reference).max() < 1e-2  # of a range of hundreds


def test_db_relative_to_max_matches_librosa():
    magnitude = np.abs(np.random.default_rng(2).standard_normal((1, 40, 30))).astype(np.float32) ** 3
    ours = amplitude_to_db_relative_to_max(torch.from_numpy(magnitude))[0].numpy()
    reference = librosa.amplitude_to_db(magnitude[0], ref=np.max, top_db=80)
    np.testing.assert_allclose(ours, reference, atol=1e-3)


def test_essentia_front_end_agrees_with_torch():
    pytest.importorskip("essentia", reason="the essentia extra is not installed (pip install irbench[essentia])")
    from irbench.features.essentia_logmel import EssentiaLogMel
    from irbench.features.logmel import LogMelSpectrogram

    audio = torch.from_numpy(_noise(2.0, 16_000, seed=3))
    ours, theirs = LogMelSpectrogram()(audio).numpy(), EssentiaLogMel()(audio).numpy()
    # Stated tolerance: 0.02 in log10 units (0.2 dB) in every bin; the mean gap is about 5e-4.
    assert ours.shape == theirs.shape and np.abs(ours - theirs).max() < 0.02
