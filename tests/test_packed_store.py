"""The packed window store: the reader's windows in one verified memory map per split, reused, repaired when
damaged, moved to the device under a budget, and training on it equal to training on the per-file reader
(same seed, resume included)."""

import logging
import pickle

import numpy as np
import pytest
import torch

from irbench.baselines.base import TrainingConfig
from irbench.baselines.networks.vgg import VGGNet
from irbench.features import packed as packed_module
from irbench.features.cache import AudioDuration, FeatureCache
from irbench.features.packed import DeviceWindows, PackDamaged, PackedWindows, device_budget, pack_split, place
from irbench.features.reader import WindowReader
from irbench.run.training import fit, input_store, predict_dataset
from irbench.task import Clip, PredictionType
from irbench.windowing.dataset import WindowDataset
from irbench.windowing.index import build_index

PAD = -10.0
WINDOW = 32
N_FEATURES = 32
FRONTEND = "log-mel-0123456789abcdef"


def _split(tmp_path, n_clips=40, seed=0, window=WINDOW):
    """Random cached features of ``n_clips`` files (32 x 20..100 frames, so some windows are padded) with a
    learnable class cue; returns (index, reader, cache folder)."""
    rng = np.random.default_rng(seed)
    cache = FeatureCache(tmp_path / "cache", "log-mel", {"n": N_FEATURES})
    entries, clips, labels = {}, [], rng.integers(0, 3, n_clips)
    for number in range(n_clips):
        frames = int(rng.integers(20, 100))
        array = rng.standard_normal((N_FEATURES, frames)).astype(np.float32)
        array[labels[number] * 8] += 3.0
        digest = f"{seed:032x}{number:032x}"
        cache.store(digest, array, AudioDuration(frames / 10, frames, 10))
        path = tmp_path / f"audio-{number}.wav"
        entries[path] = cache.verify(digest)
        clips.append(Clip(f"c{number}", path, ()))
    targets = np.eye(3, dtype=np.float32)[labels]
    index = build_index(clips, entries, targets, np.ones_like(targets), window, 10.0)
    return index, WindowReader(PAD, max_open=4), tmp_path / "cache"


def test_a_pack_holds_exactly_the_reader_s_windows(tmp_path):
    index, reader, cache = _split(tmp_path)
    store = pack_split(cache, FRONTEND, "train", index, reader)
    per_file = WindowDataset(index, reader)
    assert store.path.parent == cache.resolve() / "packed" / FRONTEND and store.path.with_suffix(".json").exists()
    assert store.path.name.startswith("train-") and index.padded > 0
    rows = np.random.default_rng(1).permutation(len(index))[:29]
    got = store.windows(rows)
    assert type(got) is np.ndarray and got.dtype == np.float32 and got.shape == (29, N_FEATURES, WINDOW)
    np.testing.assert_array_equal(got, per_file.windows(rows))
    for a, b in zip(store.__getitems__(list(rows)), per_file.__getitems__(list(rows))):
        assert torch.equal(a, b)
    assert store.nbytes == len(index) * N_FEATURES * WINDOW * 4 and store.n_features == N_FEATURES
    assert input_store(store) == "packed" and input_store(per_file) == "per-file"


def test_a_pack_is_written_once_and_reused(tmp_path, monkeypatch):
    index, reader, cache = _split(tmp_path)
    first = pack_split(cache, FRONTEND, "train", index, reader)
    writes = []
    monkeypatch.setattr(packed_module, "_write", lambda *a: writes.append(a))
    again = pack_split(cache, FRONTEND, "train", index, WindowReader(PAD))
    assert again.path == first.path and not writes
    np.testing.assert_array_equal(again.windows(range(len(index))), first.windows(range(len(index))))


def test_other_windows_or_another_split_are_another_pack(tmp_path):
    index, reader, cache = _split(tmp_path)
    path = pack_split(cache, FRONTEND, "train", index, reader).path
    assert pack_split(cache, FRONTEND, "validation", index, reader).path != path
    assert pack_split(cache, FRONTEND, "train", index, WindowReader(PAD + 1)).path != path  # other padding
    shorter, _, _ = _split(tmp_path / "other", window=16)
    assert pack_split(cache, FRONTEND, "train", shorter, reader).path != path


@pytest.mark.parametrize("damage", ["flip", "truncate", "sidecar"])
def test_a_damaged_pack_is_refused_then_rewritten(tmp_path, caplog, damage):
    index, reader, cache = _split(tmp_path)
    store = pack_split(cache, FRONTEND, "train", index, reader)
    expected = store.windows(range(len(index)))
    del store
    path = pack_split(cache, FRONTEND, "train", index, reader).path
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[-5] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(bytes(data[:-64]))
    else:
        path.with_suffix(".json").write_text("{not json")
    with pytest.raises(PackDamaged):
        PackedWindows(path, index)
    with caplog.at_level(logging.WARNING, logger="irbench.features.packed"):
        repaired = pack_split(cache, FRONTEND, "train", index, reader)
    assert "repacking a damaged packed store" in caplog.text
    np.testing.assert_array_equal(repaired.windows(range(len(index))), expected)


def test_a_pack_that_disagrees_with_its_index_is_refused(tmp_path):
    index, reader, cache = _split(tmp_path)
    path = pack_split(cache, FRONTEND, "train", index, reader).path
    other, _, _ = _split(tmp_path / "other", n_clips=10)
    with pytest.raises(PackDamaged, match="index"):
        PackedWindows(path, other)


def test_an_empty_split_is_not_packed(tmp_path):
    index, reader, cache = _split(tmp_path)
    empty = build_index([], {}, np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32), WINDOW, 10.0)
    with pytest.raises(ValueError, match="no window"):
        pack_split(cache, FRONTEND, "validation", empty, reader)


def test_a_pack_pickles_without_its_bytes(tmp_path):
    index, reader, cache = _split(tmp_path)
    store = pack_split(cache, FRONTEND, "train", index, reader)
    store.on_device("cpu")
    blob = pickle.dumps(store)
    assert len(blob) < store.nbytes / 4
    copy = pickle.loads(blob)
    np.testing.assert_array_equal(copy.windows([3, 1, 2]), store.windows([3, 1, 2]))


def test_a_resident_store_gathers_the_same_batches_on_its_device(tmp_path):
    index, reader, cache = _split(tmp_path)
    store = pack_split(cache, FRONTEND, "train", index, reader)
    resident = store.on_device("cpu")
    assert isinstance(resident, DeviceWindows) and resident.resident_device == "cpu"
    assert store.on_device("cpu") is resident  # moved once, kept for the next seed
    assert input_store(resident) == "device" and resident.n_features == N_FEATURES
    rows = [5, 0, 17, 17, 2]
    for a, b in zip(resident.__getitems__(rows), store.__getitems__(rows)):
        assert a.device.type == "cpu" and torch.equal(a, b)
    np.testing.assert_array_equal(resident.windows(rows), store.windows(rows))
    stacked = torch.cat(list(resident.tensor_batches(7, "cpu")))
    np.testing.assert_array_equal(stacked.numpy(), store.windows(range(len(index))))


def test_placement_follows_the_budget(tmp_path, monkeypatch):
    index, reader, cache = _split(tmp_path)
    store = pack_split(cache, FRONTEND, "train", index, reader)
    assert device_budget("cpu") == 0 and place(store, "cpu") is store  # on the CPU the pack is already host memory
    assert place(store, "cpu", budget=store.nbytes - 1) is store
    assert isinstance(place(store, "cpu", budget=store.nbytes), DeviceWindows)
    per_file = WindowDataset(index, reader)
    assert place(per_file, "cpu", budget=1 << 40) is per_file  # only packs move
    monkeypatch.setenv("IRBENCH_DEVICE_STORE_BYTES", "12345")
    assert device_budget("cuda") == 12345
    monkeypatch.delenv("IRBENCH_DEVICE_STORE_BYTES")
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (8_000, 16_000))
    assert device_budget("cuda:0") == 2_000


def _train(tmp_path, train, validation, work, epochs=3, callbacks=()):
    torch.manual_seed(0)
    model = VGGNet(3, (N_FEATURES, WINDOW))
    config = TrainingConfig(max_epochs=epochs, batch_size=16, patience=50)
    result = fit(model, PredictionType.SINGLE_LABEL, train, validation, config, 7, "cpu", tmp_path / work,
                 show_progress=False, callbacks=callbacks)
    return model, result


def _same_weights(a, b):
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(x, y), name


def test_the_same_seed_trains_the_same_weights_from_every_store(tmp_path):
    index, reader, cache = _split(tmp_path)
    held, _, _ = _split(tmp_path / "held", n_clips=12, seed=1)
    store, held_store = (pack_split(cache, FRONTEND, s, i, reader) for s, i in (("train", index), ("v", held)))
    runs = {
        "per-file": (WindowDataset(index, reader), WindowDataset(held, reader)),
        "packed": (store, held_store),
        "device": (store.on_device("cpu"), held_store.on_device("cpu")),
    }
    trained = {name: _train(tmp_path, *data, name) for name, data in runs.items()}
    reference, result = trained["per-file"]
    assert result.input_store == "per-file" and result.best_validation_loss is not None
    for name in ("packed", "device"):
        model, other = trained[name]
        assert other.input_store == name
        _same_weights(reference, model)
        assert other.best_validation_loss == result.best_validation_loss and other.best_epoch == result.best_epoch
    scores = [predict_dataset(trained[name][0], data[1], PredictionType.SINGLE_LABEL, "cpu")
              for name, data in runs.items()]
    assert all(np.array_equal(scores[0], s) for s in scores[1:])


def _stop_at(epoch):
    import lightning as L

    class Stop(L.Callback):
        def on_train_epoch_start(self, trainer, module):
            if trainer.current_epoch == epoch:
                raise KeyboardInterrupt

    return Stop()


@pytest.mark.parametrize("resident", [False, True])
def test_an_interrupted_run_on_the_pack_resumes_to_the_uninterrupted_weights(tmp_path, resident):
    index, reader, cache = _split(tmp_path)
    held, _, _ = _split(tmp_path / "held", n_clips=12, seed=1)
    train, validation = (pack_split(cache, FRONTEND, s, i, reader) for s, i in (("train", index), ("v", held)))
    if resident:
        train, validation = train.on_device("cpu"), validation.on_device("cpu")
    reference, _ = _train(tmp_path, WindowDataset(index, reader), WindowDataset(held, reader), "whole", 4)
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path, train, validation, "cut", 4, callbacks=(_stop_at(2),))
    assert (tmp_path / "cut/latest.ckpt").exists()
    resumed, result = _train(tmp_path, train, validation, "cut", 4)
    assert result.resumed and result.epochs == 4
    _same_weights(reference, resumed)


def test_a_run_packs_its_training_and_validation_splits_and_gives_the_reader_s_numbers(tiny_irmas, tmp_path,
                                                                                       feature_cache, monkeypatch):
    import irbench
    from irbench.run import prepare as prepare_module

    packed_runs = irbench.evaluate("vgg", "irmas", tiny_irmas, results_dir=tmp_path / "a", cache_dir=feature_cache,
                                   device="cpu", max_epochs=2, workers=2)
    packs = sorted((feature_cache / "packed").glob("*/*.npy"))
    assert {p.name.split("-")[0] for p in packs} >= {"train", "validation"}
    monkeypatch.setattr(prepare_module.PreparedData, "dataset",
                        lambda self, split: WindowDataset(self.indexes[split], self.reader))
    reader_runs = irbench.evaluate("vgg", "irmas", tiny_irmas, results_dir=tmp_path / "b", cache_dir=feature_cache,
                                   device="cpu", max_epochs=2, workers=2)
    (a,), (b,) = packed_runs.records, reader_runs.records
    assert a.metrics == b.metrics and a.per_class == b.per_class and a.threshold == b.threshold
    assert a.provenance.determinism["deterministic_algorithms"] is True


@pytest.mark.parametrize("store", ["pack", "per-file"])
def test_loader_workers_read_the_batches_of_a_loader_without_them(tmp_path, store):
    """What a CUDA run's host store does (HOST_LOADER_WORKERS processes read, the main process copies): two
    loader processes read the pack or the cache files, and yield the same batches in the same shuffled order
    as the main process alone, epoch after epoch."""
    from irbench.run.training import _loader

    index, reader, cache = _split(tmp_path)
    windows = pack_split(cache, FRONTEND, "train", index, reader) if store == "pack" else WindowDataset(index, reader)
    plain, workers = (_loader(windows, 8, True, 3, "cpu", workers=n) for n in (0, 2))
    assert workers.num_workers == 2 and plain.num_workers == 0
    for epoch in (0, 1):
        plain.sampler.set_epoch(epoch)
        workers.sampler.set_epoch(epoch)
        batches = list(zip(plain, workers, strict=True))
        assert len(batches) == len(index) // 8 + (len(index) % 8 > 1)
        for one, other in batches:
            assert all(torch.equal(a, b) for a, b in zip(one, other, strict=True))
