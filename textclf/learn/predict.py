"""Probabilities for any text from a trained network and the vectorizer it was trained with."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
from sklearn.feature_extraction.text import CountVectorizer

from textclf.learn.config import TrainConfig
from textclf.learn.features import text_words
from textclf.learn.model import MLP
from textclf.learn.train import predict_logits

MAX_TEXT_CHARS = 5_000_000  # a 1 MB post answers in well under a second; far beyond is refused


@dataclass
class Classifier:
    """Everything prediction needs, and what a saved model file holds."""

    model: MLP
    vectorizer: CountVectorizer
    labels: tuple[str, ...]
    config: TrainConfig

    @cached_property
    def words(self) -> np.ndarray:
        """The vocabulary by word id, built once: get_feature_names_out sorts all V words."""
        return self.vectorizer.get_feature_names_out()

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """(len(texts), classes) softmax probabilities."""
        return self.probabilities_of(self.vectorizer.transform(texts).tocsr())

    def probabilities_of(self, X) -> np.ndarray:
        """(rows, classes) softmax probabilities of already vectorised rows."""
        return torch.softmax(predict_logits(self.model, X), dim=1).numpy()


@dataclass(frozen=True)
class TextPrediction:
    probabilities: dict[str, float] | None  # label -> probability; None when there is no text
    known_words: int  # words of the text that are in the training vocabulary
    total_words: int
    message: str | None = None  # a note for the reader: empty text, no known word, ...

    def ranked(self) -> list[tuple[str, float]]:
        if self.probabilities is None:
            return []
        return sorted(self.probabilities.items(), key=lambda item: -item[1])


def predict_text(classifier: Classifier, text: str) -> TextPrediction:
    """One text's probabilities; empty, unknown-word and oversized texts get a message instead."""
    if not isinstance(text, str) or not text.strip():
        return TextPrediction(None, 0, 0, "Type or paste some text to see what the network thinks.")
    if len(text) > MAX_TEXT_CHARS:
        return TextPrediction(
            None, 0, 0, f"The text is over {MAX_TEXT_CHARS:,} characters; paste a shorter one."
        )
    tokens, unknown = text_words(classifier.vectorizer, text)
    known = len(tokens) - len(unknown)
    probabilities = classifier.probabilities([text])[0]
    message = None
    if not tokens:
        message = "The text has no words the vectorizer reads (it keeps words of 2+ letters)."
    elif known == 0:
        message = "None of these words were in the training posts: the answer is only a prior."
    return TextPrediction(
        probabilities={
            label: float(p) for label, p in zip(classifier.labels, probabilities, strict=True)
        },
        known_words=known,
        total_words=len(tokens),
        message=message,
    )
