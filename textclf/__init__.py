"""textclf: a bag-of-words neural network that sorts newsgroup posts, fast enough to train live."""
