from textclf.learn.predict import predict_text


def test_baseball_sentence_ranks_baseball_first(tutorial_run):
    prediction = predict_text(
        tutorial_run.classifier,
        "The pitcher struck out three batters and then gave up two home runs.",
    )
    assert prediction.ranked()[0][0] == "rec.sport.baseball"
    assert abs(sum(prediction.probabilities.values()) - 1) < 1e-5
    assert prediction.total_words == 13 and prediction.known_words >= 10


def test_space_sentence_ranks_space_first(tutorial_run):
    prediction = predict_text(
        tutorial_run.classifier, "NASA launched the shuttle into orbit around the moon"
    )
    assert prediction.ranked()[0][0] == "sci.space"


def test_blank_text_gets_an_answer_not_an_exception(tutorial_run):
    for text in ("", "   \n\t", None):
        prediction = predict_text(tutorial_run.classifier, text)
        assert prediction.probabilities is None and "Type" in prediction.message


def test_unknown_words_are_flagged(tutorial_run):
    prediction = predict_text(tutorial_run.classifier, "qwxzv plorbity snarfle")
    assert prediction.known_words == 0 and prediction.total_words == 3
    assert prediction.probabilities is not None and "None of these words" in prediction.message


def test_a_megabyte_of_text_still_answers(tutorial_run, corpus):
    text = ("\n".join(corpus.test_texts))[:1_000_000]
    prediction = predict_text(tutorial_run.classifier, text)
    assert len(text) == 1_000_000 and prediction.probabilities is not None
