"""Process-wide settings that make GPU results repeatable, applied at the entry points before torch touches
CUDA, and the flags every run record names in its provenance.

- ``CUBLAS_WORKSPACE_CONFIG=:4096:8``: cuBLAS reads it when it creates its first handle; set later (inside
  ``fit``, once CUDA has started) it comes too late on torch releases older than October 2025, and strict
  deterministic algorithms then raise or, worse, run with a non-deterministic workspace.
- ``torch.use_deterministic_algorithms(True)`` (strict, never ``warn_only``: the warning mode would silently
  select e.g. the non-deterministic flash-attention backward of the transformer baseline).
- ``torch.backends.cudnn.benchmark = False`` and ``cudnn.deterministic = True`` (autotuning picks kernels by
  timing, which differs from run to run).
- evaluation in batches of :data:`EVALUATION_BATCH_SIZE` windows whatever the training batch size, since
  convolution outputs depend on batch composition on GPUs (algorithm choice by shape).

:func:`prepare_determinism` is called by the command line's entry and by :func:`irbench.evaluate`; it
imports nothing heavy, so it costs nothing to commands that never train.
"""

from __future__ import annotations

import logging
import os
import sys

CUBLAS_VARIABLE = "CUBLAS_WORKSPACE_CONFIG"
CUBLAS_SETTING = ":4096:8"
DETERMINISTIC_CUBLAS = (":4096:8", ":16:8")
"""The workspace settings NVIDIA documents as deterministic (one is kept when a user set it)."""
EVALUATION_BATCH_SIZE = 64
"""Windows per evaluation batch on every task and baseline (part of the protocol; recorded in provenance)."""
HOST_LOADER_WORKERS = 2
"""Loader processes that read training and validation batches from a host store (the pack's memory map or the
feature cache) while a CUDA device trains; the main process pins and copies them. They only read, so the
batches and their order are those of a loader without workers (tested). None on the CPU, where they would
take cores from training, and none for a device-resident store."""
LOG = logging.getLogger(__name__)
_STATE = {"cublas_before_cuda": None}


def _cuda_started() -> bool:
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    try:
        return bool(torch.cuda.is_initialized())
    except Exception:  # a torch build without CUDA support
        return False


def prepare_determinism() -> None:
    """Set ``CUBLAS_WORKSPACE_CONFIG`` (unless it already names a deterministic setting) and, when torch is
    already imported, its strict deterministic flags (:func:`apply_torch_flags`). It never imports torch
    itself, so a command that needs no torch (``irbench cache info``: 0.4 CPU-s instead of 2.1) starts
    without it; :func:`determinism_flags` tells what the process then runs under.

    Call it first thing in a process's entry, before anything initialises CUDA. When CUDA has already started
    (a notebook that used the GPU before calling ``irbench.evaluate``) and the variable was not set before,
    the variable is set anyway (torch's own check reads it at each cuBLAS call), a warning says cuBLAS may
    already run with another workspace, and the provenance records ``cublas_before_cuda: false``."""
    current = os.environ.get(CUBLAS_VARIABLE)
    started = _cuda_started()
    if current not in DETERMINISTIC_CUBLAS:
        os.environ[CUBLAS_VARIABLE] = CUBLAS_SETTING
        if started:
            LOG.warning("CUDA started before irbench set %s=%s; cuBLAS may not be deterministic in this process. "
                        "Call irbench.run.determinism.prepare_determinism() (or import irbench) before using "
                        "the GPU", CUBLAS_VARIABLE, CUBLAS_SETTING)
    if _STATE["cublas_before_cuda"] is None:  # the first call is the process's entry
        _STATE["cublas_before_cuda"] = current in DETERMINISTIC_CUBLAS or not started
    if "torch" in sys.modules:
        apply_torch_flags()


def apply_torch_flags() -> None:
    """Strict deterministic algorithms, cuDNN deterministic and not autotuned (imports torch)."""
    import torch

    torch.use_deterministic_algorithms(True, warn_only=False)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True


def determinism_flags() -> dict[str, object]:
    """What this process runs under, for the record's provenance: ``cublas_workspace_config`` (the variable,
    ``None`` when unset), ``cublas_before_cuda`` (whether it was set before CUDA started; ``None`` when
    :func:`prepare_determinism` never ran), ``deterministic_algorithms`` and ``deterministic_warn_only``,
    ``cudnn_benchmark``, ``cudnn_deterministic``, ``cuda_matmul_tf32`` and ``cudnn_tf32`` (whether float32
    matrix products and convolutions may use TF32 on Ampere and later), ``evaluation_batch_size`` (windows),
    ``pinned_host_batches`` (the device on which batches from a host store are pinned and copied without
    blocking: ``cuda``; a device-resident store needs no copy) and ``host_loader_workers`` (the loader
    processes that read a host store's batches for CUDA: :data:`HOST_LOADER_WORKERS`)."""
    import torch

    return {
        "cublas_workspace_config": os.environ.get(CUBLAS_VARIABLE),
        "cublas_before_cuda": _STATE["cublas_before_cuda"],
        "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
        "deterministic_warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "cudnn_benchmark": bool(torch.backends.cudnn.benchmark),
        "cudnn_deterministic": bool(torch.backends.cudnn.deterministic),
        "cuda_matmul_tf32": bool(torch.backends.cuda.matmul.allow_tf32),
        "cudnn_tf32": bool(torch.backends.cudnn.allow_tf32),
        "evaluation_batch_size": EVALUATION_BATCH_SIZE,
        "pinned_host_batches": "cuda",
        "host_loader_workers": HOST_LOADER_WORKERS,
    }
