"""What a run will cost, known before it starts, and a shared host's limits (about 1 GB, one or two
cores; anyone with the link may ask for the heaviest run): past them, one sentence says what to
lower before a byte or a second is taken. Upper bounds within about 2x (tests/test_budget.py).
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass

import scipy.sparse as sp

from textclf.inspect.snapshots import MAX_EPOCHS, MAX_POSTS
from textclf.learn.batches import EVALUATION_CHUNK
from textclf.learn.config import TrainConfig
from textclf.learn.features import Features
from textclf.learn.pipeline import training_problems
from textclf.learn.train import posts_used

MB = 2**20
FLOAT = 4
# Measured on one core here (tests/test_budget.py): sparse and row-wise work waits on memory,
# the small layers' matrix products run at the speed of torch's dense kernels.
SPARSE_RATE = 1e10  # multiply-adds per second
DENSE_RATE = 5e10
SECONDS_PER_STEP = 0.001  # Python's and torch's own time per step
FULL_TABLE_STEP = 60  # a torch optimiser's step of the full table, per weight, in multiply-adds


@dataclass(frozen=True)
class Limits:
    """What one server lets its visitors spend; the defaults keep a 1-2 core host under 1 GB.
    Each is set by the environment variable TEXTCLF_<NAME> (TEXTCLF_RUN_MB=600, ...); 0 lifts
    it (but concurrent_runs)."""

    run_mb: int = 300  # a training run's own peak memory, estimated
    run_seconds: int = 120  # a training run's time on one core, estimated, then measured
    concurrent_runs: int = 0  # trainings running at once (0: one per core); more take turns
    training_mb: int = 400  # what the trainings under way may hold at once, estimated
    store_mb: int = 150  # the finished runs a server keeps for every session, least recent out
    upload_mb: int = 10  # a person's file (the page's uploader stops at 50 MB)
    file_words: int = 50_000  # vocabulary of a person's file when "all words" is asked

    @classmethod
    def from_environment(cls) -> Limits:
        return cls(
            **{
                f.name: _whole(os.environ.get(f"TEXTCLF_{f.name.upper()}"), f.default)
                for f in dataclasses.fields(cls)
            }
        )


def _whole(text: str | None, default: int) -> int:
    try:
        return max(0, int(text)) if text else default
    except ValueError:
        return default


@dataclass(frozen=True)
class Estimate:
    peak_bytes: int  # what training adds to the process at its peak
    steps: int
    seconds: float  # on one core


def estimate(config: TrainConfig, X_train: sp.csr_matrix, X_test_posts: int = 0) -> Estimate:
    """The run's peak memory and time from its settings and its data (posts x words)."""
    posts, words = X_train.shape
    used = posts_used(posts, config.train_share)
    per_post = X_train.nnz / max(posts, 1)  # distinct words a post holds, on average
    hidden, layers, batch = config.hidden, config.layers, min(config.batch_size, used)
    table = words * hidden * FLOAT
    row_wise = config.optimizer == "adam" and config.weight_decay == 0
    # the table and its moments; torch's optimisers add a full gradient and temporaries
    # (measured: SGD with momentum about 4 tables at its peak, Adam with weight decay 7)
    peak = table * (3 if row_wise else 4 if config.optimizer == "sgd" else 7)
    small = (hidden * hidden * (layers - 1) + hidden) * FLOAT * 4  # weights, grads, moments
    activations = EVALUATION_CHUNK * hidden * (layers + 1) * FLOAT * 3  # an evaluation, by layer
    batch_bytes = batch * (per_post * 40 + hidden * (layers + 1) * FLOAT * 4)
    peak += small + activations + batch_bytes + used * per_post * 12  # the share's copy
    peak += (min(config.epochs, MAX_EPOCHS) + 1) * MAX_POSTS * hidden * 2  # snapshots, float16
    steps = math.ceil(used / batch) * config.epochs
    touched = min(words, batch * per_post / 3)  # posts of a batch share about 2 words in 3
    sparse = batch * per_post * hidden * 3 + touched * hidden * 12  # first layer, its rows' Adam
    sparse += 0 if row_wise else words * hidden * FULL_TABLE_STEP
    dense = batch * hidden * hidden * (layers - 1) * 6
    step = SECONDS_PER_STEP + sparse / SPARSE_RATE + dense / DENSE_RATE
    evaluated = used + X_test_posts  # every epoch
    evaluation = evaluated * (
        per_post * hidden / SPARSE_RATE + hidden * hidden * (layers - 1) / DENSE_RATE
    )
    seconds = steps * step + config.epochs * evaluation
    return Estimate(int(peak), steps, seconds)


def hosted_problems(
    config: TrainConfig, features: Features, limits: Limits | None = None
) -> list[str]:
    """What stops config from training here, said before any time is spent: what the data
    forbids (pipeline.training_problems), then this host's limits (from the environment unless
    given)."""
    limits = Limits.from_environment() if limits is None else limits
    found = estimate(config, features.X_train, features.X_test.shape[0])
    return training_problems(config, features) + over_budget(found, limits)


def over_budget(found: Estimate, limits: Limits) -> list[str]:
    """One sentence per limit the run would pass, saying what to lower."""
    problems = []
    if limits.run_mb and found.peak_bytes > limits.run_mb * MB:
        problems.append(
            f"this network needs about {found.peak_bytes / MB:,.0f} MB to train and the limit "
            f"here is {limits.run_mb:,} MB: lower the hidden units or the vocabulary size, or "
            "use Adam without weight decay"
        )
    if limits.run_seconds and found.seconds > limits.run_seconds:
        problems.append(
            f"this run would take about {_duration(found.seconds)} here ({found.steps:,} steps) "
            f"and the limit is {_duration(limits.run_seconds)}: lower the epochs, or raise the "
            "batch size"
        )
    return problems


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"
