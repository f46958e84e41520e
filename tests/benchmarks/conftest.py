"""Benchmarks run only when measured (``--benchmark-enable``): skipped at collection otherwise, so that no
module fixture (a rendered stand-in, 1,000 written records) is built for a test that then skips."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every benchmark here skipped when benchmarks are disabled (pytest-benchmark's own rule)."""
    if not (config.getoption("benchmark_disable") and not config.getoption("benchmark_enable")):
        return
    here = __file__.rsplit("/", 1)[0]
    for item in items:
        if str(item.path).startswith(here + "/"):
            item.add_marker(pytest.mark.skip(reason=f"{item.path.name}: measured with --benchmark-enable "
                                                    "(see the module docstring)"))
