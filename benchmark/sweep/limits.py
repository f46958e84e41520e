"""A Slurm partition's limits, and the sweep's ``--time``, ``--partition``, ``--gpus``, ``--cpus`` and
``--mem-gb`` checked against them before anything is submitted.

The limits come from ``scontrol show partition NAME --oneliner`` (``MaxTime``, ``MaxCPUsPerNode``,
``MaxMemPerNode``, ``TRES``, ``State``) and, when ``sinfo`` answers, the largest node of the partition
(``sinfo -p NAME -o %c|%m|%G``: CPUs, memory in MB, generic resources); a job of the sweep runs on one node,
so a request larger than any node of the partition never starts. Without ``scontrol`` nothing is checked,
and :func:`check_limits` says so in a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from irbench.errors import ConfigError
from irbench.sweep.executors import parse_minutes
from irbench.sweep.scheduler import one_line, run_command

_UNLIMITED = {"UNLIMITED", "INFINITE", "NONE", "N/A", ""}
_MEMORY = re.compile(r"(\d+(?:\.\d+)?)([KMGTP]?)", re.IGNORECASE)
_MB = {"K": 1 / 1024, "": 1, "M": 1, "G": 1024, "T": 1024**2, "P": 1024**3}


@dataclass
class PartitionLimits:
    """What one job may ask of a partition: ``max_time`` (minutes), ``max_cpus`` and ``max_mem_mb`` per node,
    ``gpus`` on its largest node (``None``: unknown), each with the words Slurm used (for messages), and the
    partition's ``state`` (``UP``, ``DOWN``, ``DRAIN``, ``INACTIVE``)."""

    name: str
    state: str = "UP"
    max_time: int | None = None
    max_time_text: str = ""
    max_cpus: int | None = None
    max_cpus_text: str = ""
    max_mem_mb: float | None = None
    max_mem_text: str = ""
    gpus: int | None = None
    gpus_text: str = ""


def _fields(line: str) -> dict[str, str]:
    return dict(token.split("=", 1) for token in line.split() if "=" in token)


def _memory_mb(text: str) -> float | None:
    match = _MEMORY.fullmatch(text.strip())
    return float(match.group(1)) * _MB[match.group(2).upper()] if match else None


def _gpus(gres: str) -> int:
    """GPUs in a gres list: ``gpu:a100:4(S:0-1),shard:8`` -> 4; ``(null)`` -> 0."""
    total = 0
    for item in re.sub(r"\([^)]*\)", "", gres).split(","):
        parts = item.strip().split(":")
        if parts[0] == "gpu":
            total += int(parts[-1]) if parts[-1].isdigit() else 1
    return total


def _node_resources(name: str) -> tuple[int, float, int] | None:
    """The largest CPUs, memory (MB) and GPUs of a node of partition ``name`` (``sinfo``), or ``None``."""
    code, out, _ = run_command(["sinfo", "--noheader", "--partition", name, "--format=%c|%m|%G"])
    rows = [line.split("|") for line in out.splitlines() if line.count("|") == 2] if code == 0 else []
    if not rows:
        return None
    try:
        return (max(int(r[0].rstrip("+")) for r in rows), max(float(r[1].rstrip("+")) for r in rows),
                max(_gpus(r[2]) for r in rows))
    except ValueError:
        return None


def partition_limits(partition: str | None) -> tuple[PartitionLimits | None, str]:
    """The limits of ``partition`` (``None``: the cluster's default one), or ``(None, note)`` when they cannot
    be read (no ``scontrol``, or no default partition).

    Raises ``ConfigError`` naming ``--partition`` when Slurm has no such partition."""
    code, out, err = run_command(["scontrol", "show", "partition", *([partition] if partition else []), "--oneliner"])
    if code == 127:
        return None, "scontrol is not on PATH: --time, --partition, --gpus, --cpus and --mem-gb are not checked " \
                     "against the partition's limits"
    if code != 0:
        said = one_line(f"{err}\n{out}")  # scontrol says "Partition X not found" on standard output
        if partition and "not found" in said.lower():
            raise ConfigError(f"--partition {partition}: Slurm has no such partition ({said}){_known_partitions()}")
        return None, f"partition limits not checked: scontrol failed ({said or f'exit {code}'})"
    rows = [_fields(line) for line in out.splitlines() if "PartitionName=" in line]
    chosen = [row for row in rows if row.get("PartitionName") == partition] if partition else \
        [row for row in rows if row.get("Default") == "YES"]
    if not chosen:
        if partition:
            raise ConfigError(f"--partition {partition}: Slurm has no such partition{_known_partitions()}")
        return None, "no --partition and no default partition: limits not checked"
    return _limits(chosen[0]), ""


def _known_partitions() -> str:
    code, out, _ = run_command(["scontrol", "show", "partition", "--oneliner"])
    names = [_fields(line).get("PartitionName", "") for line in out.splitlines()] if code == 0 else []
    names = [name for name in names if name]
    return f"; partitions: {', '.join(names)}" if names else ""


def _limits(row: dict[str, str]) -> PartitionLimits:
    name = row.get("PartitionName", "?")
    limits = PartitionLimits(name=name, state=row.get("State", "UP"))
    time_text = row.get("MaxTime", "UNLIMITED")
    if time_text.upper() not in _UNLIMITED:
        try:
            limits.max_time, limits.max_time_text = parse_minutes(time_text), f"MaxTime={time_text}"
        except ConfigError:
            pass
    tres = dict(item.split("=", 1) for item in row.get("TRES", "").split(",") if "=" in item)
    node = _node_resources(name)
    cpus = [(int(row["MaxCPUsPerNode"]), f"MaxCPUsPerNode={row['MaxCPUsPerNode']}")] \
        if row.get("MaxCPUsPerNode", "").isdigit() else []
    cpus += [(node[0], f"{node[0]} CPUs on its largest node")] if node else \
        [(int(tres["cpu"]), f"TRES cpu={tres['cpu']}")] if tres.get("cpu", "").isdigit() else []
    if cpus:
        limits.max_cpus, limits.max_cpus_text = min(cpus)
    memory = [(float(row["MaxMemPerNode"]), f"MaxMemPerNode={row['MaxMemPerNode']}")] \
        if row.get("MaxMemPerNode", "").isdigit() else []
    if node:
        memory.append((node[1], f"{node[1]:.0f} MB on its largest node"))
    elif _memory_mb(tres.get("mem", "x")) is not None:
        memory.append((_memory_mb(tres["mem"]), f"TRES mem={tres['mem']}"))
    if memory:
        limits.max_mem_mb, limits.max_mem_text = min(memory)
    if node:
        limits.gpus, limits.gpus_text = node[2], f"{node[2]} GPU(s) on its largest node"
    elif tres:
        count = sum(int(v) for k, v in tres.items() if k.startswith("gres/gpu") and ":" not in k and v.isdigit())
        limits.gpus, limits.gpus_text = count, f"TRES={row.get('TRES', '')}"
    return limits


def check_limits(settings, device: str) -> list[str]:
    """Check a sweep's :class:`~irbench.sweep.slurm.SlurmSettings` against its partition's limits; returns
    notes (limits that could not be read, a partition that is not ``UP``).

    Raises ``ConfigError`` naming each request over a limit, e.g. ``partition debug: MaxTime=01:00:00 <
    --time 4:00:00``."""
    limits, note = partition_limits(settings.partition)
    if limits is None:
        return [note]
    problems = []
    where = f"partition {limits.name}"
    minutes = settings.minutes()
    if limits.max_time is not None and minutes > limits.max_time:
        problems.append(f"{limits.max_time_text} < --time {settings.time} (the jobs would wait forever with reason "
                        f"PartitionTimeLimit; pass --time {limits.max_time} or less)")
    gpus = settings.gpus if settings.gpus is not None else (0 if device == "cpu" else 1)
    if not settings.gres and gpus and limits.gpus is not None and gpus > limits.gpus:
        hint = " (pass --gpus 0 --device cpu for a CPU-only partition)" if limits.gpus == 0 else ""
        problems.append(f"{limits.gpus_text} < --gpus {gpus}{hint}")
    if settings.cpus and limits.max_cpus is not None and settings.cpus > limits.max_cpus:
        problems.append(f"{limits.max_cpus_text} < --cpus {settings.cpus}")
    if settings.mem_gb and limits.max_mem_mb is not None and settings.mem_gb * 1024 > limits.max_mem_mb:
        problems.append(f"{limits.max_mem_text} < --mem-gb {settings.mem_gb:g} ({settings.mem_gb * 1024:.0f} MB)")
    if problems:
        raise ConfigError(f"{where}: {'; '.join(problems)}")
    if limits.state.upper() != "UP":
        return [f"{where} is {limits.state}: the jobs will wait until it is UP"]
    return []
