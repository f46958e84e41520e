"""Running the ``irbench`` console entry point in-process, as a user would from a shell."""

from __future__ import annotations

import sys

import pytest


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    """Call ``irbench.cli.main`` with ``args``; returns (exit status, stdout, stderr)."""
    from irbench.cli import main

    monkeypatch.setattr(sys, "argv", ["irbench", *args])
    try:
        main()
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def record_file(results, task: str, baseline: str, seed: int = 0):
    """The one run record of ``task`` x ``baseline`` x ``seed`` under ``results`` (any configuration folder:
    ``<results>/<task>/<baseline>/<configuration>/seed-<n>.json``); fails the test unless exactly one exists."""
    from pathlib import Path

    found = sorted(Path(results).glob(f"{task}/{baseline}/*/seed-{seed}.json"))
    assert len(found) == 1, f"expected one record of {task}/{baseline}/seed-{seed} under {results}, found {found}"
    return found[0]


def planned_folder(results, task: str, baseline: str, overrides=(), max_epochs=None, device: str = "auto"):
    """The folder a run of ``task`` x ``baseline`` with these settings writes its records to, computed before
    the run as irbench computes it (:func:`irbench.sweep.identity.planned_config`)."""
    from pathlib import Path

    from irbench.sweep.identity import planned_config

    planned = planned_config(task, baseline, list(overrides), max_epochs, None, device)
    return Path(results) / task / baseline / planned.configuration.folder


def failure_file(results, task: str, baseline: str, seed: int = 0):
    """The one failure record of ``task`` x ``baseline`` x ``seed`` under ``results`` (any configuration)."""
    from pathlib import Path

    found = sorted(Path(results).glob(f"{task}/{baseline}/*/seed-{seed}.failure.json"))
    assert len(found) == 1, f"expected one failure record of {task}/{baseline}/seed-{seed}, found {found}"
    return found[0]
