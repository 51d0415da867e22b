"""How well this network does: the headline a first visit needs (what the network is, its score,
the yardstick beside it), then the deeper tabs' "how it learned" and "where it goes wrong"."""

from __future__ import annotations

import numpy as np
import streamlit as st

from textclf.app.cache import (
    chart,
    derived,
    draw_spec,
    key_of,
    markdown_table_of,
    own_file_texts,
    vega_lite,
)
from textclf.app.layout import post_list
from textclf.app.source import file_bytes
from textclf.app.suspects import suspects_ui
from textclf.app.training import curve_places, curves, heavy_work, run_of
from textclf.fast.optimizers import make_optimizer
from textclf.inspect import charts, verdict
from textclf.inspect.explain import explain, highlighted_markdown
from textclf.inspect.network import architecture
from textclf.inspect.splits import SPLITS, repeated_splits
from textclf.io.text import markdown_literal, subject_line
from textclf.learn.config import replace
from textclf.learn.data import Corpus
from textclf.learn.features import Features
from textclf.learn.metrics import Report
from textclf.learn.pipeline import Run
from textclf.serve.budget import estimate
from textclf.serve.memory import release_freed_memory
from textclf.serve.store import RunKey


def headline_ui(run: Run, previous, corpus: Corpus, features: Features, baseline: Report) -> None:
    """What this network is and how well it does, in one screen; previous: the session's record
    of the run before (training.Shown), if any."""
    report = run.report
    share = run.config.train_share
    st.markdown(f"**The network:** {markdown_literal(architecture(run.classifier))}")
    st.caption(
        f"Trained on {markdown_literal(run.data_name)}: {len(corpus.train_labels):,} training and "
        f"{len(corpus.test_labels):,} test texts in {len(corpus.label_names)} categories"
        + (f" ({share:.0%} of the training texts used)" if share < 1 else "")
        + f". Trained by {run.backend}."
    )
    # a row that wraps: two metrics a line on a phone, four on a desktop
    row = st.container(horizontal=True, gap="small")
    accuracy, yardstick, seconds, vocabulary = (row.container(width=160) for _ in range(4))
    accuracy.metric(
        "Test accuracy",
        f"{report.accuracy:.2%}",
        delta=None
        if previous is None
        else f"{(report.accuracy - previous.report.accuracy) * 100:+.2f} points",
        help="Its share of the test posts, which it never trains on; the arrow: the change "
        "since the last run.",
    )
    yardstick.metric(
        "ComplementNB",
        f"{baseline.accuracy:.2%}",
        help="scikit-learn's naive Bayes for text, on the same split and the same features, "
        "trained in a fraction of a second: the linear yardstick a network has to beat.",
    )
    seconds.metric(
        "Training loop",
        f"{run.train_seconds:.2f} s",
        help=f"The word table was trained by: {run.backend}. The C kernels train Adam without "
        "weight decay where a compiler is at hand; everything else trains in plain PyTorch.",
    )
    vocabulary.metric(
        "Vocabulary",
        f"{len(run.classifier.vectorizer.vocabulary_):,}",
        help="Distinct words of the training posts that the network reads",
    )
    test_posts = len(corpus.test_labels)
    st.caption(
        verdict.against_yardstick(report.accuracy, baseline.accuracy, test_posts)
        + (" ComplementNB trained on all the training posts." if share < 1 else "")
    )
    said = [
        verdict.what_went_wrong(
            run.test_probabilities.argmax(1), report.labels, run.history, run.config
        ),
        verdict.overfitting(run.history, test_posts),
    ]
    if previous is not None and previous.config != run.config:  # a setting changed
        change = report.accuracy - previous.report.accuracy
        if verdict.could_be_noise(change, report.accuracy, test_posts):
            said.append(verdict.against_seeds(change, seed_accuracies(run)))
    for sentence in filter(None, said):
        st.info(markdown_literal(sentence), icon=":material/school:")
    if run.data_source is not None and not run.data_source.test_digest:
        splits_ui(run, features, test_posts)


def _ask_splits(key: RunKey) -> None:
    st.session_state["splits_asked"] = key


def splits_ui(run: Run, features: Features, test_posts: int) -> None:
    """On a person's file, on demand: the network and the yardstick over repeated splits."""
    if st.session_state.get("splits_asked") != key_of(run):
        st.button(
            f"Repeat over {SPLITS} splits",
            on_click=_ask_splits,
            args=(key_of(run),),
            help=f"{test_posts} test texts make each score coarse: split the file {SPLITS} ways "
            "and train both models on each, for a mean and a spread",
        )
        return

    def measure():
        own = run.data_source
        found = estimate(run.config, features.X_train, test_posts)
        with heavy_work(SPLITS * found.seconds, found.peak_bytes):
            progress = st.progress(0.0, text=f"Split 1 of {SPLITS}…")

            def on_split(done: int, splits: int) -> None:
                release_freed_memory()  # the split's vocabulary, before the next one's
                progress.progress(done / splits, text=f"{done} of {splits} splits trained…")

            scores = repeated_splits(
                run.config,
                lambda seed: own_file_texts(own, *file_bytes(own), split_seed=seed),
                on_split=on_split,
                optimizer_for=make_optimizer,
            )
            progress.empty()
        return scores

    st.info(derived(run, "splits", measure).sentence(), icon=":material/school:")


SPREAD_SEEDS = (0, 1, 2)  # a setting's noise: the same settings trained with these seeds


def seed_accuracies(run: Run) -> dict[int, float]:
    """The test accuracy of run's settings with seeds 0, 1 and 2: the noise a change has to
    beat. They are runs like any other, trained once in the server's store and shared: by
    every visitor of the setting, and by every seed tried on it."""
    return {
        seed: run_of(RunKey(replace(run.config, seed=seed), run.data_source)).report.accuracy
        for seed in SPREAD_SEEDS
    }


def how_it_learned_ui(run: Run) -> None:
    """The curves of the run: loss, train and test accuracy, and each category's (built once
    per run for every visitor)."""
    specs = derived(
        run,
        "curves",
        lambda: [vega_lite(c) for c in curves(run.history, run.config.epochs, run.report.labels)],
    )
    for place, spec in zip(curve_places(), specs, strict=True):
        draw_spec(place, spec)


def where_it_goes_wrong_ui(run: Run, corpus: Corpus, features: Features, baseline: Report) -> None:
    report = run.report
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**The network's confusion matrix**")
        st.caption("Rows: the post's true group. Columns: its answer. The diagonal is right.")
        chart(st, run, "matrix", lambda: charts.confusion_chart(report.confusion, report.labels))
    with right:
        st.markdown(f"**ComplementNB's, on the same features: {baseline.accuracy:.2%}**")
        st.caption("Where a linear model errs, for comparison.")
        chart(
            st,
            run,
            "baseline matrix",
            lambda: charts.confusion_chart(baseline.confusion, baseline.labels),
        )
    drilldown_ui(key_of(run), corpus)
    suspects_ui(run, corpus, features)
    calibration_ui(run, baseline)

    st.markdown("#### Each category against the rest")
    columns = st.columns(min(4, len(report.per_class)))
    for i, scores in enumerate(report.per_class):
        with columns[i % len(columns)]:
            st.markdown(f"**{markdown_literal(scores.label)}**")
            chart(st, run, ("2 x 2", i), lambda s=scores: charts.one_vs_rest_chart(s))
            st.caption(
                f"precision {scores.precision:.3f} · recall {scores.recall:.3f} · "
                f"F1 {scores.f1:.3f}"
            )
    markdown_table_of(  # text a phone wraps: a row per category, five short columns
        st,
        run,
        "per category",
        lambda: (
            ["category", "precision", "recall", "F1", "test posts"],
            [[c.label, c.precision, c.recall, c.f1, c.support] for c in report.per_class],
        ),
    )


def calibration_ui(run: Run, baseline: Report) -> None:
    """Does "90%" mean right 9 times in 10? The reliability diagram and its one number."""
    st.markdown("#### Does 90% mean right 9 times in 10?")
    found = derived(run, "reliability", run.reliability)
    chart(st, run, "reliability", lambda: charts.reliability_chart(found))
    theirs = baseline.reliability
    st.caption(
        "The test posts binned by the network's stated confidence (its top probability): each "
        "bar is how often those posts were answered right, the dashed line where the two agree. "
        f"Expected calibration error, the gap averaged over the posts: **{found.ece:.3f}**"
        + (f" (ComplementNB's: {theirs.ece:.3f})." if theirs is not None else ".")
    )


@st.fragment  # choosing a cell or a post reruns this panel alone
def drilldown_ui(key: RunKey, corpus: Corpus) -> None:
    """The test posts behind one cell of the confusion matrix, and why the network chose."""
    run = run_of(key)
    labels = list(run.report.labels)
    st.markdown("#### Look inside a cell")
    left, right = st.columns(2)
    true_label = left.selectbox("True group", labels, key="cell_true")
    default = next(
        (
            j
            for j in np.argsort(-run.report.confusion[labels.index(true_label)])
            if labels[j] != true_label
        ),
        0,
    )
    predicted_label = right.selectbox(  # keyed by the row: its default follows the row
        "Predicted group", labels, index=int(default), key=f"cell_predicted_{true_label}"
    )
    true_at, predicted_at = labels.index(true_label), labels.index(predicted_label)
    probabilities = run.test_probabilities
    rows = np.flatnonzero(
        (corpus.test_labels == true_at) & (probabilities.argmax(1) == predicted_at)
    )
    true_named, called = markdown_literal(true_label), markdown_literal(predicted_label)
    st.caption(
        f"{len(rows)} test posts of {true_named} that the network called {called}, the surest "
        "first" + (f": p(true group) is its probability for {true_named}, p(called) for {called}."
                   if true_at != predicted_at else ".")
    )  # fmt: skip
    if not len(rows):
        return
    rows = rows[np.argsort(-probabilities[rows, predicted_at], kind="stable")]
    own = corpus.own_ids(rows)  # the file's own id column, where it has one
    shown = {true_at: "p(true group)", predicted_at: "p(called)"}  # one column on the diagonal
    post_list(
        "cell",
        ["subject", *shown.values(), *own, "post"],
        [
            [subject_line(corpus.test_texts[i]), *(float(probabilities[i, j]) for j in shown),
             *(ids[n] for ids in own.values()), f"#{i}"]
            for n, i in enumerate(rows)
        ],
        phone_keeps=1 + len(shown),  # the subject and the probabilities
    )  # fmt: skip
    chosen = st.selectbox(
        "Explain post",
        rows,
        format_func=lambda i: f"{corpus.test_label(i)}: {subject_line(corpus.test_texts[i])}",
        key="cell_post",
    )
    post = corpus.test_texts[int(chosen)]
    explanation = explain(run.classifier, post)
    if explanation is not None:
        st.markdown(highlighted_markdown(run.classifier, post, explanation, predicted_label))
