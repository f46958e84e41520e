"""submitit's log messages, each shown once (its logger prints warnings twice and repeats some every poll)."""

from __future__ import annotations

import re

def quiet_repeats(name: str = "submitit") -> None:
    """Let submitit's logger (``name``) print each warning once: its configuration sends every record to two
    handlers, ``submitit_err`` (standard error, warnings and up) and ``submitit_out`` (standard output,
    everything), so a warning appeared twice; and it repeats some on every poll (``Call #7 - Bypassing sacct
    error``). Afterwards ``submitit_out`` passes only records below WARNING, and a repeated message (call
    numbers ignored) is dropped. Idempotent; uses only :mod:`logging`'s public API."""
    import logging

    target = logging.getLogger(name)
    if not any(isinstance(item, _OnceFilter) for item in target.filters):
        target.addFilter(_OnceFilter())
    for handler in target.handlers:
        if handler.get_name() == "submitit_out" and not any(isinstance(f, _BelowWarning) for f in handler.filters):
            handler.addFilter(_BelowWarning())


class _BelowWarning:
    """A logging filter that passes records below WARNING (the other handler shows the rest)."""

    def filter(self, record) -> bool:
        """Whether ``record`` is below WARNING."""
        return record.levelno < 30


class _OnceFilter:
    """A logging filter that passes each message once (call numbers ignored)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def filter(self, record) -> bool:
        """Whether ``record``'s message is new."""
        text = re.sub(r"^Call #\d+ - ", "", record.getMessage())
        if text in self.seen:
            return False
        self.seen.add(text)
        return True
