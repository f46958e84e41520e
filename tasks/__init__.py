"""Tasks registered by name (the CLI's ``--task``): datasets with official layouts, splits and protocols.

Entries are registered lazily, so ``irbench list tasks`` and ``--help`` import no dataset code.
"""

from __future__ import annotations

from irbench.registry import Registry
from irbench.task import Task

TASKS: Registry[type[Task]] = Registry("task")
TASKS.register_lazy("irmas", "irbench.tasks.irmas:IrmasTask")


def get_task(name: str) -> Task:
    """Instantiate the task registered as ``name``; raises ``UnknownNameError`` with suggestions."""
    return TASKS.get(name)()
