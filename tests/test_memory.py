"""The server-wide ledger of kept runs: released oldest first, never one being drawn, never one
spared, and never keeping alive a run its session let go."""

import gc

from textclf.config import TUTORIAL, replace
from textclf.memory import KeptRuns, resident_bytes
from textclf.pipeline import run


def small_runs(corpus, features, n):
    return [run(replace(TUTORIAL, epochs=1, hidden=8, seed=i), corpus, features) for i in range(n)]


def test_the_least_recently_shown_runs_give_their_weights_back_first(corpus, features):
    first, second, third = small_runs(corpus, features, 3)
    kept = KeptRuns()
    for r in (first, second, third):
        with kept.showing(r):
            pass
    with kept.showing(first):  # shown again: now the most recent, and being drawn
        weights = sum(p.numel() * 4 for p in first.classifier.model.parameters())
        kept_before = first.nbytes()
        assert kept.release_until(lambda: second.released, spare=[]) == 1
        assert second.released and not first.released and not third.released
        assert kept.release_until(lambda: False, spare=[third]) == 0  # first is being drawn
    assert kept.release_until(lambda: False) == 2  # third, then first
    assert first.released and first.classifier.model is None
    assert first.nbytes() == kept_before - weights
    assert first.report.accuracy > 0.3 and len(first.history) == 1  # what the page shows stays


def test_a_run_no_session_holds_is_not_kept_alive(corpus, features):
    kept = KeptRuns()
    (gone,) = small_runs(corpus, features, 1)
    with kept.showing(gone):
        pass
    assert len(kept) == 1
    del gone
    gc.collect()
    assert len(kept) == 0 and kept.release_until(lambda: False) == 0


def test_this_process_knows_its_resident_size():
    before = resident_bytes()
    block = bytearray(64 * 2**20)
    block[::4096] = b"x" * len(block[::4096])  # touch every page
    assert resident_bytes() - before > 50 * 2**20
    del block
