"""OpenMIC-2018's official baseline model: one random forest per instrument on time-averaged VGGish features,
fitted with scikit-learn and evaluated in torch so it lives in an ordinary, ``weights_only`` checkpoint.

The protocol (Humphrey, Durand and McFee, ISMIR 2018; the dataset's ``modeling-baseline`` notebook): for
each instrument, a ``RandomForestClassifier(n_estimators=100, max_depth=8)`` fitted on the training clips
whose label for that instrument is observed (the others are left out, never taken as negatives), positive
when the aggregated relevance is at least 0.5, on the clip's VGGish features averaged over time. Its score
is ``predict_proba``'s positive column. irbench seeds each forest with the run's seed plus the class index.

:func:`fit_forests` fits them and copies each tree's node arrays (scikit-learn's public ``tree_`` structure:
``children_left``, ``children_right``, ``feature``, ``threshold``, ``value``) into a :class:`ForestNet`,
whose buffers have a fixed shape for a given class count, tree count and depth, so ``irbench predict`` can
rebuild the module before loading its state. :class:`ForestNet` walks every tree at once and averages the
trees' leaf probabilities, as ``predict_proba`` does; a test checks the two agree to 1e-6. Comparisons run
in float64 against scikit-learn's float64 thresholds on float32 features, as scikit-learn compares.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from irbench.task import PredictionType

_EPSILON = 1e-6


class ForestNet(nn.Module):
    """Windows ``(batch, D, frames)`` -> logits ``(batch, n_classes)``: the mean over frames, then per class
    the mean leaf probability of its ``n_trees`` trees of depth at most ``max_depth``, as log-probabilities
    (single-label) or logits (multi-label). Before :func:`fit_forests` every tree is a single leaf of 0.5."""

    def __init__(self, n_classes: int, n_trees: int, max_depth: int, prediction_type: PredictionType):
        super().__init__()
        nodes = 2 ** (max_depth + 1) - 1
        self.max_depth = max_depth
        self.single_label = prediction_type is PredictionType.SINGLE_LABEL
        shape = (n_classes, n_trees, nodes)
        self.register_buffer("feature", torch.zeros(shape, dtype=torch.int64))
        self.register_buffer("threshold", torch.zeros(shape, dtype=torch.float64))
        self.register_buffer("left", torch.full(shape, -1, dtype=torch.int64))
        self.register_buffer("right", torch.full(shape, -1, dtype=torch.int64))
        self.register_buffer("leaf", torch.full(shape, 0.5, dtype=torch.float64))

    def probabilities(self, features: torch.Tensor) -> torch.Tensor:
        """``(batch, D)`` features -> ``(batch, n_classes)`` forest probabilities (float64)."""
        x = features.to(torch.float32).to(torch.float64)
        classes, trees, _ = self.feature.shape
        node = torch.zeros((x.shape[0], classes, trees), dtype=torch.int64, device=x.device)
        flat = lambda table: table.reshape(1, classes, trees, -1).expand(x.shape[0], -1, -1, -1)  # noqa: E731
        for _ in range(self.max_depth + 1):
            index = node[..., None]
            left = flat(self.left).gather(3, index)[..., 0]
            at_leaf = left < 0
            chosen = flat(self.feature).gather(3, index)[..., 0]
            value = x.gather(1, chosen.reshape(x.shape[0], -1)).reshape(chosen.shape)
            go_left = value <= flat(self.threshold).gather(3, index)[..., 0]
            right = flat(self.right).gather(3, index)[..., 0]
            node = torch.where(at_leaf, node, torch.where(go_left, left, right))
        return flat(self.leaf).gather(3, node[..., None])[..., 0].mean(dim=-1)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        """``(batch, D, frames)`` -> ``(batch, n_classes)`` float32."""
        p = self.probabilities(windows.mean(dim=-1)).clamp(_EPSILON, 1 - _EPSILON)
        return (p.log() if self.single_label else torch.logit(p)).to(torch.float32)


def fit_forests(model: ForestNet, features: np.ndarray, targets: np.ndarray, mask: np.ndarray, seed: int) -> dict:
    """Fit one ``RandomForestClassifier`` per class of ``model`` and copy the trees into its buffers.

    Parameters
    ----------
    features: ``(n_clips, D)`` time-averaged features. targets, mask: ``(n_clips, n_classes)`` multi-hot
        labels and which of them are observed (only observed pairs train a class's forest).
    seed: the run's seed (class ``c``'s forest uses ``seed + c``).

    Returns what the record notes: per class the number of training clips and positives (a class with one
    label value only gets a constant forest: that value's frequency).
    """
    from sklearn.ensemble import RandomForestClassifier

    classes, trees, nodes = model.feature.shape
    counts = []
    for c in range(classes):
        observed = mask[:, c] > 0
        y = (targets[observed, c] >= 0.5).astype(np.int64)
        counts.append({"clips": int(observed.sum()), "positives": int(y.sum())})
        if len(np.unique(y)) < 2:  # nothing to split: every tree is a leaf of the one value seen
            model.leaf[c, :, 0] = float(y[0]) if len(y) else 0.5
            continue
        forest = RandomForestClassifier(n_estimators=trees, max_depth=model.max_depth, random_state=seed + c,
                                        n_jobs=1).fit(features[observed], y)
        positive = list(forest.classes_).index(1)
        for t, estimator in enumerate(forest.estimators_):
            tree = estimator.tree_
            n = tree.node_count
            values = tree.value[:, 0, :]
            model.feature[c, t, :n] = torch.from_numpy(np.maximum(tree.feature, 0).astype(np.int64))
            model.threshold[c, t, :n] = torch.from_numpy(tree.threshold.astype(np.float64))
            model.left[c, t, :n] = torch.from_numpy(tree.children_left.astype(np.int64))
            model.right[c, t, :n] = torch.from_numpy(tree.children_right.astype(np.int64))
            model.leaf[c, t, :n] = torch.from_numpy(values[:, positive] / values.sum(axis=1))
    return {"per_class": counts}
