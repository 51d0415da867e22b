"""The C walk (rowadam.c, built by torch.utils.cpp_extension) against the same walk in numba
(bench/numba_walk.py), on the walks a real training asks for, in one process:

    SCIKIT_LEARN_DATA=... .venv/bin/python -m bench.kernels [--groups 20|3] [--calls 400]

It trains with NativeRowAdam once, timing every C call and recording the walks' inputs; then replays
each recorded walk in C and in numba, taking turns, each on a table of its own, and prints
the medians."""

from __future__ import annotations

import os

# numba's OpenMP threads otherwise spin for a while after each walk, taking a core from the C
# walk that follows (2 cores: it doubled C's times); set before any OpenMP runtime loads
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import ctypes
import functools
import statistics
import time

import numpy as np
import torch

from bench.numba_walk import PARTS, walk_rows
from textclf.fast import native
from textclf.fast.native.rowadam import NativeRowAdam
from textclf.fast.threads import set_threads_for_training
from textclf.learn.config import NEWSGROUPS, TUTORIAL, replace
from textclf.learn.pipeline import load_and_vectorise
from textclf.learn.train import train


def _array(address: int, dtype, count: int) -> np.ndarray:
    if not address or count == 0:
        return np.zeros(0, dtype=dtype)
    size = np.dtype(dtype).itemsize * count
    return np.frombuffer((ctypes.c_char * size).from_address(address), dtype=dtype).copy()


class Recording:
    """The C library, each call timed; walk_rows' inputs copied (the first `calls` of them)."""

    def __init__(self, kernels, calls: int):
        self.kernels, self.calls = kernels, calls
        self.seconds: dict[str, float] = {}
        self.walks: list[dict] = []
        self.docs = 0  # the batch the next step steps: the last take's docs

    def __getattr__(self, name):
        function = getattr(self.kernels, name)

        def timed(*args):
            if name == "walk_rows" and len(self.walks) < self.calls:
                self._record(args)
            started = time.perf_counter()
            result = function(*args)
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
            return result

        return timed

    def _record(self, args) -> None:
        (_, _, _, h, col_ptr, col_doc, col_x, grad_out, rows, n, decay1, decay2, *adam) = args[:18]
        next_rows, next_n, coef, damp, next_ptr, next_doc, next_x, _, next_docs, threads = args[18:]
        pointers = _array(col_ptr, np.int64, n + 1 if n else 0)
        nnz = int(pointers[-1]) if n else 0
        next_pointers = _array(next_ptr, np.int64, next_n + 1 if next_n else 0)
        next_nnz = int(next_pointers[-1]) if next_n else 0
        self.walks.append(
            dict(
                col_ptr=pointers if n else np.zeros(1, np.int64),
                col_doc=_array(col_doc, np.int32, nnz),
                col_x=_array(col_x, np.float32, nnz),
                grad_out=_array(grad_out, np.float32, self.docs * h).reshape(-1, h),
                rows=_array(rows, np.int64, n),
                decay1=_array(decay1, np.float32, n),
                decay2=_array(decay2, np.float32, n),
                adam=np.array(adam, dtype=np.float32),
                next_rows=_array(next_rows, np.int64, next_n),
                coef=_array(coef, np.float32, next_n),
                damp=_array(damp, np.float32, next_n),
                next_ptr=next_pointers if next_n else np.zeros(1, np.int64),
                next_doc=_array(next_doc, np.int32, next_nnz),
                next_x=_array(next_x, np.float32, next_nnz),
                products=np.zeros((PARTS, max(next_docs, 1), h), dtype=np.float32),
                threads=threads,
            )
        )
        self.docs = next_docs


def replay_c(kernels, table, walk) -> None:
    w, m, v = table
    a = lambda x: x.ctypes.data if x.size else 0  # noqa: E731
    h = w.shape[1]
    kernels.walk_rows(
        a(w), a(m), a(v), h, a(walk["col_ptr"]), a(walk["col_doc"]), a(walk["col_x"]),
        a(walk["grad_out"]), a(walk["rows"]), walk["rows"].size, a(walk["decay1"]),
        a(walk["decay2"]), *walk["adam"].tolist(), a(walk["next_rows"]), walk["next_rows"].size,
        a(walk["coef"]), a(walk["damp"]), a(walk["next_ptr"]), a(walk["next_doc"]),
        a(walk["next_x"]), a(walk["products"]), walk["products"].shape[1], walk["threads"],
    )  # fmt: skip


def replay_numba(table, walk) -> None:
    w, m, v = table
    walk_rows(w, m, v, walk["col_ptr"], walk["col_doc"], walk["col_x"], walk["grad_out"],
              walk["rows"], walk["decay1"], walk["decay2"], walk["adam"], walk["next_rows"],
              walk["coef"], walk["damp"], walk["next_ptr"], walk["next_doc"], walk["next_x"],
              walk["products"])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, choices=(3, 20), default=20)
    parser.add_argument("--calls", type=int, default=400)
    args = parser.parse_args()
    config = TUTORIAL if args.groups == 3 else replace(TUTORIAL, categories=NEWSGROUPS)
    set_threads_for_training(config)
    corpus, features = load_and_vectorise(config)
    kernels = native.library()
    recording = Recording(kernels, args.calls)

    def optimizer_for(config, model, matrix):
        return NativeRowAdam(model, recording, matrix, lr=config.lr)

    trained = train(config, features.X_train, corpus.train_labels, features.X_test,
                    corpus.test_labels, len(corpus.label_names),
                    optimizer_for=optimizer_for)  # fmt: skip
    print(f"{args.groups} groups: training loop {trained.train_seconds:.2f} s, of it in C:")
    for name, seconds in sorted(recording.seconds.items(), key=lambda item: -item[1]):
        print(f"  {name:14s} {seconds:6.3f} s")

    words, h = features.X_train.shape[1], config.hidden
    rng = np.random.default_rng(0)
    table = [
        rng.normal(0, 0.01, (words, h)).astype(np.float32),
        rng.normal(0, 0.001, (words, h)).astype(np.float32),
        rng.uniform(1e-8, 1e-6, (words, h)).astype(np.float32),
    ]
    # the same result from both on one walk, from the same table
    walk = next(w for w in recording.walks if w["rows"].size and w["next_rows"].size)
    c_table, numba_table = [x.copy() for x in table], [x.copy() for x in table]
    c_walk = {**walk, "products": walk["products"].copy()}
    replay_c(kernels, c_table, c_walk)
    replay_numba(numba_table, walk)  # compiles on the first call (or loads numba's cache)
    for name, c_part, numba_part in zip("wmv", c_table, numba_table, strict=True):
        assert np.allclose(c_part, numba_part, rtol=1e-4, atol=1e-7), name
    assert np.allclose(c_walk["products"][0], walk["products"][0], rtol=1e-4, atol=1e-6)

    import numba

    numba.set_num_threads(max(1, torch.get_num_threads()))
    # each on a table of its own (rows one just walked are not in cache for the other), and
    # taking turns at going first
    c_times, numba_times = [], []
    for number, walk in enumerate(recording.walks):
        turns = [(functools.partial(replay_c, kernels, c_table, walk), c_times),
                 (functools.partial(replay_numba, numba_table, walk), numba_times)]  # fmt: skip
        for replay, times in turns if number % 2 else turns[::-1]:
            started = time.perf_counter()
            replay()
            times.append(time.perf_counter() - started)
    c_ms, numba_ms = statistics.median(c_times) * 1e3, statistics.median(numba_times) * 1e3
    print(f"{len(recording.walks)} walks replayed, threads {walk['threads']} (numba "
          f"{numba.get_num_threads()}, layer {numba.threading_layer()}): median C {c_ms:.3f} ms, "
          f"numba {numba_ms:.3f} ms, numba / C = {numba_ms / c_ms:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
