"""One training step, traced: a real batch of this run through PyTorch's autograd, as PyTorch
records it."""

from __future__ import annotations

import math

import streamlit as st

from textclf.app.cache import derived, key_of
from textclf.app.training import heavy_work
from textclf.inspect.trace import graph_dot, trace_step
from textclf.io.text import markdown_table
from textclf.learn.data import Corpus
from textclf.learn.features import Features
from textclf.learn.pipeline import Run
from textclf.learn.train import seeded_model
from textclf.serve.store import RunKey


def _ask(key: RunKey) -> None:
    st.session_state["step_asked"] = key


def step_ui(run: Run, corpus: Corpus, features: Features) -> None:
    if st.session_state.get("step_asked") != key_of(run):
        st.caption(
            "Take the first batch of this run through a copy of its network, and see what "
            "PyTorch records and changes."
        )
        st.button("Trace one training step", on_click=_ask, args=(key_of(run),), type="primary")
        return

    def traced():
        # the network as training began: the same seeded weights, the same first batch
        words, classes = features.X_train.shape[1], len(corpus.label_names)
        model = seeded_model(run.config, words, classes, features.alphabetical)
        # the network, its copy, its full gradient and Adam's two moments, at once
        need = 5 * sum(p.numel() * p.element_size() for p in model.parameters())
        with heavy_work(1.0, need):
            return trace_step(run.config, model, features.X_train, corpus.train_labels)

    trace = derived(run, "step", traced)
    posts, words = trace.input_shape
    st.markdown(
        f"The first step this run took: its first batch, **{posts} posts × {words:,} words** "
        f"({trace.nonzero_share:.2%} of the entries nonzero), through the network as training "
        "began, its seeded initial weights."
    )
    st.code(
        "logits = model(batch)                # forward: autograd records each operation\n"
        "loss = loss_fn(logits, targets)      # CrossEntropyLoss: (batch, classes) and class ids\n"
        "optimizer.zero_grad()                # backward() adds to .grad: clear it first\n"
        "loss.backward()                      # gradients, from the loss back to every weight\n"
        "optimizer.step()                     # and the step",
        language="python",
    )
    graph, ops = st.columns([2, 3])
    graph.graphviz_chart(graph_dot(trace), width="stretch")
    ops.markdown(
        "**What autograd recorded**, read from `loss.grad_fn` and its `next_functions`, first "
        "to last"
    )
    ops.markdown(  # short tables as text a phone wraps
        markdown_table(
            ["#", "grad_fn", "output shape", "reads parameters"],
            [
                [
                    i + 1,
                    op.name,
                    " × ".join(f"{d:,}" for d in op.output_shape) or "scalar",
                    ", ".join(op.parameters),
                ]
                for i, op in enumerate(trace.operations)
            ],
        )
    )
    ops.markdown(
        f"**The loss**: {trace.loss:.4g}, about what a network that has learned nothing scores "
        f"(ln {len(corpus.label_names)} = {math.log(len(corpus.label_names)):.4g} for "
        f"{len(corpus.label_names)} categories equally likely)"
    )
    st.markdown(f"**After `loss.backward()` and the first `{trace.optimizer}` step**")
    st.markdown(
        markdown_table(
            ["parameter", "shape", "gradient norm", "moved by"],
            [
                [
                    p.name,
                    " × ".join(f"{d:,}" for d in p.shape),
                    f"{p.gradient_norm:.3e}",
                    f"{p.moved:.3e}",
                ]
                for p in trace.parameters
            ],
        )
    )
    st.caption(
        f"The batch touched {trace.rows_touched:,} of the word table's {trace.vocabulary:,} rows "
        f"({trace.rows_touched / max(trace.vocabulary, 1):.1%}; it holds {trace.words_in_batch:,} "
        "distinct words): every other row's gradient is zero, which is why the table is trained "
        "row by row."
    )
