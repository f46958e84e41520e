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
