"""The built-in baselines' networks: the ``torch.nn.Module`` classes, the torch functions they use and their
Lightning callbacks, one module per baseline (``irbench.baselines.networks.vgg`` for ``vgg``, ...).

Each baseline's declaration stays in ``irbench.baselines.<name>`` (its ``Baseline`` subclass: name, source,
front end and its configuration, window, training defaults, ``describe()``, ``weights_notes``, and the
module docstring with the source paper, architecture and deviations) and imports its network here only in
``build``. So reading a declaration, as ``irbench report`` and ``irbench list`` do for every configuration,
imports neither torch nor Lightning, the split Hugging Face transformers makes between ``configuration_X.py``
and ``modeling_X.py``. A network module never imports its declaration module, whose ``build`` imports it
(the other way would close an import cycle, which ``tests/test_import_layers.py`` refuses): what only a
network reads, such as its channel widths, lives with the network.
"""
