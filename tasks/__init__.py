"""Tasks registered by name (the CLI's ``--task``): datasets with official layouts, splits and protocols.

Entries are registered lazily, so ``--help`` imports no dataset code. Third-party tasks join through the
``irbench.tasks`` entry-point group; looking one up by name imports only its own entry point and checks its
contract (:func:`irbench.contracts.check_task`) then; listing them (``irbench list``) loads them all.
"""

from __future__ import annotations

from irbench.registry import Registry
from irbench.task import Task

def _check(entry: object) -> str | None:
    """What is wrong with a registered task: it must be a ``Task`` subclass with ``TaskMetadata``."""
    from irbench.task import TaskMetadata

    if not (isinstance(entry, type) and issubclass(entry, Task)):
        return f"is a {type(entry).__name__}, not a subclass of irbench.task.Task"
    if not isinstance(getattr(entry, "metadata", None), TaskMetadata):
        return "has no TaskMetadata in its `metadata` attribute"
    if not entry.__module__.startswith("irbench."):  # a plugin: its protocol must keep its promises
        from irbench.contracts import check_task

        problems = check_task(entry())
        if problems:
            return "breaks the task contract: " + "; ".join(map(str, problems))
    return None


TASKS: Registry[type[Task]] = Registry("task", entry_point_group="irbench.tasks", check=_check)
TASKS.register_lazy("irmas", "irbench.tasks.irmas:IrmasTask")
TASKS.register_lazy("openmic", "irbench.tasks.openmic:OpenMicTask")
TASKS.register_lazy("medley-solos", "irbench.tasks.medley_solos:MedleySolosTask")
TASKS.register_lazy("medley-solos-binary", "irbench.tasks.medley_solos:MedleySolosBinaryTask")
TASKS.register_lazy("musicnet", "irbench.tasks.musicnet:MusicNetTask")
TASKS.register_lazy("musicnet-instruments", "irbench.tasks.musicnet:MusicNetInstrumentsTask")


def get_task(name: str) -> Task:
    """Instantiate the task registered as ``name``; raises ``UnknownNameError`` with suggestions."""
    return TASKS.get(name)()
