"""Speed only, and optional: a row-wise Adam with the same arithmetic as torch.optim.Adam, in
PyTorch and in C, chosen where a training is started (make_optimizer); learn runs without it."""
