import numpy as np
import pytest
import torch

from tests.runs import run
from textclf.inspect.network import architecture, forward_trace, layer_table, network_dot
from textclf.learn.config import TUTORIAL, replace
from textclf.learn.model import MLP

POST = "The pitcher threw three strikes and the crowd cheered the home run. Run, run!"


@pytest.mark.parametrize(
    "layers, hidden, dropout, activation",
    [(1, 100, 0.0, "relu"), (2, 17, 0.3, "tanh"), (3, 64, 0.5, "gelu"), (4, 8, 0.0, "sigmoid")],
)
def test_layer_table_counts_every_parameter(layers, hidden, dropout, activation):
    model = MLP(500, 4, hidden, layers, dropout, activation)
    table = layer_table(model)
    assert table.total == sum(p.numel() for p in model.parameters())
    assert sum(layer.parameters for layer in table.layers) == table.total
    assert len(table.layers) == layers + 1
    stored = [tuple(p.shape) for name, p in model.named_parameters() if name.endswith("weight")]
    assert [layer.weight_shape for layer in table.layers] == stored
    assert table.layers[0].weight_shape == (500, hidden)  # (V, H): as stored, transposed
    assert table.layers[-1].weight_shape == (4, hidden)  # nn.Linear's (out, in)
    assert table.layers[0].input_shape == ("B", 500) and table.layers[-1].output_shape == ("B", 4)
    config = replace(TUTORIAL, layers=layers, hidden=hidden, dropout=dropout, activation=activation)
    assert layer_table(config, 500, 4) == table


def test_the_tutorial_network_has_2894003_parameters(features):
    vocabulary = features.X_train.shape[1]
    assert vocabulary == 28_835
    table = layer_table(TUTORIAL, vocabulary, 3)
    assert table.total == 2_894_003
    assert [layer.name for layer in table.layers] == [
        "words → hidden 1", "hidden 1 → hidden 2", "hidden 2 → categories"
    ]  # fmt: skip
    assert table.layers[0].then == ("ReLU", "Dropout(p=0, none)")
    with pytest.raises(ValueError):
        layer_table(TUTORIAL)


def test_forward_trace_gives_the_classifiers_answer(tutorial_run):
    classifier = tutorial_run.classifier
    trace = forward_trace(classifier, POST)
    expected = classifier.probabilities([POST])[0]
    assert np.allclose(trace.probabilities, expected, atol=1e-6)
    assert np.allclose(torch.softmax(torch.from_numpy(trace.logits), 0).numpy(), expected)
    assert trace.labels == classifier.labels
    assert len(trace.hidden) == 2 and all(h.values.shape == (100,) for h in trace.hidden)
    assert all(h.zeros == int((h.values == 0).sum()) and h.zeros > 0 for h in trace.hidden)
    run_words = {w.word: w for w in trace.inputs}
    assert run_words["run"].count == 3 and run_words["run"].value == 3.0
    assert "the" in run_words and trace.inputs[0].value >= trace.inputs[-1].value
    X = classifier.vectorizer.transform([POST])
    assert sorted(w.column for w in trace.inputs) == sorted(X.indices)
    assert not classifier.model.training


def test_forward_trace_follows_the_settings(corpus):
    from textclf.learn.features import fit_features

    tfidf = fit_features(corpus, "tfidf", max_features=3000)
    config = replace(TUTORIAL, features="tfidf", max_features=3000, layers=3, hidden=24,
                     activation="tanh", dropout=0.4, epochs=2)  # fmt: skip
    classifier = run(config, corpus, tfidf).classifier
    trace = forward_trace(classifier, POST)
    assert np.allclose(trace.probabilities, classifier.probabilities([POST])[0], atol=1e-6)
    assert [h.activation for h in trace.hidden] == ["Tanh"] * 3
    assert all(h.values.shape == (24,) for h in trace.hidden)
    X = classifier.vectorizer.transform([POST])
    assert np.allclose(sorted(w.value for w in trace.inputs), sorted(X.data))
    assert all(0 < w.value < 1 for w in trace.inputs)  # tf-idf weights, unit-length row


def test_the_network_in_one_line_follows_the_settings(tutorial_run, corpus):
    assert architecture(tutorial_run.classifier) == (
        "28,835 word counts → Linear 100 → ReLU → Linear 100 → ReLU → Linear 3 "
        "(2,894,003 parameters), Adam lr 0.01, batch 150, 10 epochs"
    )
    other = run(replace(TUTORIAL, features="tfidf", layers=1, dropout=0.5, activation="gelu",
                        optimizer="sgd", epochs=1), corpus)  # fmt: skip
    line = architecture(other.classifier)
    assert line.startswith("28,835 word TF-IDF weights → Linear 100 → GELU → Dropout(p=0.5) → ")
    assert line.endswith("SGD with momentum lr 0.01, batch 150, 1 epoch")


def test_the_drawing_holds_every_layer_its_shapes_and_counts():
    table = layer_table(replace(TUTORIAL, layers=3, dropout=0.5), 28835, 3)
    dot = network_dot(table)
    for layer in table.layers:
        assert " × ".join(f"{d:,}" for d in layer.weight_shape) in dot
        assert f"{layer.parameters:,} parameters" in dot
    assert dot.count("then ReLU → Dropout(p=0.5)") == 3
    assert "(B, 28,835)" in dot and "(B, 3) logits" in dot
