"""Collecting provenance for run records: versions, git revision, device and dataset fingerprint."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from irbench import __version__

PACKAGES = ("torch", "numpy", "librosa", "soundfile", "soxr", "scikit-learn", "lightning", "pydantic", "scipy")


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape a result (``"absent"`` when not installed)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def git_revision() -> str | None:
    """``git describe --always --dirty`` of irbench's source tree, or ``None`` outside a git checkout."""
    source = Path(__file__).resolve().parent.parent
    try:
        result = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=40"], cwd=source, capture_output=True,
            text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def device_name(device: str) -> str:
    """Human-readable name of the compute device (GPU model, or the CPU's)."""
    import torch

    if device == "cuda":
        return torch.cuda.get_device_name(0)
    return platform.processor() or platform.machine()


def dataset_fingerprint(audio_sha256: dict[str, str]) -> str:
    """SHA-256 over sorted ``clip_id:audio hash`` lines: equal iff the same files under the same ids."""
    digest = hashlib.sha256()
    for clip_id in sorted(audio_sha256):
        digest.update(f"{clip_id}:{audio_sha256[clip_id]}\n".encode())
    return digest.hexdigest()


def torch_threads() -> int:
    """torch's intra-op thread count in this process (training's; CPU results can depend on it)."""
    import torch

    return torch.get_num_threads()


SLURM_VARIABLES = {"slurm_job_id": "SLURM_JOB_ID", "slurm_array_job_id": "SLURM_ARRAY_JOB_ID",
                   "slurm_array_task_id": "SLURM_ARRAY_TASK_ID", "slurm_restart_count": "SLURM_RESTART_COUNT"}


def slurm_ids() -> dict[str, str]:
    """The Slurm job, array and restart ids of this process's job, from its environment (empty outside Slurm)."""
    return {key: os.environ[name] for key, name in SLURM_VARIABLES.items() if os.environ.get(name)}


def base_provenance() -> dict[str, object]:
    """The fields that do not depend on the run: versions, python, platform, and ``determinism``: the
    process's reproducibility flags (:func:`irbench.run.determinism.determinism_flags`: cuBLAS workspace and
    whether it was set before CUDA started, strict deterministic algorithms, cuDNN benchmark off, TF32, the
    fixed evaluation batch size). ``Provenance`` keeps extra keys, so older readers ignore it."""
    from irbench.run.determinism import determinism_flags

    return {
        "irbench_version": __version__, "git_revision": git_revision(), "packages": package_versions(),
        "python": sys.version.split()[0], "platform": platform.platform(), "determinism": determinism_flags(),
    }
