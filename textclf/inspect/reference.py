"""The tutorial's training loop, reproduced faithfully as the benchmark's reference, its flaws kept:
tokens split on single spaces, the vocabulary built from train and test, dense batches filled
word by word in Python, the remainder batch dropped, nothing shuffled.
"""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import torch
from torch import nn

from textclf.learn.data import Corpus


def tutorial_vocabulary(corpus: Corpus) -> dict[str, int]:
    vocab = Counter()
    for text in corpus.train_texts + corpus.test_texts:  # the tutorial's leak
        for word in text.split(" "):
            vocab[word.lower()] += 1
    return {word: i for i, word in enumerate(vocab)}


def _dense_batch(texts, word2index, width) -> np.ndarray:
    batch = np.zeros((len(texts), width), dtype=float)
    for row, text in enumerate(texts):
        for word in text.split(" "):
            batch[row, word2index[word.lower()]] += 1
    return batch


class TutorialNet(nn.Module):
    def __init__(self, input_size: int, hidden_size: int, num_classes: int):
        super().__init__()
        self.layer_1 = nn.Linear(input_size, hidden_size, bias=True)
        self.relu = nn.ReLU()
        self.layer_2 = nn.Linear(hidden_size, hidden_size, bias=True)
        self.output_layer = nn.Linear(hidden_size, num_classes, bias=True)

    def forward(self, x):
        return self.output_layer(self.relu(self.layer_2(self.relu(self.layer_1(x)))))


def train_tutorial(corpus: Corpus, epochs: int = 10, seed: int = 0) -> dict:
    """Trains as the tutorial does; returns test accuracy and the loop's seconds per epoch."""
    torch.manual_seed(seed)
    word2index = tutorial_vocabulary(corpus)
    width = len(word2index)
    net = TutorialNet(width, 100, len(corpus.label_names))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    batch_size = 150
    total_batch = int(len(corpus.train_texts) / batch_size)
    started = time.perf_counter()
    for _ in range(epochs):
        for i in range(total_batch):
            texts = corpus.train_texts[i * batch_size : (i + 1) * batch_size]
            labels = corpus.train_labels[i * batch_size : (i + 1) * batch_size]
            articles = torch.FloatTensor(_dense_batch(texts, word2index, width))
            optimizer.zero_grad()
            loss = criterion(net(articles), torch.LongTensor(labels))
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - started
    correct = 0
    with torch.no_grad():  # the tutorial tests in one dense batch; in chunks here to bound memory
        for start in range(0, len(corpus.test_texts), 500):
            texts = corpus.test_texts[start : start + 500]
            outputs = net(torch.FloatTensor(_dense_batch(texts, word2index, width)))
            correct += int(
                (outputs.argmax(1).numpy() == corpus.test_labels[start : start + 500]).sum()
            )
    return {
        "accuracy": correct / len(corpus.test_texts),
        "train_seconds": seconds,
        "vocabulary": width,
    }
