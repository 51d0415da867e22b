"""A run's cost is known before it starts, and what a shared host cannot afford is refused."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from textclf.learn.config import BEST_ACCURACY, NEWSGROUPS, TUTORIAL, replace
from textclf.learn.pipeline import load_and_vectorise
from textclf.serve.budget import Limits, estimate, hosted_problems

HEAVY = dict(hidden=1024, layers=4, epochs=200, batch_size=1)  # a stranger's link, reported


@pytest.fixture(scope="module")
def twenty():
    return load_and_vectorise(replace(TUTORIAL, categories=NEWSGROUPS))[1]


def test_the_heaviest_settings_are_refused_with_what_to_lower(features, twenty):
    for data in (features, twenty):
        problems = hosted_problems(replace(TUTORIAL, **HEAVY), data, Limits())
        assert len(problems) == 2, problems
        memory, time = problems
        assert "MB" in memory and "lower the hidden units or the vocabulary size" in memory
        assert "steps" in time and "lower the epochs, or raise the batch size" in time


def test_the_demos_own_settings_fit_a_small_host(features, twenty):
    for data in (features, twenty):
        for config in (TUTORIAL, BEST_ACCURACY, replace(TUTORIAL, optimizer="sgd")):
            assert hosted_problems(config, data, Limits()) == [], config


def test_limits_come_from_the_environment_and_zero_lifts_them(monkeypatch, features):
    monkeypatch.setenv("TEXTCLF_RUN_MB", "0")
    monkeypatch.setenv("TEXTCLF_RUN_SECONDS", "100000")
    monkeypatch.setenv("TEXTCLF_CONCURRENT_RUNS", "not a number")
    limits = Limits.from_environment()
    assert (limits.run_mb, limits.run_seconds, limits.concurrent_runs) == (0, 100000, 0)
    assert hosted_problems(replace(TUTORIAL, hidden=1024, epochs=2), features, limits) == []


MEASURE = """
import json, sys
import torch._dynamo  # imported by the first optimiser of a process: not the run's own cost
from textclf.learn.config import TUTORIAL, NEWSGROUPS, replace
from textclf.serve.memory import release_freed_memory
from textclf.learn.pipeline import load_and_vectorise
from textclf.fast.optimizers import make_optimizer
from textclf.inspect.snapshots import watched_run
def kilobytes(name):
    return int(next(l for l in open("/proc/self/status") if l.startswith(name)).split()[1])
config = replace(TUTORIAL, categories=NEWSGROUPS, **json.loads(sys.argv[1]))
corpus, features = load_and_vectorise(config)
release_freed_memory()
open("/proc/self/clear_refs", "w").write("5")  # the peak from here on: training's alone
before = kilobytes("VmRSS")
watched_run(config, corpus, features, optimizer_for=make_optimizer)  # as the app trains
print((kilobytes("VmHWM") - before) * 1024)
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "settings",
    [
        dict(hidden=256, layers=3, epochs=1),
        dict(weight_decay=0.001, epochs=1),
        dict(optimizer="sgd", epochs=1),
    ],
)
def test_the_memory_estimate_is_within_a_factor_of_two_of_a_real_run(twenty, settings):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TEXTCLF_RUN_MB": "0"}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, json.dumps(settings)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    used = int(done.stdout.split()[-1])
    estimated = estimate(replace(TUTORIAL, categories=NEWSGROUPS, **settings), twenty.X_train)
    assert used / 2 <= estimated.peak_bytes <= used * 2, (used >> 20, estimated.peak_bytes >> 20)
