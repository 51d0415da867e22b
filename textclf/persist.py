"""One-file models: tensors plus JSON, read back with torch.load(weights_only=True), so loading a
file can never run code from it."""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import torch

from textclf.config import TrainConfig
from textclf.features import make_vectorizer
from textclf.model import MLP
from textclf.predict import Classifier

FORMAT = "textclf-model/1"


class ModelFileError(ValueError):
    """The file is not a model this program wrote, or it was cut short or altered."""


def classifier_to_bytes(classifier: Classifier) -> bytes:
    vectorizer = classifier.vectorizer
    vocabulary = classifier.words.tolist()
    config = {
        k: list(v) if isinstance(v, tuple) else v for k, v in classifier.config.__dict__.items()
    }
    meta = {
        "format": FORMAT,
        "labels": list(classifier.labels),
        "vocabulary": vocabulary,
        "config": config,
    }
    payload = {"meta": json.dumps(meta), "state_dict": classifier.model.state_dict()}
    if hasattr(vectorizer, "idf_"):
        payload["idf"] = torch.from_numpy(np.asarray(vectorizer.idf_, dtype=np.float64))
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def save_classifier(classifier: Classifier, path: str | Path) -> None:
    Path(path).write_bytes(classifier_to_bytes(classifier))


def classifier_from_bytes(data: bytes) -> Classifier:
    """Raises ModelFileError, never anything else, for a file that is not an intact model."""
    try:
        payload = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
        meta = json.loads(payload["meta"])
        if meta.get("format") != FORMAT:
            raise ModelFileError(f"not a {FORMAT} file")
        config = TrainConfig(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in meta["config"].items()}
        )
        labels = tuple(meta["labels"])
        vocabulary = {word: i for i, word in enumerate(meta["vocabulary"])}
        vectorizer = make_vectorizer(config.features)
        vectorizer.set_params(vocabulary=vocabulary, max_features=None)
        vectorizer.fit([""])  # a fixed vocabulary learns nothing from this; it marks it fitted
        if config.features == "tfidf":
            vectorizer.idf_ = payload["idf"].numpy()
        model = MLP(len(vocabulary), len(labels), config.hidden, config.layers, config.dropout)
        model.load_state_dict(payload["state_dict"])
        model.eval()
    except ModelFileError:
        raise
    except (
        pickle.UnpicklingError,
        RuntimeError,
        EOFError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        zipfile.BadZipFile,
        json.JSONDecodeError,
        OSError,
    ) as error:
        raise ModelFileError(
            f"not an intact textclf model file ({type(error).__name__}: {str(error)[:200]})"
        ) from error
    return Classifier(model, vectorizer, labels, config)


def load_classifier(path: str | Path) -> Classifier:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ModelFileError(f"cannot read {path}: {error.strerror or error}") from error
    return classifier_from_bytes(data)
