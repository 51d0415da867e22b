"""The network as a learner draws it: its layers with their shapes and parameter counts, and one
text's forward pass through them with the real numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from textclf.learn.batches import Posts
from textclf.learn.config import TrainConfig
from textclf.learn.features import text_words, weigh_counts
from textclf.learn.model import ACTIVATION_MODULES, MLP, SeededDropout, WordLayer
from textclf.learn.predict import Classifier


@dataclass(frozen=True)
class Layer:
    name: str  # "words → hidden 1", "hidden 1 → hidden 2", "hidden 2 → categories"
    kind: str  # the module's class: WordLayer or Linear
    input_shape: tuple  # ("B", in): B posts at a time
    output_shape: tuple  # ("B", out)
    weight_shape: tuple[int, ...]  # as PyTorch stores it; see stored_as
    stored_as: str  # how to read weight_shape
    parameters: int  # weight and bias
    then: tuple[str, ...]  # what follows the product: ("ReLU", "Dropout(p=0.2)"); ("softmax",)


@dataclass(frozen=True)
class LayerTable:
    layers: tuple[Layer, ...]
    total: int  # every parameter of the network


def layer_table(
    model: MLP | TrainConfig, vocabulary: int | None = None, classes: int | None = None
) -> LayerTable:
    """The network's weighted layers, from input words to categories, read from the modules
    themselves. Given a config instead of a model (with the vocabulary size and the number of
    classes), the network is built on torch's meta device: its shapes, no memory."""
    if isinstance(model, TrainConfig):
        if vocabulary is None or classes is None:
            raise ValueError("a config needs the vocabulary size and the number of classes")
        config = model
        with torch.device("meta"):
            model = MLP.from_config(config, vocabulary, classes)
    linears = [model.first] + [m for m in model.body if isinstance(m, nn.Linear)] + [model.head]
    after = _following(model)
    names = ["words"] + [f"hidden {i}" for i in range(1, len(linears))] + ["categories"]
    layers = []
    for i, linear in enumerate(linears):
        if isinstance(linear, WordLayer):
            stored_as = ("(words, out): a row per word, transposed from nn.Linear's (out, in), "
                         "as nn.EmbeddingBag stores it")  # fmt: skip
        else:
            stored_as = "(out, in), as nn.Linear stores it"
        layers.append(Layer(
            name=f"{names[i]} → {names[i + 1]}",
            kind=type(linear).__name__,
            input_shape=("B", linear.in_features),
            output_shape=("B", linear.out_features),
            weight_shape=tuple(linear.weight.shape),
            stored_as=stored_as,
            parameters=sum(p.numel() for p in linear.parameters()),
            then=after[i],
        ))  # fmt: skip
    return LayerTable(tuple(layers), sum(p.numel() for p in model.parameters()))


def _following(model: MLP) -> list[tuple[str, ...]]:
    """For each weighted layer, the modules between it and the next, by name."""
    after, pending = [], []
    for module in model.body:
        if isinstance(module, nn.Linear):
            after.append(tuple(pending))
            pending = []
        elif isinstance(module, SeededDropout):
            pending.append(f"Dropout(p={module.p:g})" if module.p else "Dropout(p=0, none)")
        else:
            pending.append(type(module).__name__)
    return after + [tuple(pending), ("softmax",)]


@dataclass(frozen=True)
class WordInput:
    word: str
    column: int  # its row of the word table
    count: int  # times the text holds it
    value: float  # what feeds the network: the count, or its TF-IDF weight


@dataclass(frozen=True)
class HiddenValues:
    name: str  # "hidden 1", ...
    activation: str  # "ReLU", "Tanh", ...
    values: np.ndarray  # (hidden,) after the activation (dropout is off in eval mode)
    zeros: int  # units exactly 0: ReLU's silent ones (with tanh or sigmoid, rarely any)


@dataclass(frozen=True)
class ForwardTrace:
    inputs: tuple[WordInput, ...]  # the text's known words, largest value first
    unknown_words: int  # tokens the vocabulary lacks: they feed nothing
    hidden: tuple[HiddenValues, ...]
    logits: np.ndarray  # (classes,)
    probabilities: np.ndarray  # (classes,) softmax of the logits
    labels: tuple[str, ...]


@torch.no_grad()
def forward_trace(classifier: Classifier, text: str) -> ForwardTrace:
    """One text through the network in eval mode, module by module as MLP.forward runs them,
    keeping each hidden layer's activations on the way."""
    vectorizer, model = classifier.vectorizer, classifier.model
    tokens, unknown = text_words(vectorizer, text)
    vocabulary = vectorizer.vocabulary_
    counts = np.bincount(
        [vocabulary[t] for t in tokens if t in vocabulary], minlength=len(vocabulary)
    )
    X = weigh_counts(vectorizer, sp.csr_matrix(counts[None, :]))  # as vectorizer.transform
    inputs = sorted(
        (WordInput(str(classifier.words[j]), int(j), int(counts[j]), float(v))
         for j, v in zip(X.indices, X.data, strict=True)),
        key=lambda w: (-w.value, w.word),
    )  # fmt: skip
    was_training = model.training
    model.eval()
    x = model.first(Posts.every(X))  # (1, hidden)
    hidden = []
    for module in model.body:
        x = module(x)
        if isinstance(module, tuple(ACTIVATION_MODULES.values())):
            values = x[0].numpy().copy()
            hidden.append(HiddenValues(f"hidden {len(hidden) + 1}", type(module).__name__,
                                       values, int((values == 0).sum())))  # fmt: skip
    logits = model.head(x)[0]
    model.train(was_training)
    return ForwardTrace(
        inputs=tuple(inputs),
        unknown_words=len(unknown),
        hidden=tuple(hidden),
        logits=logits.numpy().copy(),
        probabilities=torch.softmax(logits, dim=0).numpy().copy(),
        labels=tuple(classifier.labels),
    )


def _modules_after(layer: Layer) -> list[str]:
    """The modules between a layer and the next ("ReLU", "Dropout(p=0.5)"), without a dropout
    of p=0, which does nothing, or the final softmax."""
    return [p for p in layer.then if p != "softmax" and not p.startswith("Dropout(p=0,")]


def architecture(classifier: Classifier) -> str:
    """The network in one line, as the tutorial writes it: "28,835 word counts → Linear 100 →
    ReLU → Linear 100 → ReLU → Linear 3 (2,894,003 parameters), Adam lr 0.01, batch 150,
    10 epochs"."""
    config, table = classifier.config, layer_table(classifier.model)
    kind = "TF-IDF weights" if config.features == "tfidf" else "counts"
    steps = [f"{table.layers[0].input_shape[1]:,} word {kind}"]
    for layer in table.layers:
        steps.append(f"Linear {layer.output_shape[1]:,}")
        steps += _modules_after(layer)
    optimizer = "Adam" if config.optimizer == "adam" else "SGD with momentum"
    decay = f", weight decay {config.weight_decay:g}" if config.weight_decay else ""
    return (
        f"{' → '.join(steps)} ({table.total:,} parameters), {optimizer} lr {config.lr:g}{decay}, "
        f"batch {config.batch_size}, {config.epochs} epoch{'s' if config.epochs != 1 else ''}"
    )


DOT_NEWLINE = "\\n"  # a line break inside a Graphviz label


def network_dot(table: LayerTable) -> str:
    """The layers as a Graphviz drawing, top to bottom (it fits a phone's width): each tensor's
    shape on the arrows; in each box the module, its weight's stored shape, its parameter count
    and what follows it. Only numbers and module names: nothing a stranger typed."""
    lines = [
        "digraph network {",
        '  rankdir=TB; ranksep=0.3; bgcolor="transparent"; node [shape=box, '
        'style="rounded,filled", fillcolor="#eef3f8", color="#4e79a7", fontname="sans-serif", '
        'fontsize=10]; edge [fontname="sans-serif", fontsize=9, color="#888888"];',
        f'  input [label="a batch of posts: {table.layers[0].input_shape[1]:,} word values '
        'each", fillcolor="#ffffff"];',
    ]
    previous = "input"
    for i, layer in enumerate(table.layers):
        weight = " × ".join(f"{d:,}" for d in layer.weight_shape)
        label = [
            f"{layer.kind}: weight {weight}, bias {layer.output_shape[1]:,}",
            f"{layer.parameters:,} parameters",
        ]
        after = " → ".join(_modules_after(layer))
        label += [f"then {after}"] if after else []
        lines.append(f'  layer{i} [label="{DOT_NEWLINE.join(label)}"];')
        lines.append(f'  {previous} -> layer{i} [label=" (B, {layer.input_shape[1]:,})"];')
        previous = f"layer{i}"
    last = table.layers[-1].output_shape[1]
    lines.append('  output [label="softmax: a probability per category", fillcolor="#ffffff"];')
    lines.append(f'  {previous} -> output [label=" (B, {last:,}) logits"];')
    lines.append("}")
    return "\n".join(lines)
