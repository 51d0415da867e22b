"""The network: its layers as PyTorch holds them, and the text in the "try it" box going through
them with the real numbers."""

from __future__ import annotations

import streamlit as st

from textclf.app.cache import chart, derived, markdown_table_of
from textclf.app.layout import LAYER_COLUMNS, LAYER_TABLE
from textclf.inspect import charts
from textclf.inspect.explain import MAX_EXPLAINED_CHARS
from textclf.inspect.network import forward_trace, layer_table, network_dot
from textclf.inspect.snapshots import PROBE
from textclf.io.text import markdown_literal
from textclf.learn.pipeline import Run

SHOWN_WORDS = 12  # of a text's known words, in its table: enough to read, short on a phone


def network_ui(run: Run) -> None:
    layers = derived(run, "layers", lambda: layer_table(run.classifier.model))
    st.markdown(
        f"**{layers.total:,} parameters**, `sum(p.numel() for p in model.parameters())`: "
        "every weight and bias below. B is the number of posts that go through at once (150 "
        "while training, with the tutorial's batch)."
    )
    markdown_table_of(
        st.container(key=LAYER_TABLE),
        run,
        "layers",
        lambda: (
            list(LAYER_COLUMNS),
            [
                [
                    layer.name,
                    layer.kind,
                    f"(B, {layer.input_shape[1]:,}) → (B, {layer.output_shape[1]:,})",
                    " × ".join(f"{d:,}" for d in layer.weight_shape),
                    layer.parameters,
                    ", ".join(layer.then),
                ]
                for layer in layers.layers
            ],
        ),
    )
    st.caption(
        "nn.Linear stores its weight as (out, in) and computes x @ weight.T + bias. The first "
        "layer stores its word table the other way round, a row per word, as nn.EmbeddingBag "
        "does: a post reads only the rows of its words."
    )
    drawing, forward = st.columns([2, 3])
    drawing.graphviz_chart(derived(run, "dot", lambda: network_dot(layers)), width="stretch")
    with forward:
        forward_ui(run)


def forward_ui(run: Run) -> None:
    """The forward pass of the try-it text (or the example sentence), layer by layer."""
    example = run.snapshots.probe if run.snapshots else PROBE  # the run's example sentence
    text = (st.session_state.get("text") or example)[:MAX_EXPLAINED_CHARS]
    trace = derived(run, ("forward", text), lambda: forward_trace(run.classifier, text))
    st.markdown("#### One text through the network")
    source = "the text in the Try it box" if st.session_state.get("text") else "an example"
    st.caption(f"The forward pass of {source}: {markdown_literal(text[:160])}")
    if not trace.inputs:
        st.info("None of its words is in the vocabulary: every input is zero.")
        return
    kind = "TF-IDF weight" if run.config.features == "tfidf" else "count"
    st.markdown(f"**In: {len(trace.inputs)} known words** (of {run.classifier.words.size:,})")
    markdown_table_of(
        st,
        run,
        ("words", text),
        lambda: (["word", kind], [[w.word, w.value] for w in trace.inputs[:SHOWN_WORDS]]),
    )
    if len(trace.inputs) > SHOWN_WORDS:
        st.caption(f"and {len(trace.inputs) - SHOWN_WORDS} more.")
    if trace.unknown_words:
        st.caption(f"{trace.unknown_words} words the network never saw feed nothing.")
    for layer in trace.hidden:
        st.markdown(
            f"**{layer.name}**: {layer.values.size} units after {layer.activation}"
            + (f", {layer.zeros} of them exactly zero" if layer.zeros else "")
        )
        chart(
            st, run, ("units", text, layer.name), lambda v=layer.values: charts.activation_strip(v)
        )
    st.markdown("**Out**: the logits, then softmax turns them into probabilities")
    markdown_table_of(
        st,
        run,
        ("out", text),
        lambda: (
            ["category", "logit", "probability"],
            [
                [label, float(logit), float(probability)]
                for label, logit, probability in zip(
                    trace.labels, trace.logits, trace.probabilities, strict=True
                )
            ],
        ),
    )
