import io
import pickle

import numpy as np
import pytest
import torch

from textclf.persist import (
    ModelFileError,
    classifier_from_bytes,
    classifier_to_bytes,
    load_classifier,
    save_classifier,
)


def test_saved_model_gives_the_same_probabilities(tutorial_run, corpus, tmp_path):
    path = tmp_path / "model.pt"
    save_classifier(tutorial_run.classifier, path)
    loaded = load_classifier(path)
    assert loaded.labels == tutorial_run.classifier.labels and loaded.config == tutorial_run.config
    texts = corpus.test_texts[:50]
    assert np.allclose(
        loaded.probabilities(texts), tutorial_run.classifier.probabilities(texts), atol=1e-6
    )


def test_tfidf_model_round_trips(corpus, tmp_path):
    from textclf.config import TUTORIAL, replace
    from textclf.pipeline import run

    result = run(replace(TUTORIAL, features="tfidf", epochs=1), corpus)
    loaded = classifier_from_bytes(classifier_to_bytes(result.classifier))
    texts = corpus.test_texts[:20]
    assert np.allclose(
        loaded.probabilities(texts), result.classifier.probabilities(texts), atol=1e-6
    )


def test_truncated_file_is_refused_clearly(tutorial_run):
    data = classifier_to_bytes(tutorial_run.classifier)
    with pytest.raises(ModelFileError, match="not an intact"):
        classifier_from_bytes(data[: len(data) // 2])


class _Exploit:
    def __reduce__(self):
        import os

        return (os.system, ("touch pwned-by-model-file",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch's note on a raw pickle
def test_a_file_that_would_run_code_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    buffer = io.BytesIO()
    torch.save({"meta": "{}", "state_dict": _Exploit()}, buffer)
    with pytest.raises(ModelFileError):
        classifier_from_bytes(buffer.getvalue())
    with pytest.raises(ModelFileError):
        classifier_from_bytes(pickle.dumps(_Exploit()))
    assert not (tmp_path / "pwned-by-model-file").exists()


def test_missing_file_is_refused_clearly(tmp_path):
    with pytest.raises(ModelFileError, match="cannot read"):
        load_classifier(tmp_path / "absent.pt")
