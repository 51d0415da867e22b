"""Why the network answered as it did: a word's effect on a category is the drop in its
log-probability (a confident network's probabilities barely move) with every occurrence taken
out, all words in one batched forward pass: exact, no sampling (LIME) or surrogate (ELI5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.feature_extraction.text import CountVectorizer

from textclf.io.text import markdown_escaped, markdown_layout, unlinked
from textclf.learn.features import text_words, weigh_counts
from textclf.learn.predict import Classifier
from textclf.learn.train import predict_logits

UNRELIABLE_UNKNOWN_SHARE = 0.5  # more unknown words than this: the answer rests on little
UNRELIABLE_MARGIN = 0.1  # top two probabilities closer than this: a coin toss
MAX_EXPLAINED_CHARS = 20_000  # a long post's first ~3,000 words; the batch grows as words^2
ROW_BLOCK_ENTRIES = 1_000_000  # nonzeros of the batch scored at once (12 MB)


@dataclass(frozen=True)
class Explanation:
    labels: tuple[str, ...]
    probabilities: np.ndarray  # (classes,)
    words: tuple[str, ...]  # the text's vocabulary words, in vocabulary order
    contributions: np.ndarray  # (words, classes): log-probability lost without the word
    unknown: tuple[str, ...]  # the text's words the network never saw in training
    total_words: int
    warning: str | None

    def ranked(self, label: str, top: int = 10) -> list[tuple[str, float]]:
        """The words that raise label's probability most, most first."""
        column = self.contributions[:, self.labels.index(label)]
        order = np.argsort(-column, kind="stable")[:top]
        return [(self.words[i], float(column[i])) for i in order]

    def contribution(self, word: str, label: str) -> float:
        return float(self.contributions[self.words.index(word), self.labels.index(label)])


def explain(classifier: Classifier, text: str) -> Explanation | None:
    """Every vocabulary word's contribution to every category; None for blank text."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = text[:MAX_EXPLAINED_CHARS]
    vectorizer = classifier.vectorizer
    counts = CountVectorizer.transform(vectorizer, [text]).tocsr()  # (1, V) raw counts
    counts.sort_indices()
    columns, k = counts.indices, counts.nnz
    # Row 0 is the text; row i + 1 the text without word i: k + 1 rows, O(k^2) entries, built
    # and scored a block of rows at a time so that a long text's batch never holds them all.
    rows = max(1, ROW_BLOCK_ENTRIES // max(k, 1))
    logits = torch.cat([
        predict_logits(classifier.model, weigh_counts(vectorizer, _without_each(counts, i, rows)))
        for i in range(-1, k, rows)
    ])  # fmt: skip
    # float64: a confident answer's log-probability is within 1e-8 of 0, below float32's reach
    log_probabilities = torch.log_softmax(logits.double(), dim=1).numpy()  # (k + 1, classes)
    tokens, unknown = text_words(vectorizer, text)
    full = np.exp(log_probabilities[0])
    return Explanation(
        labels=classifier.labels,
        probabilities=full,
        words=tuple(classifier.words[columns]),
        contributions=log_probabilities[0][None, :] - log_probabilities[1:],
        unknown=tuple(dict.fromkeys(unknown)),
        total_words=len(tokens),
        warning=_warning(full, len(tokens), len(unknown)),
    )


def _without_each(counts: sp.csr_matrix, start: int, rows: int) -> sp.csr_matrix:
    """Rows start .. start + rows - 1 of the batch explain() scores: row -1 is the text itself,
    row i the text without its word i."""
    columns, values, k = counts.indices, counts.data, counts.nnz
    dropped = np.arange(max(start, 0), min(start + rows, k))
    keep = (np.arange(k)[None, :] != dropped[:, None]).ravel()  # each row: every word but one
    indices = np.tile(columns, len(dropped))[keep]
    data = np.tile(values, len(dropped))[keep]
    indptr = np.arange(len(dropped) + 1) * (k - 1)
    block = sp.csr_matrix((data, indices, indptr), shape=(len(dropped), counts.shape[1]))
    return sp.vstack([counts, block], format="csr") if start < 0 else block


def _warning(probabilities: np.ndarray, total: int, unknown: int) -> str | None:
    if total and unknown / total > UNRELIABLE_UNKNOWN_SHARE:
        return f"Unreliable: {unknown} of {total} words were never seen in training."
    top = np.sort(probabilities)[::-1]
    if len(top) > 1 and top[0] - top[1] < UNRELIABLE_MARGIN:
        return "Unreliable: the two most likely categories are almost tied."
    return None


def token_spans(classifier: Classifier, text: str) -> list[tuple[str, str | None]]:
    """The text cut into (piece, word) pairs: word is the vocabulary form of a token, or None for
    the text between tokens; tokens the network never saw get "" as their word."""
    vectorizer = classifier.vectorizer
    pattern = re.compile(vectorizer.token_pattern)
    pieces, position = [], 0
    for match in pattern.finditer(text):
        if match.start() > position:
            pieces.append((text[position : match.start()], None))
        word = match.group().lower()
        pieces.append((match.group(), word if word in vectorizer.vocabulary_ else ""))
        position = match.end()
    if position < len(text):
        pieces.append((text[position:], None))
    return pieces


def highlighted_markdown(classifier: Classifier, text: str, explanation: Explanation, label: str):
    """The text as Streamlit markdown: words that raise label on green, words that lower it on
    red, words the network never saw struck through in gray. Every piece of the text is escaped
    first, so the colours are the only markup in it."""
    column = explanation.contributions[:, explanation.labels.index(label)]
    strength = dict(zip(explanation.words, column, strict=True))
    threshold = 0.15 * float(np.abs(column).max()) if column.size else 0.0
    out = []
    text = unlinked(text[:MAX_EXPLAINED_CHARS])  # whole: www and its . are separate pieces
    for piece, word in token_spans(classifier, text):
        safe = markdown_escaped(piece)
        if word == "":
            out.append(f":gray[~~{safe}~~]")
        elif word is not None and strength.get(word, 0.0) > threshold > 0:
            out.append(f":green-background[{safe}]")
        elif word is not None and strength.get(word, 0.0) < -threshold < 0:
            out.append(f":red-background[{safe}]")
        else:
            out.append(safe)
    return markdown_layout("".join(out))
