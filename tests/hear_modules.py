"""Tiny HEAR 2021 modules for the tests, written into a test's ``tmp_path`` (never installed, never seen
before the test): a clean one and variants that break one rule each."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

MODULE = '''
"""A tiny HEAR 2021 module for irbench's tests ({kind})."""
import torch

__version__ = "0.0.1"
HOP, WINDOW = 160, 320  # samples: 10 ms hop, 20 ms frames at 16 kHz


class Model(torch.nn.Module):
    {rate_line}
    scene_embedding_size = 4
    timestamp_embedding_size = 4


def load_model(model_file_path=""):
    model = Model()
    model.loaded_from = model_file_path
    return model


def features(audio):
    """(n, frames, 4): log energy, mean |x|, max |x| and zero-crossing rate of each frame."""
    frames = audio.unfold(1, WINDOW, HOP)
    crossings = (frames[..., 1:] * frames[..., :-1] < 0).to(torch.float32).mean(-1)
    return torch.stack([torch.log10(frames.square().mean(-1) + 1e-8), frames.abs().mean(-1),
                        frames.abs().amax(-1), crossings], dim=-1)


def get_timestamp_embeddings(audio, model):
    {prepare}
    embeddings = features(audio)
    centres = torch.arange(embeddings.shape[1], dtype=torch.float32) * HOP + WINDOW / 2
    timestamps = centres * 1000.0 / {timestamp_rate}
    return embeddings, timestamps.expand(audio.shape[0], -1)


def get_scene_embeddings(audio, model):
    return get_timestamp_embeddings(audio, model)[0].mean(dim=1)
'''

VARIANTS = {
    "clean": {},
    # divides every clip by the loudest sample of the whole batch: a clip's embedding depends on the others
    "batch_max": {"prepare": "audio = audio / audio.abs().max().clamp_min(1e-8)"},
    # divides each clip by its RMS over all its samples, padding included: fine alone, not when padded
    "padding": {"prepare": "audio = audio / audio.square().mean(dim=1, keepdim=True).sqrt().clamp_min(1e-8)"},
    # divides each clip by its own peak: a gain per clip, not a leak (padding adds no peak)
    "clip_peak": {"prepare": "audio = audio / audio.abs().amax(dim=1, keepdim=True).clamp_min(1e-8)"},
    "random": {"prepare": "audio = audio + 1e-3 * torch.randn_like(audio)"},
    # computes its timestamps as if the audio were at 32 kHz, though it declares 16 kHz
    "other_rate": {"timestamp_rate": "32000"},
    "rate_8k": {"rate_line": "sample_rate = 8000", "timestamp_rate": "8000"},
    "no_rate": {"rate_line": "pass"},
    "rate_text": {"rate_line": "sample_rate = '16 kHz'"},
}


def hear_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, drop: str | None = None) -> str:
    """Write the HEAR module variant ``kind`` (without the function ``drop``) into ``tmp_path``, put it on
    ``sys.path`` and return its module name."""
    name = f"irbench_test_hear_{kind}" + (f"_no_{drop}" if drop else "")
    fields = {"kind": kind, "rate_line": "sample_rate = 16000", "prepare": "pass", "timestamp_rate": "16000",
              **VARIANTS[kind]}
    source = MODULE.format(**fields)
    if drop:
        source = source.replace(f"def {drop}(", f"def _removed_{drop}(")
    folder = tmp_path / "modules"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, name, raising=False)
    return name
