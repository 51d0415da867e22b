"""What the panels compute from a run: the network drawn and traced, its snapshots, explanations,
the yardstick, comparisons, verdicts in words, suspect labels, repeated splits and its card."""
