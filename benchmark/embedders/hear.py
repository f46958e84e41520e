"""Any importable HEAR 2021 API module as an irbench :class:`~irbench.embedders.base.Embedder`:
``hear:<python.module>``.

The HEAR 2021 API (hearbenchmark.com ``docs/hear-api.md``) is a module with

- ``load_model(model_file_path="") -> model``, the model carrying ``sample_rate`` (Hz),
  ``scene_embedding_size`` and ``timestamp_embedding_size``;
- ``get_timestamp_embeddings(audio (n_sounds, n_samples) float32 in [-1, 1], model) -> (embeddings
  (n_sounds, n_timestamps, timestamp_embedding_size) float32, timestamps (n_sounds, n_timestamps) ms)``;
- ``get_scene_embeddings(audio, model) -> (n_sounds, scene_embedding_size)``.

The adapter uses ``get_timestamp_embeddings`` (irbench pools frames itself); ``irbench validate hear:<module>``
also checks the rest of the API as ``hear-validator`` does (:mod:`irbench.embedders.hear_checks`). Like HEAR's
eval kit (``heareval/embeddings/task_embeddings.py``) it calls the module under ``torch.no_grad()`` with a
torch tensor on the model's device, ``cuda`` when available unless a device is named; unlike it, it also puts
a torch model in ``eval()`` mode, so dropout left on cannot make embeddings random.

Importing a module runs its code: irbench imports one only when the user names it (``hear:<module>`` on the
command line or in :func:`irbench.embedders.get_embedder`), and only names made of dotted Python identifiers.
"""

from __future__ import annotations

import importlib
import keyword
import numbers
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

from irbench.embedders.base import Embedder, EmbedderError

PREFIX = "hear:"
REQUIRED_FUNCTIONS = ("load_model", "get_timestamp_embeddings")
"""What the adapter calls; ``get_scene_embeddings`` is HEAR API too, checked by ``irbench validate``."""


class HearApiError(EmbedderError):
    """A HEAR module cannot be used: it does not import, lacks an API function or model attribute, or its
    ``load_model`` fails; the message names the module and the problem."""


def check_module_name(module: str) -> str:
    """``module`` if it is a dotted Python module name (``my_pkg.hear_api``), else raises
    :class:`HearApiError`: nothing but such names is ever imported."""
    parts = module.split(".") if isinstance(module, str) else []
    if not parts or not all(part.isidentifier() and part.isascii() and not keyword.iskeyword(part)
                            for part in parts):
        raise HearApiError(f"'hear:{module}' does not name a Python module: give dotted identifiers, e.g. "
                           "hear:my_package.hear_api")
    return module


def import_hear_module(module: str) -> ModuleType:
    """Import the HEAR module ``module`` (its code runs); raises :class:`HearApiError` naming it when the name
    is malformed or the import fails."""
    check_module_name(module)
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        raise HearApiError(f"hear:{module}: cannot import {error.name!r} (is the package installed in this "
                           f"environment?)") from error
    except (Exception, SystemExit) as error:  # the module's own code failed
        raise HearApiError(f"hear:{module}: importing it failed ({type(error).__name__}: {error})") from error


def whole_number(value: Any) -> int | None:
    """``value`` as an int when it is a whole number (``16000``, ``np.int64(16000)``, ``16000.0``), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return int(value)
    return None


def module_version(module: ModuleType) -> str:
    """The module's ``__version__``, else the version of the distribution that installed its top-level
    package, else ``"unknown"``."""
    declared = getattr(module, "__version__", None)
    if declared is not None:
        return str(declared)
    top = module.__name__.split(".")[0]
    for distribution in metadata.packages_distributions().get(top, []):
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


def _is_tensorflow(model: object) -> bool:
    return any(cls.__module__.split(".")[0] in ("tensorflow", "keras", "tf_keras") for cls in type(model).__mro__)


class HearEmbedder(Embedder):
    """The HEAR 2021 module ``module`` as an embedder, its model loaded once.

    Parameters
    ----------
    module:
        A dotted Python module name implementing the HEAR 2021 API (``hear_example``).
    model_file:
        Passed to ``load_model`` (HEAR's ``model_file_path``); its SHA-256 becomes :attr:`weights_sha256`.
        ``None``: ``load_model()`` is called without an argument, as ``hear-validator`` does.
    device:
        ``"auto"`` (``cuda`` when available, else ``cpu``, as HEAR's eval kit), ``"cpu"``, ``"cuda"``, ...;
        a torch model is moved there and audio is passed on that device.

    Attributes: ``name`` ``"hear:<module>"``, ``version`` (see :func:`module_version`), ``sample_rate`` and
    ``embedding_size`` from the model's ``sample_rate`` and ``timestamp_embedding_size``, ``weights_sha256``,
    ``module`` (the imported module), ``model`` (what ``load_model`` returned), ``device``.

    Raises
    ------
    HearApiError
        The module does not import, lacks ``load_model`` or ``get_timestamp_embeddings``, ``load_model``
        fails, the model lacks ``sample_rate`` or ``timestamp_embedding_size`` (or they are not positive whole
        numbers), or the model is a TensorFlow one (not supported yet); also a ``model_file`` that is not a
        readable file.
    """

    def __init__(self, module: str, model_file: str | Path | None = None, device: str = "auto"):
        import torch

        self.name = f"{PREFIX}{module}"
        self.module = import_hear_module(module)
        missing = [f for f in REQUIRED_FUNCTIONS if not callable(getattr(self.module, f, None))]
        if missing:
            raise HearApiError(f"{self.name}: the module has no function {' or '.join(missing)} (HEAR 2021 API: "
                               "load_model, get_timestamp_embeddings, get_scene_embeddings)")
        self.model_file = None if model_file in (None, "") else Path(model_file)
        self.weights_sha256 = self._weights_digest()
        self.version = module_version(self.module)
        self.description = (self.module.__doc__ or f"HEAR 2021 module {module}").strip().splitlines()[0]
        self.model = self._load()
        self.sample_rate = self._size("sample_rate", "Hz")
        self.embedding_size = self._size("timestamp_embedding_size", "dimensions")
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = str(device)
        if isinstance(self.model, torch.nn.Module):
            try:
                self.model.to(self.device).eval()
            except (RuntimeError, AssertionError, ValueError) as error:
                raise HearApiError(f"{self.name}: cannot move the model to device {self.device!r} ({error})") from error

    def _weights_digest(self) -> str | None:
        if self.model_file is None:
            return None
        from irbench.data.hashing import file_digest

        if not self.model_file.is_file():
            raise HearApiError(f"{self.name}: model_file {self.model_file} is not a file")
        try:
            return file_digest(self.model_file)
        except OSError as error:
            raise HearApiError(f"{self.name}: cannot read model_file {self.model_file} ({error})") from error

    def _load(self) -> Any:
        try:
            model = (self.module.load_model(str(self.model_file)) if self.model_file is not None
                     else self.module.load_model())
        except (Exception, SystemExit) as error:
            raise HearApiError(f"{self.name}: load_model failed ({type(error).__name__}: {error})") from error
        if _is_tensorflow(model):
            raise HearApiError(f"{self.name}: load_model returned a TensorFlow model ({type(model).__name__}); "
                               "irbench runs PyTorch HEAR modules only")
        return model

    def _size(self, attribute: str, unit: str) -> int:
        if not hasattr(self.model, attribute):
            raise HearApiError(f"{self.name}: the model ({type(self.model).__name__}) has no attribute "
                               f"{attribute!r} (HEAR 2021 API: sample_rate, scene_embedding_size, "
                               "timestamp_embedding_size)")
        value = whole_number(getattr(self.model, attribute))
        if value is None or value < 1:
            raise HearApiError(f"{self.name}: model.{attribute} is {getattr(self.model, attribute)!r}, not a "
                               f"positive whole number of {unit}")
        return value

    def to_model_input(self, audio: Any) -> Any:
        """``audio`` as the torch tensor the module receives: float32, on the model's device."""
        import torch

        return torch.as_tensor(audio, dtype=torch.float32).to(self.device)

    def compute(self, audio: Any) -> tuple[Any, Any]:
        """``get_timestamp_embeddings(audio, model)`` under ``torch.no_grad()``; raises :class:`HearApiError`
        naming the module when the call fails or does not return a pair."""
        import torch

        with torch.no_grad():
            try:
                result = self.module.get_timestamp_embeddings(self.to_model_input(audio), self.model)
            except Exception as error:
                raise HearApiError(f"{self.name}: get_timestamp_embeddings failed on audio of shape "
                                   f"{tuple(audio.shape)} ({type(error).__name__}: {error})") from error
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise HearApiError(f"{self.name}: get_timestamp_embeddings must return (embeddings, timestamps), "
                               f"got a {type(result).__name__}")
        return result[0], result[1]

    def describe(self) -> dict[str, Any]:
        """:meth:`Embedder.describe` plus the HEAR module, the model file and the device."""
        return {**super().describe(), "hear_module": self.module.__name__,
                "model_file": str(self.model_file) if self.model_file is not None else None,
                "device": self.device}
