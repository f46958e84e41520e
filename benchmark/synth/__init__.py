"""Offline stand-ins: datasets rendered from a General MIDI SoundFont in the real on-disk layouts.

Each generator writes exactly the files, names and audio formats of its dataset, so the task loaders read a
stand-in and the real download alike, and marks the folder (``irbench-stand-in.json``) so every result on it
is labelled a stand-in.
"""

from __future__ import annotations

from irbench.registry import Registry

STAND_INS: Registry = Registry("stand-in generator")
STAND_INS.register_lazy("irmas", "irbench.synth.irmas:IrmasStandIn")
STAND_INS.register_lazy("openmic", "irbench.synth.openmic:OpenMicStandIn")
STAND_INS.register_lazy("medley-solos", "irbench.synth.medley_solos:MedleySolosStandIn")
STAND_INS.register_lazy("musicnet", "irbench.synth.musicnet:MusicNetStandIn")
# tasks that read another task's stand-in
STAND_IN_OF = {"medley-solos-binary": "medley-solos", "musicnet-instruments": "musicnet"}
