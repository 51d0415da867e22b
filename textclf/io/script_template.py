"""A run of textclf's network in plain PyTorch, written by `python -m textclf code`.

The app's data, vocabulary, initial weights, shuffling and optimiser: it prints the app's test
accuracy, last. Change a setting and run it again."""

# [about]
# This file is the template of `python -m textclf code` (textclf/io/export.py): the tutorial's
# run, as it is. The export fills each part marked # [name] ... # [/name], or a line ending in
# # [name], from a run's settings and data; the rest is the script every run gets.
# [/about]
# The app's run:
# [command]
#   python -m textclf train
# [/command]

# [imports]
import math

import numpy as np
import torch
from sklearn.datasets import fetch_20newsgroups
from sklearn.feature_extraction.text import CountVectorizer
from torch import nn

# [/imports]
# [settings]
CATEGORIES = ["comp.graphics", "rec.sport.baseball", "sci.space"]
HIDDEN = 100  # units per hidden layer
LR = 0.01  # learning rate
BATCH_SIZE = 150  # posts per optimiser step
EPOCHS = 10  # passes over the training posts
SEED = 0  # the initial weights, dropout and the shuffling
# [/settings]

# [data]
# 20 Newsgroups' by-date split; labels number the groups in alphabetical order
train = fetch_20newsgroups(subset="train", categories=CATEGORIES)
test = fetch_20newsgroups(subset="test", categories=CATEGORIES)
names = train.target_names
train_texts, y_train = train.data, train.target
test_texts, y_test = test.data, test.target
# [/data]

# [features]
# word counts, from a vocabulary of the training posts alone
vectorizer = CountVectorizer(dtype=np.float32)
# [/features]
X_train = vectorizer.fit_transform(train_texts)  # (posts, words), sparse
X_test = vectorizer.transform(test_texts)
# [share]
# [/share]


class Net(nn.Module):
    """Two hidden layers of HIDDEN units, each then ReLU; then the classifier."""  # [summary]

    def __init__(self, words, classes):
        super().__init__()
        # nn.Linear(words, HIDDEN) written out with its weight a row per word, as the app
        # stores it: drawn in that order, the seed gives the app's initial weights
        bound = 1 / math.sqrt(words)
        self.weight = nn.Parameter(torch.empty(words, HIDDEN).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(HIDDEN).uniform_(-bound, bound))
        self.rest = nn.Sequential(
            # [layers]
            nn.ReLU(),
            nn.Linear(HIDDEN, HIDDEN),
            nn.ReLU(),
            nn.Linear(HIDDEN, classes),
            # [/layers]
        )

    def forward(self, x):  # x: (batch, words)
        return self.rest(x @ self.weight + self.bias)  # logits: (batch, classes)


@torch.no_grad()
def accuracy(model, X, y):
    """The share of posts whose highest logit is their label."""
    model.eval()
    predicted = [
        model(torch.from_numpy(X[i : i + BATCH_SIZE].toarray())).argmax(1)
        for i in range(0, X.shape[0], BATCH_SIZE)
    ]
    return (torch.cat(predicted).numpy() == y).mean()


torch.manual_seed(SEED)
model = Net(X_train.shape[1], len(names))
optimizer = torch.optim.Adam(model.parameters(), lr=LR)  # [optimizer]
loss_fn = nn.CrossEntropyLoss()
shuffle = np.random.default_rng(SEED)  # a new order of the training posts every epoch
for epoch in range(1, EPOCHS + 1):
    model.train()
    order, total = shuffle.permutation(X_train.shape[0]), 0.0
    for start in range(0, order.size, BATCH_SIZE):
        batch = order[start : start + BATCH_SIZE]
        x = torch.from_numpy(X_train[batch].toarray())  # (batch, words): dense, this batch only
        logits = model(x)
        loss = loss_fn(logits, torch.from_numpy(y_train[batch]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * batch.size
    score = accuracy(model, X_test, y_test)
    print(f"epoch {epoch}  loss {total / order.size:.4f}  test accuracy {score:.4f}")
print(f"accuracy {accuracy(model, X_test, y_test):.4f}")
