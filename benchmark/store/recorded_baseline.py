"""The baseline that made a run, as its record names it: the registered one, or the Python class the record
says built it (``config.baseline.python_class``, ``module:qualname``), imported.

Importing a module a record names runs that module's code. Only :func:`irbench.predict.load_run` calls
:func:`recorded_baseline`, for the one record a user points ``irbench predict`` at; nothing that merely reads
records (``irbench report``, :func:`irbench.load_results`, the sweep) imports what a record names.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

from irbench.baselines import BASELINES, get_baseline, is_scheme_name
from irbench.baselines.base import Baseline
from irbench.errors import IrbenchError
from irbench.store.records import RunRecord

_CLASS_PATH = re.compile(r"(?P<module>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):(?P<qualname>[\w<>]+(?:\.[\w<>]+)*)")


def recorded_baseline(record: RunRecord, record_path: Path) -> Baseline:
    """The registered baseline of ``record.baseline``, else an instance of the class the record names
    (``config.baseline.python_class``): its module imported (``__main__``: the running script or notebook,
    never re-run), the class looked up by its qualified name and built with no arguments.

    Raises
    ------
    IrbenchError: naming ``record_path``: the record names no class (irbench < 0.2) or a malformed one; the
        module cannot be imported (says which module to put on ``PYTHONPATH`` or install) or fails while
        importing; the class is defined inside a function, is missing, is no ``Baseline`` subclass, cannot be
        built with no arguments, or is now named otherwise than the record's baseline.
    UnknownNameError, TypeError: as :func:`irbench.baselines.get_baseline` for a registered name.
    """
    if is_scheme_name(record.baseline) or record.baseline in BASELINES:
        return get_baseline(record.baseline)
    where = record.config.baseline.python_class
    if not where:
        raise IrbenchError(
            f"{record_path}: baseline {record.baseline!r} is not registered here, and the record (irbench "
            f"{record.provenance.irbench_version}) does not say which class built it; install the package "
            "that registers it")
    found = _CLASS_PATH.fullmatch(where)
    if found is None:
        raise IrbenchError(f"{record_path}: config.baseline.python_class {ascii(where)[:80]} is not "
                           "'module:qualname'")
    module_name, qualname = found["module"], found["qualname"]
    if "<locals>" in qualname:
        raise IrbenchError(
            f"{record_path}: baseline {record.baseline!r} was built by {where}, a class defined inside a "
            "function, which cannot be imported; define it at the top level of a module and run again")
    if module_name == "__main__":
        module = sys.modules.get("__main__")
        if module is None or _attribute(module, qualname) is None:
            raise IrbenchError(
                f"{record_path}: baseline {record.baseline!r} was built by {qualname}, a class defined in "
                "__main__ (a script or notebook), which this process cannot import; move the class into a "
                "module (e.g. my_models.py) on PYTHONPATH and run again, or from the process that defines it "
                f"call irbench.predict.load_run(path, baseline={qualname}())")
    else:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            missing = error.name or module_name
            if module_name == missing or module_name.startswith(missing + "."):
                raise IrbenchError(
                    f"{record_path}: baseline {record.baseline!r} is not registered here; its record says "
                    f"{where} built it, but no module named {missing!r} can be imported: put the folder that "
                    f"holds {module_name.replace('.', '/')}.py on PYTHONPATH (or pip install the package "
                    "that provides it) and run again") from error
            raise IrbenchError(f"{record_path}: importing {module_name} (the module of baseline "
                               f"{record.baseline!r}) failed: {error}") from error
        except (Exception, SystemExit) as error:  # their code: any error of theirs is theirs to see
            raise IrbenchError(f"{record_path}: importing {module_name} (the module of baseline "
                               f"{record.baseline!r}) failed: {type(error).__name__}: {error}") from error
    cls = _attribute(module, qualname)
    if not (isinstance(cls, type) and issubclass(cls, Baseline)):
        shown = "nothing" if cls is None else f"a {type(cls).__name__}"
        raise IrbenchError(f"{record_path}: {where} (the class of baseline {record.baseline!r}) is {shown}, "
                           "not a subclass of irbench.Baseline")
    try:
        built = cls()
    except Exception as error:
        raise IrbenchError(f"{record_path}: {where} cannot be built with no arguments ({type(error).__name__}: "
                           f"{error}); irbench.predict.load_run(path, baseline=...) takes an instance") from error
    if getattr(built, "name", None) != record.baseline:
        raise IrbenchError(f"{record_path}: {where} is now named {getattr(built, 'name', None)!r}, but the run "
                           f"was of baseline {record.baseline!r}; the class changed since the run")
    return built


def _attribute(module, qualname: str):
    """``module.<qualname>`` through its dotted parts, or ``None`` where a part is missing."""
    found = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
        if found is None:
            return None
    return found
