"""The checkpoint written beside a run record (``seed-<n>.ckpt``): best weights and what rebuilds the model;
and how every checkpoint of a run is written (:func:`without_zip_checksums`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from irbench.store.atomic import atomic_path
from irbench.store.records import RunRecord


def write_checkpoint(path, model: torch.nn.Module, record: RunRecord, spec=None) -> None:
    """``torch.save`` of the model's ``state_dict`` with the record's task, baseline and config, and (``spec``,
    a ``ModelSpec``) everything needed to rebuild the model exactly: input shape, class priors and feature
    statistics, as plain lists (loadable with ``weights_only=True``)."""
    payload = {
        "state_dict": model.state_dict(), "task": record.task, "task_version": record.task_version,
        "baseline": record.baseline, "config": record.config.model_dump(),
        "irbench_version": record.provenance.irbench_version,
    }
    if spec is not None:
        payload["spec"] = {
            "input_shape": [int(n) for n in spec.input_shape],
            "class_priors": [float(v) for v in spec.class_priors],
            "feature_mean": [float(v) for v in spec.feature_mean],
            "feature_std": [float(v) for v in spec.feature_std],
        }
    with atomic_path(path) as temporary, without_zip_checksums():
        torch.save(payload, temporary)


@contextmanager
def without_zip_checksums() -> Iterator[None]:
    """``torch.save`` inside the block skips the CRC-32 of each record of its zip archive
    (``torch.utils.serialization.config.save.compute_crc32 = False``, PyTorch's documented setting; the
    previous value is restored after, also when the block raises; a torch without the setting, an older
    release, saves as before).

    The checksum protects nothing here: ``torch.load`` never checks it (a file with a flipped byte in a
    tensor loads, with or without it: tried on torch 2.13), and computing it was most of a save's time
    (``tests/benchmarks/test_checkpoint_save.py``): Cnn14's 304 MiB of weights took 1.41 s with it and
    0.23 s without, and Lightning's ``latest.ckpt`` with Adam's moments (912 MiB, written after every epoch)
    5.09 s against 0.77 s, longer than an IRMAS epoch of Cnn14 would take on an H100 (about 1.4 s at 35% of
    its TF32 peak). The files are the same zip archives, read by any torch."""
    try:
        from torch.utils.serialization import config
    except ImportError:
        config = None
    save = getattr(config, "save", None)
    if save is None or not hasattr(save, "compute_crc32"):
        yield
        return
    previous = save.compute_crc32
    save.compute_crc32 = False
    try:
        yield
    finally:
        save.compute_crc32 = previous
