import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from tests.runs import run
from textclf.inspect.snapshots import PROBE, SnapshotRecorder
from textclf.learn.batches import Posts
from textclf.learn.config import TUTORIAL, replace


def test_each_epoch_leaves_a_snapshot(tutorial_run, corpus):
    snapshots = tutorial_run.snapshots
    assert snapshots.epochs.tolist() == list(range(0, 11))  # from before the first step
    assert snapshots.points.shape == (11, 300, 2) and snapshots.points.dtype == np.float32
    assert snapshots.confusions.shape == (11, 3, 3)
    assert (snapshots.confusions.sum(axis=(1, 2)) == len(corpus.test_labels)).all()
    assert np.array_equal(snapshots.labels, corpus.test_labels[snapshots.posts])
    assert len(np.unique(snapshots.posts)) == 300
    assert snapshots.probe == PROBE
    assert np.allclose(snapshots.probe_probabilities.sum(1), 1, atol=1e-5)
    final = tutorial_run.classifier.probabilities([PROBE])[0]
    assert np.allclose(snapshots.probe_probabilities[-1], final, atol=1e-6)
    baseball = tutorial_run.classifier.labels.index("rec.sport.baseball")
    assert snapshots.probe_probabilities[-1].argmax() == baseball


def test_the_final_snapshot_is_the_trained_network(tutorial_run, features):
    snapshots = tutorial_run.snapshots
    assert np.array_equal(snapshots.confusions[-1], tutorial_run.report.confusion)
    model = tutorial_run.classifier.model
    with torch.no_grad():
        hidden = model.hidden_activations(Posts(features.X_test, snapshots.posts)).numpy()
    hidden /= np.linalg.norm(hidden, axis=1, keepdims=True)
    expected = PCA(n_components=2, random_state=0).fit_transform(hidden)
    for axis in range(2):  # an axis's sign is a convention, which sklearn's versions change
        ours, theirs = snapshots.points[-1, :, axis], expected[:, axis]
        gap = min(np.abs(ours - theirs).max(), np.abs(ours + theirs).max())
        assert gap < 1e-2 * np.abs(theirs).max()  # the activations are kept as float16
    assert np.allclose(snapshots.explained, PCA(2).fit(hidden).explained_variance_ratio_,
                       atol=1e-3)  # fmt: skip


def test_the_network_learns_as_its_snapshots_show(tutorial_run, corpus, features):
    shares = tutorial_run.snapshots.diagonal_shares()
    assert shares[-1] == pytest.approx(tutorial_run.report.accuracy)
    assert np.allclose(shares, [r.test_accuracy for r in tutorial_run.history])
    # the tutorial's Adam at lr 0.01 is at 96% after one epoch; a tenth of it shows the climb
    slow = run(replace(TUTORIAL, lr=1e-4, epochs=4), corpus, features).snapshots
    shares = slow.diagonal_shares()
    assert shares[-1] > shares[0] + 0.1 and np.all(np.diff(shares) > 0)


def test_snapshots_stay_bounded_and_are_counted(corpus, features):
    config = replace(TUTORIAL, epochs=60, hidden=16, layers=1, train_share=0.05, batch_size=64)
    result = run(config, corpus, features, probe=None)
    snapshots = result.snapshots
    assert len(snapshots.epochs) == 50 and snapshots.epochs[0] == 0 and snapshots.epochs[-1] == 60
    assert np.isnan(snapshots.probe_probabilities).all()
    weights = sum(p.numel() * 4 for p in result.classifier.model.parameters())
    assert result.nbytes() == (weights + result.test_probabilities.nbytes
                               + result.test_labels.nbytes + snapshots.nbytes())  # fmt: skip
    assert snapshots.nbytes() < 200_000


def test_a_run_stopped_early_keeps_its_last_epoch(corpus, features):
    seen = []
    config = replace(TUTORIAL, epochs=200, hidden=16, layers=1, train_share=0.05, batch_size=64)
    result = run(config, corpus, features, on_epoch=seen.append, should_stop=lambda: len(seen) >= 8)
    assert result.stopped and result.snapshots.epochs[-1] == 7
    assert result.snapshots.epochs.tolist() == [0, 1, 5, 7]  # 0, 1, 5, 9, ... planned for 200
    assert np.array_equal(result.snapshots.confusions[-1], result.report.confusion)


def test_the_recorder_leaves_the_model_as_it_found_it(tutorial_run, features, corpus):
    model = tutorial_run.classifier.model
    recorder = SnapshotRecorder(features.X_test, corpus.test_labels, epochs=1)
    model.train()
    try:
        recorder(model, tutorial_run.history[0])
        assert model.training
    finally:
        model.eval()
    assert recorder.result().epochs.tolist() == [0]
