"""Lightning's "`srun` is available" hint never reaches a user (issue 22.11, docs/faults.md case 11).

Lightning warns "The `srun` command is available on your system but is not used. HINT: ... prepend your
python command with `srun`" whenever ``srun`` is on ``PATH`` and ``SLURM_NTASKS`` is unset, or the Slurm job is
named ``bash`` or ``interactive`` (``lightning.fabric.plugins.environments.slurm``, ``_validate_srun_used``):
a login node, an ``salloc`` shell. irbench's runs are single-process, so the hint only misleads; training
silences it (``irbench.run.training._quiet_lightning``). Each case first checks that its environment makes
Lightning itself print the hint, so the test cannot pass only because Lightning stopped warning.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HINT = "`srun` command is available"
SLURM_NODES = {
    "a login node with Slurm installed": {},
    "an salloc shell on a compute node": {"SLURM_JOB_ID": "4242", "SLURM_JOB_NAME": "interactive",
                                          "SLURM_NTASKS": "1", "SLURM_NNODES": "1", "SLURM_NODEID": "0"},
}


def _slurm_environment(tmp_path, variables: dict[str, str]) -> dict[str, str]:
    """This process's environment without its own ``SLURM_*``, plus ``variables`` and a fake ``srun`` first on
    ``PATH``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    srun = bin_dir / "srun"
    srun.write_text("#!/bin/sh\nexit 0\n")
    srun.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    env.update(variables, PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}")
    return env


@pytest.mark.parametrize("node", SLURM_NODES, ids=["login-node", "salloc-shell"])
def test_a_run_on_a_slurm_node_never_prints_lightnings_srun_hint(node, micro_irmas, feature_cache, tmp_path):
    env = _slurm_environment(tmp_path, SLURM_NODES[node])
    lightning = subprocess.run(
        [sys.executable, "-c", "from lightning.pytorch.plugins.environments import SLURMEnvironment\n"
                               "SLURMEnvironment.detect()"],
        env=env, capture_output=True, text=True, timeout=300)
    assert HINT in lightning.stderr, f"this environment no longer makes Lightning print its hint: {lightning}"

    done = subprocess.run(
        [sys.executable, "-m", "irbench", "run", "-t", "irmas", "-b", "vgg", "-d", str(micro_irmas),
         "--results-dir", str(tmp_path / "results"), "--cache-dir", str(feature_cache), "--max-epochs", "1",
         "--workers", "1"],
        env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "epoch 1/1" in done.stderr  # training ran (Lightning built its Trainer, where it warns)
    assert (done.stdout + done.stderr).count(HINT) == 0, done.stderr
    assert "srun" not in done.stdout + done.stderr
