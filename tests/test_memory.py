"""Memory that is let go leaves: a run the store evicts is collected, and the process knows its
resident size."""

import gc
import weakref

from tests.runs import run
from textclf.learn.config import TUTORIAL, replace
from textclf.serve.memory import resident_bytes
from textclf.serve.store import RunKey, RunStore
from textclf.serve.turns import Turns


def test_a_run_the_store_lets_go_is_collected(corpus, features):
    store = RunStore(Turns(slots=1), max_bytes=0)  # keeps only the last run asked for
    models = []
    for seed in (0, 1):
        config = replace(TUTORIAL, epochs=1, seed=seed)
        training = store.request(
            RunKey(config),
            lambda stop, on_epoch, config=config: run(config, corpus, features, should_stop=stop),
            seconds=1,
            need=0,
        )
        with store.following(training):
            while not training.ended.is_set():
                training.wait(0.1)
        models.append(weakref.ref(training.run.classifier.model))
        del training
    gc.collect()
    assert models[0]() is None  # evicted: nothing else held its weights
    assert models[1]() is not None


def test_this_process_knows_its_resident_size():
    before = resident_bytes()
    block = bytearray(64 * 2**20)
    block[::4096] = b"x" * len(block[::4096])  # touch every page
    assert resident_bytes() - before > 50 * 2**20
    del block
