"""Watch it learn: before training and after each epoch, a small snapshot of the network (where
some test posts sit in its last hidden layer, its confusion matrix, its answer for a probe text),
kept by an observer that training calls, as minGPT's trainer calls its callbacks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from textclf.learn.batches import Posts
from textclf.learn.config import TrainConfig
from textclf.learn.data import Corpus
from textclf.learn.features import Features
from textclf.learn.model import MLP
from textclf.learn.pipeline import PROBE, Run, run
from textclf.learn.train import EpochRecord

MAX_POSTS = 300  # test posts drawn for the map: enough to see groups form, 60 kB per epoch at most
MAX_EPOCHS = 50  # epochs kept: 0, then evenly spaced, the last always among them


@dataclass(frozen=True)
class Snapshots:
    epochs: np.ndarray  # (E,) the epochs kept, ascending from 0 (before any step) to the last
    points: np.ndarray  # (E, posts, 2) float32: the posts' last hidden layer, unit-length, in
    #                     the 2-D PCA of the final epoch, so every epoch shares its axes
    posts: np.ndarray  # (posts,) the test posts drawn, by index into the test set
    labels: np.ndarray  # (posts,) their true label ids
    confusions: np.ndarray  # (E, classes, classes) on every test post: row true, column predicted
    probe: str
    probe_probabilities: np.ndarray  # (E, classes) the probe text's softmax probabilities
    explained: np.ndarray  # (2,) the share of the final epoch's variance each axis holds

    def diagonal_shares(self) -> np.ndarray:
        """(E,) each kept epoch's share of test posts on the confusion matrix's diagonal."""
        diagonal = np.trace(self.confusions, axis1=1, axis2=2)
        return diagonal / np.maximum(self.confusions.sum(axis=(1, 2)), 1)

    def nbytes(self) -> int:
        arrays = (self.epochs, self.points, self.posts, self.labels, self.confusions,
                  self.probe_probabilities, self.explained)  # fmt: skip
        return sum(a.nbytes for a in arrays) + len(self.probe.encode())


def watched_run(
    config: TrainConfig, corpus: Corpus, features: Features, probe: str | None = PROBE, **kwargs
) -> Run:
    """pipeline.run(), keeping the network's snapshots after each epoch (Run.snapshots) for Watch
    it learn, with the probe text's probabilities (None: no probe)."""
    probed = None if probe is None else features.vectorizer.transform([probe]).tocsr()
    recorder = SnapshotRecorder(features.X_test, corpus.test_labels, config.epochs, config.seed,
                                probed, probe or "")  # fmt: skip
    result = run(config, corpus, features, on_snapshot=recorder, **kwargs)
    result.snapshots = recorder.result()
    return result


class SnapshotRecorder:
    """train()'s on_snapshot: call it with the model after each epoch; result() afterwards. It holds
    kept epochs' activations of the drawn posts as float16, at most (MAX_EPOCHS + 1) x posts x
    hidden x 2 bytes (31 MB for 1,024 units); result() keeps only their 2-D projection."""

    def __init__(self, X_test: sp.csr_matrix, y_test: np.ndarray, epochs: int, seed: int = 0,
                 probe: sp.csr_matrix | None = None, probe_text: str = PROBE,
                 posts: int = MAX_POSTS, keep: int = MAX_EPOCHS):  # fmt: skip
        """probe: probe_text as the vectorizer gives it, (1, vocabulary); None skips it."""
        self.X, self.y, self.probe, self.probe_text = X_test, np.asarray(y_test), probe, probe_text
        drawn = np.random.default_rng([seed, 2]).permutation(X_test.shape[0])[:posts]
        self.posts = np.sort(drawn)
        planned = np.linspace(1, epochs, min(epochs, keep - 1)).round().astype(int).tolist()
        self.kept = {0, *planned}  # epoch 0: the seeded network before any step
        self.epochs, self.hidden, self.confusions, self.answers = [], [], [], []
        self.latest = None  # the last epoch's snapshot, if it is not among the kept

    @torch.no_grad()
    def __call__(self, model: MLP, record: EpochRecord) -> None:
        was_training = model.training
        model.eval()
        classes = model.head.out_features
        predicted, drawn = [], []
        for posts in Posts.chunks(self.X):  # as predict_logits reads them
            hidden = model.hidden_activations(posts)
            predicted.append(model.head(hidden).argmax(1))
            start, stop = posts.docs.start, posts.docs.stop
            mine = self.posts[(self.posts >= start) & (self.posts < stop)] - start
            drawn.append(hidden[torch.from_numpy(mine)])
        predicted = torch.cat(predicted).numpy()
        confusion = np.bincount(self.y * classes + predicted, minlength=classes * classes)
        drawn = torch.cat(drawn)  # (posts, hidden)
        drawn = unit_rows(drawn)
        answer = np.full(classes, np.nan, dtype=np.float32)
        if self.probe is not None:
            answer = torch.softmax(model(Posts.every(self.probe))[0], 0).numpy()
        model.train(was_training)
        snapshot = (record.epoch, drawn.to(torch.float16).numpy(),
                    confusion.reshape(classes, classes).astype(np.int32), answer)  # fmt: skip
        self.latest = None
        if record.epoch in self.kept:
            self._keep(snapshot)
        else:
            self.latest = snapshot

    def _keep(self, snapshot: tuple) -> None:
        for kept, value in zip((self.epochs, self.hidden, self.confusions, self.answers),
                               snapshot, strict=True):  # fmt: skip
            kept.append(value)

    def result(self) -> Snapshots | None:
        """The kept snapshots, projected by one PCA fitted on the last epoch; None before any."""
        if self.latest is not None:  # training stopped between kept epochs
            self._keep(self.latest)
            self.latest = None
        if not self.epochs:
            return None
        hidden = torch.from_numpy(np.stack(self.hidden)).float()  # (E, posts, H)
        mean, axes, explained = principal_axes(hidden[-1])
        return Snapshots(
            epochs=np.array(self.epochs, dtype=np.int32),
            points=projected(hidden, mean, axes),
            posts=self.posts,
            labels=self.y[self.posts],
            confusions=np.stack(self.confusions),
            probe=self.probe_text,
            probe_probabilities=np.stack(self.answers).astype(np.float32),
            explained=np.pad(explained, (0, 2 - explained.size)),
        )


def unit_rows(hidden: torch.Tensor) -> torch.Tensor:
    """Activations scaled to unit length: a long post's counts make them large without changing
    their direction, which is what a map of posts shows."""
    return hidden / hidden.norm(dim=-1, keepdim=True).clamp(min=1e-12)


def projected(X: torch.Tensor, mean: torch.Tensor, axes: torch.Tensor) -> np.ndarray:
    """X's rows on principal_axes' axes, as (..., 2) points: a second axis of zeros if there is
    only one."""
    points = np.zeros(X.shape[:-1] + (2,), dtype=np.float32)
    points[..., : axes.shape[1]] = ((X - mean) @ axes).numpy()
    return points


def principal_axes(X: torch.Tensor, k: int = 2) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """PCA of X's rows as sklearn.decomposition.PCA finds it: the mean, the first k axes as columns
    (H, k), each signed so its largest loading is positive, and their shares of variance. In torch,
    whose threads training set: numpy's BLAS threads spin on a busy core (bench/README.md)."""
    mean = X.mean(0)
    centred = X - mean
    if centred.shape[0] > centred.shape[1]:  # many posts: the (H, H) covariance is the small side
        wide = centred.double()
        variance, vectors = torch.linalg.eigh(wide.T @ wide)  # ascending
        variance, vt = variance.flip(0).clamp(min=0), vectors.flip(1).T.to(X.dtype)
    else:
        s, vt = torch.linalg.svd(centred, full_matrices=False)[1:]
        variance = s.double() ** 2
    k = min(k, vt.shape[0])
    axes = vt[:k]
    signs = torch.sign(axes[torch.arange(k), axes.abs().argmax(1)])
    explained = (variance[:k] / variance.sum().clamp(min=1e-30)).numpy()
    return mean, (axes * signs[:, None]).T, explained
