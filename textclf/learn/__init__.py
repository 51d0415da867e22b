"""The tutorial: settings, data, features, the network, its training loop, scores and predictions.
It imports nothing else of textclf: a reader can follow it alone, in plain PyTorch."""
