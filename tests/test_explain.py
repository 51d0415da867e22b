"""Word attributions checked against their definition: the same network, the word taken out."""

import numpy as np

from textclf.inspect.explain import explain, highlighted_markdown, token_spans

SENTENCE = "The pitcher threw a fastball and the batter hit a home run in the ninth inning"


def test_pitcher_pushes_towards_baseball(tutorial_run):
    explanation = explain(tutorial_run.classifier, SENTENCE)
    assert explanation.contribution("pitcher", "rec.sport.baseball") > 0
    assert explanation.contribution("pitcher", "sci.space") < 0
    top = [word for word, _ in explanation.ranked("rec.sport.baseball", top=8)]
    assert {"pitcher", "inning", "batter"} & set(top)
    assert explanation.warning is None


def test_contributions_equal_removing_the_word(tutorial_run):
    classifier = tutorial_run.classifier
    explanation = explain(classifier, SENTENCE)
    without = SENTENCE.replace("pitcher", "")
    full, reduced = classifier.probabilities([SENTENCE, without])
    expected = np.log(full) - np.log(reduced)
    assert np.allclose(
        explanation.contributions[explanation.words.index("pitcher")], expected, atol=1e-4
    )
    assert np.allclose(explanation.probabilities, full, atol=1e-6)


def test_tfidf_contributions_equal_removing_the_word(corpus):
    from tests.runs import run
    from textclf.learn.config import TUTORIAL, replace

    classifier = run(replace(TUTORIAL, features="tfidf", epochs=2), corpus).classifier
    explanation = explain(classifier, SENTENCE)
    full, reduced = classifier.probabilities([SENTENCE, SENTENCE.replace("inning", "")])
    index = explanation.words.index("inning")
    assert np.allclose(explanation.contributions[index], np.log(full) - np.log(reduced), atol=1e-4)


def test_unknown_words_are_marked_and_warned_about(tutorial_run):
    explanation = explain(tutorial_run.classifier, "zzqx blorf quuxly pitcher")
    assert explanation.unknown == ("zzqx", "blorf", "quuxly")
    assert "never seen" in explanation.warning
    pieces = token_spans(tutorial_run.classifier, "zzqx, Pitcher!")
    assert pieces == [("zzqx", ""), (", ", None), ("Pitcher", "pitcher"), ("!", None)]


def test_blank_text_has_no_explanation(tutorial_run):
    assert explain(tutorial_run.classifier, "  ") is None


def test_a_long_post_is_explained(tutorial_run, corpus):
    post = max(corpus.test_texts, key=len)
    explanation = explain(tutorial_run.classifier, post)
    assert len(explanation.words) > 100
    assert explanation.contributions.shape == (len(explanation.words), 3)


def test_the_highlighted_text_colours_words_by_their_effect_and_nothing_else(tutorial_run):
    """Green for the words that raise the category, red for those that lower it, struck through
    for the unknown; the text's own markup stays text."""
    text = "The pitcher threw a fastball. **zzqx** :red[x] see www.example.com"
    explanation = explain(tutorial_run.classifier, text)
    shown = highlighted_markdown(tutorial_run.classifier, text, explanation, "rec.sport.baseball")
    assert ":green-background[pitcher]" in shown
    assert ":gray[~~zzqx~~]" in shown and "\\*\\*" in shown  # the asterisks escaped
    assert "\\:" in shown and "\\[x\\]" in shown  # the text's directive, escaped
    assert "\u2060\\.example" in shown  # a word joiner after www: no autolink
    against = highlighted_markdown(tutorial_run.classifier, text, explanation, "sci.space")
    assert ":red-background[pitcher]" in against
