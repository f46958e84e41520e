"""Help pages that read well at any width, 80 columns included.

typer (through rich) wraps help text to the terminal's width itself, but keeps the line breaks of a
docstring's second and later paragraphs, and of every paragraph in a group's list of commands: a docstring
hard-wrapped at 120 columns comes out ragged at 80 (a full line, then a short one ending mid-sentence).
:class:`Command` and :class:`Group` join each paragraph's lines into one before rich wraps it, so the source
can stay wrapped; their list of commands shows each command's first sentence. typer also shows ``<bool>``
after every flag (``--quiet``, ``--help``), though a flag takes no value: these classes show nothing there.
And typer labels values with Python's type names (``<list[int]>``, ``<int range>``, ``<list[Path]>``) and
arguments in lower case (``{task}``, though the help says TASK): these classes show the value a user types
(``<int>``, ``<path>``; the help says "repeatable") and arguments in capitals (``TASK``), as the help names
them.

:func:`read_well` gives every command and group of a typer app (sub-apps included, whichever module defines
them) these classes, so no command can be registered without them."""

from __future__ import annotations

import re

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption
from typer.models import DefaultPlaceholder

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`])")
_KEEPS_ITS_LINE = re.compile(r"^(\s|[-*] |\d+\. |\$ )")  # an indented line, a list item or a shell line


def unwrap(text: str | None) -> str | None:
    """``text`` with each paragraph's lines joined by single spaces (paragraphs are separated by blank lines).

    Lines that are meant as lines stay so: a paragraph starting with click's ``\\b`` marker is kept as it
    is, and an indented line, a list item (``- ``, ``* ``, ``1. ``) or a shell line (``$ ``) starts a new
    line. ``None`` stays ``None``."""
    if not text:
        return text
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text.strip("\n")):
        if paragraph.startswith("\b"):
            paragraphs.append(paragraph)
            continue
        lines: list[str] = []
        for line in paragraph.splitlines():
            if lines and not _KEEPS_ITS_LINE.match(line):
                lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"
            else:
                lines.append(line.rstrip())
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def first_sentence(text: str | None) -> str | None:
    """The first sentence of ``text``'s first paragraph (unwrapped): a command's line in its group's list."""
    if not text:
        return text
    paragraph = unwrap(text).split("\n\n", 1)[0].replace("\n", " ").strip()
    return _SENTENCE_END.split(paragraph, maxsplit=1)[0]


_PYTHON_LIST = re.compile(r"^<list\[(.*)\]>$")


def value_label(label: str) -> str:
    """typer's type label of an option as the value a user types: ``<list[int]>`` -> ``<int>`` (the help says
    "repeatable"), ``<int range>`` -> ``<int>`` (typer prints the range beside it), ``<Path>`` -> ``<path>``;
    anything else as it is."""
    listed = _PYTHON_LIST.match(label)
    if listed:
        label = f"<{listed.group(1)}>"
    if label.endswith(" range>"):
        label = label.removesuffix(" range>") + ">"
    return "<path>" if label == "<Path>" else label


def _plain_types(params: list, ctx) -> list:
    """``params`` with typer's ``<bool>`` type label removed from every flag (an empty metavar), every other
    option's label as :func:`value_label` writes it, and every argument named in capitals (``TASK``), as
    the help pages name them; a metavar a command chose is kept."""
    for param in params:
        if param.metavar is not None:
            continue
        if isinstance(param, TyperOption):
            param.metavar = "" if param.is_flag else value_label(param.display_type(ctx))
        elif isinstance(param, TyperArgument):
            param.metavar = param.name.upper()
    return params


class _ReadsWell:
    """Unwrapped help paragraphs (:func:`unwrap`), a first-sentence line in a group's list unless
    ``short_help`` is given, flags without a type label and plain value labels (:func:`_plain_types`): what
    :class:`Command` and :class:`Group` share."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.help = unwrap(self.help)
        self.short_help = self.short_help or first_sentence(self.help)

    def get_params(self, ctx) -> list:
        """typer's parameters (``--help`` included): flags without a type label, values and arguments as a
        user types them (:func:`_plain_types`)."""
        return _plain_types(super().get_params(ctx), ctx)


class Command(_ReadsWell, TyperCommand):
    """A typer command that reads well at 80 columns (see :class:`_ReadsWell`)."""


class Group(_ReadsWell, TyperGroup):
    """A group of commands (``irbench``, ``irbench sweep``, ...) that reads well at 80 columns."""


def read_well(app: typer.Typer) -> typer.Typer:
    """Give ``app``, its commands and (recursively) its sub-apps :class:`Group` and :class:`Command` where
    no class was chosen; returns ``app``. Call it after every command is registered."""
    if app.info.cls in (None, TyperGroup) or isinstance(app.info.cls, DefaultPlaceholder):
        app.info.cls = Group
    for command in app.registered_commands:
        if command.cls in (None, TyperCommand):  # typer's own default: no class was chosen
            command.cls = Command
    if app.registered_callback is not None and isinstance(app.registered_callback.cls,
                                                          DefaultPlaceholder):
        app.registered_callback.cls = Group
    for group in app.registered_groups:
        if group.cls in (None, TyperGroup) or isinstance(group.cls, DefaultPlaceholder):
            group.cls = Group
        if group.typer_instance is not None:
            read_well(group.typer_instance)
    return app
