"""The server's store of runs and its queue, with real trainings on the tutorial's groups: the
same settings train once and every follower sees the epochs as they come; a short run overtakes
a long one; a training nobody follows stops part way through an epoch; the store stays within
its size, and a run it let go trains again to the same network."""

import threading
import time

import pytest

from tests.runs import run
from textclf.learn.config import TUTORIAL, replace
from textclf.serve.budget import estimate
from textclf.serve.store import GRACE, RunKey, RunStore
from textclf.serve.turns import Job, Turns


def recipe_for(config, corpus, features, calls=None):
    def recipe(should_stop, on_epoch):
        if calls is not None:
            calls.append(config)
        return run(config, corpus, features, on_epoch=on_epoch, should_stop=should_stop)

    return recipe


def request(store, config, corpus, features, calls=None):
    cost = estimate(config, features.X_train, features.X_test.shape[0])
    key = RunKey(config)
    return store.request(
        key, recipe_for(config, corpus, features, calls), cost.seconds, cost.peak_bytes
    )


def follow(store, training, seen, timeout=300):
    """A page following training: what it sees of the epochs, each time it looks."""
    deadline = time.monotonic() + timeout
    with store.following(training):
        while not training.ended.is_set():
            assert time.monotonic() < deadline, "the training never ended"
            training.wait(0.05)
            seen.append(len(training.history))


def until(condition, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.05)


def test_the_same_settings_train_once_and_every_follower_sees_it_live(corpus, features):
    store = RunStore(Turns(slots=1), max_bytes=2**30)
    config = replace(TUTORIAL, epochs=6)
    calls = []
    trainings = [request(store, config, corpus, features, calls) for _ in range(5)]
    assert all(t is trainings[0] for t in trainings)
    views = [[] for _ in trainings]
    threads = [
        threading.Thread(target=follow, args=(store, t, seen))
        for t, seen in zip(trainings, views, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert calls == [config]  # one training for five visitors
    done = trainings[0].run
    assert done is not None and len(done.history) == 7 and not done.stopped  # epochs 0-6
    for seen in views:  # each saw epochs arrive one by one, not only the end
        assert len(set(seen) - {0, 1, 7}) >= 2, seen
    again = request(store, config, corpus, features, calls)
    assert again.run is done and calls == [config]  # asked later: found, not trained
    alone = run(config, corpus, features)
    assert done.report.accuracy == alone.report.accuracy  # the network a visitor would train


@pytest.mark.slow
def test_a_short_run_overtakes_a_long_one(corpus, features):
    store = RunStore(Turns(slots=1), max_bytes=2**30)
    long = request(store, replace(TUTORIAL, hidden=400, epochs=40), corpus, features)
    seen_long = []
    follower = threading.Thread(target=follow, args=(store, long, seen_long))
    follower.start()
    until(lambda: len(long.history) > 1)  # the long run is well under way
    asked = time.monotonic()
    short = request(store, replace(TUTORIAL, epochs=2), corpus, features)
    follow(store, short, [])
    waited = time.monotonic() - asked
    assert short.run is not None and long.run is None  # done before the long one
    assert waited < long.job.seconds / 2, (waited, long.job.seconds)
    follower.join(timeout=300)
    assert long.run is not None and long.run.history[-1].epoch == 40


def test_a_training_nobody_follows_stops_within_seconds(corpus, features):
    store = RunStore(Turns(slots=1), max_bytes=2**30)
    config = replace(TUTORIAL, hidden=600, epochs=1, batch_size=1)  # one epoch of 10-20 s
    training = request(store, config, corpus, features)
    with store.following(training):
        until(lambda: training.job.began)
        time.sleep(0.5)
    left = time.monotonic()
    until(training.ended.is_set, timeout=GRACE + 5)  # else it trained on for nobody
    assert "Nobody followed" in training.error and time.monotonic() - left < GRACE + 5
    assert [r.epoch for r in training.history] == [0]  # stopped part way through its one epoch
    assert training.run is None and store.get(training.key) is None  # asked again: trained anew
    assert not store.turns.busy()


def test_the_store_keeps_to_its_size_and_a_run_it_let_go_trains_the_same(corpus, features):
    configs = [replace(TUTORIAL, epochs=1, seed=s) for s in range(3)]
    store = RunStore(Turns(slots=1), max_bytes=0)
    done = []
    for config in configs:
        training = request(store, config, corpus, features)
        follow(store, training, [])
        done.append(training.run)
    assert len(store) == 1 and store.get(RunKey(configs[-1])).run is done[-1]  # the last only
    again = request(store, configs[0], corpus, features)
    follow(store, again, [])
    assert again.run is not done[0] and again.run.report.accuracy == done[0].report.accuracy
    assert (again.run.test_probabilities == done[0].test_probabilities).all()


def test_settings_that_cannot_train_fail_in_one_sentence(corpus, features):
    store = RunStore(Turns(slots=1), max_bytes=2**30)
    training = request(store, replace(TUTORIAL, batch_size=4000), corpus, features)
    follow(store, training, [])
    assert "batch-size: 4,000 is larger than the 1,774 training posts" in training.error
    assert not store.turns.busy()


def test_the_queue_says_where_work_stands_shortest_first():
    turns = Turns(slots=1)
    first, long, short = Job(10), Job(20), Job(1)
    turns.take(first)
    order = []

    def take(job):
        turns.take(job)
        order.append(job)
        turns.leave(job)

    waiting = [threading.Thread(target=take, args=(job,)) for job in (long, short)]
    for thread in waiting:
        thread.start()
    until(lambda: turns.busy() == 3)  # both in line
    assert turns.ahead(short) == (1, pytest.approx(10, abs=0.5))  # next, behind first's 10 s
    assert turns.ahead(long) == (2, pytest.approx(11, abs=0.5))
    turns.leave(first)
    for thread in waiting:
        thread.join(timeout=10)
    assert order == [short, long]


def test_work_begins_only_while_what_has_begun_fits_in_memory():
    turns = Turns(slots=2, memory=100)
    first, small, big = Job(10, need=60), Job(1, need=30), Job(1, need=60)
    turns.take(first)
    turns.take(small)  # 90 of 100: begins at once
    turns.leave(small)
    began = threading.Event()
    thread = threading.Thread(target=lambda: (turns.take(big), began.set()))
    thread.start()
    assert not began.wait(0.5)  # a slot is free, but 60 + 60 is over 100
    assert turns.ahead(big) == (1, pytest.approx(10 / 2, abs=0.5))  # first's 10 s, two slots
    turns.leave(first)
    assert began.wait(5)
    turns.leave(big)
    thread.join(timeout=5)
