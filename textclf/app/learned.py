"""What the network learned: its strongest words per category, the header artefacts among them,
and the test posts as its last hidden layer places them."""

from __future__ import annotations

import streamlit as st

from textclf.app.cache import chart, derived
from textclf.app.settings import key
from textclf.inspect import charts
from textclf.inspect.insight import header_artefacts, hidden_map, top_words
from textclf.io.text import markdown_literal, subject_line
from textclf.learn.config import METADATA
from textclf.learn.data import Corpus
from textclf.learn.features import Features
from textclf.learn.pipeline import Run


def insight(run: Run, corpus: Corpus, features: Features) -> dict:
    """Per run, computed once: its top words, the header artefacts among them, its map."""

    def make():
        words = top_words(run.classifier)
        candidates = sorted({w for ranked in words.values() for w, _ in ranked})
        newsgroups = run.data_source is None
        return {
            "top_words": words,
            "artefacts": header_artefacts(candidates, corpus.test_texts) if newsgroups else [],
            "map": hidden_map(run.classifier, features.X_test),
        }

    return derived(run, "insight", make)


def _strip_metadata() -> None:
    st.session_state[key("remove")] = list(METADATA)


def learned_ui(run: Run, corpus: Corpus, features: Features) -> None:
    found = insight(run, corpus, features)
    words, artefacts = found["top_words"], found["artefacts"]
    if artefacts and not run.config.remove:
        st.info(
            "Some of the words the network relies on come from e-mail headers and addresses, not "
            f"from what the posts say ({markdown_literal(', '.join(artefacts[:12]))}): its score "
            "is partly for the wrong reason."
        )
        st.button("Strip headers, footers and quotes", on_click=_strip_metadata)
    st.caption("The words that, alone in a post, raise each category's log-probability most.")
    columns = st.columns(min(3, len(words)))
    for i, (label, ranked) in enumerate(words.items()):
        with columns[i % len(columns)]:
            st.markdown(f"**{markdown_literal(label)}**")
            chart(
                st,
                run,
                ("top words", label),
                lambda r=ranked: charts.contribution_chart(r, axis="log-probability gained, alone"),
            )
    st.markdown("**The test posts as the last hidden layer sees them** (PCA to two dimensions)")
    st.caption("Each dot a test post, coloured by its true group; hover for its subject line.")
    chart(
        st,
        run,
        "map",
        lambda: charts.hidden_map_chart(
            found["map"],
            [run.report.labels[y] for y in corpus.test_labels],
            [subject_line(t) for t in corpus.test_texts],
            run.report.labels,
        ),
    )
