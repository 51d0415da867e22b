import collections
import io
import pickle
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
import torch

from tests.modelfiles import altered, inflated
from textclf.io.persist import (
    MAX_WORDS,
    ModelFileError,
    classifier_from_bytes,
    classifier_to_bytes,
    largest_sizes,
    load_classifier,
    save_classifier,
)


def test_saved_model_gives_the_same_probabilities(tutorial_run, corpus, tmp_path):
    path = tmp_path / "model.pt"
    save_classifier(tutorial_run.classifier, path)
    loaded = load_classifier(path)
    assert loaded.labels == tutorial_run.classifier.labels and loaded.config == tutorial_run.config
    texts = corpus.test_texts[:50]
    assert np.allclose(
        loaded.probabilities(texts), tutorial_run.classifier.probabilities(texts), atol=1e-6
    )


def test_tfidf_model_round_trips(corpus, tmp_path):
    from tests.runs import run
    from textclf.learn.config import TUTORIAL, replace

    result = run(replace(TUTORIAL, features="tfidf", epochs=1), corpus)
    loaded = classifier_from_bytes(classifier_to_bytes(result.classifier))
    texts = corpus.test_texts[:20]
    assert np.allclose(
        loaded.probabilities(texts), result.classifier.probabilities(texts), atol=1e-6
    )


def test_truncated_file_is_refused_clearly(tutorial_run):
    data = classifier_to_bytes(tutorial_run.classifier)
    with pytest.raises(ModelFileError, match="not an intact"):
        classifier_from_bytes(data[: len(data) // 2])


class _Exploit:
    def __reduce__(self):
        import os

        return (os.system, ("touch pwned-by-model-file",))


def test_a_file_that_would_run_code_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    buffer = io.BytesIO()
    torch.save({"meta": "{}", "state_dict": _Exploit()}, buffer)
    with pytest.raises(ModelFileError):
        classifier_from_bytes(buffer.getvalue())
    with pytest.raises(ModelFileError):
        classifier_from_bytes(pickle.dumps(_Exploit()))
    assert not (tmp_path / "pwned-by-model-file").exists()


def test_missing_file_is_refused_clearly(tmp_path):
    with pytest.raises(ModelFileError, match="absent.pt: no such file"):
        load_classifier(tmp_path / "absent.pt")


@pytest.fixture(scope="module")
def model_bytes(tutorial_run):
    return classifier_to_bytes(tutorial_run.classifier)


@pytest.fixture(scope="module")
def tfidf_model_bytes(corpus):
    from tests.runs import run
    from textclf.learn.config import TUTORIAL, replace

    config = replace(TUTORIAL, features="tfidf", max_features=2000, hidden=16, epochs=1)
    return classifier_to_bytes(run(config, corpus).classifier)


def refusal(data: bytes) -> str:
    with pytest.raises(ModelFileError) as error:
        classifier_from_bytes(data)
    message = str(error.value)
    assert message and "\n" not in message and message.isprintable()
    return message


@pytest.mark.slow
def test_a_few_mb_claiming_a_4_gib_tensor_is_refused_before_it_is_loaded(model_bytes):
    bomb = inflated(model_bytes, 2**30)  # the first layer's weight in 4 GiB of deflated zeros
    assert len(bomb) < 32 * 2**20
    started = time.perf_counter()
    assert "compressed" in refusal(bomb)
    assert time.perf_counter() - started < 1  # refused from the archive's list of records


def meta_change(part, key, value):
    def change(payload):
        payload["meta"][part][key] = value

    return change


def set_meta(part, value):
    def change(payload):
        payload["meta"][part] = value

    return change


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (set_meta("labels", [1, 2, 3]), "labels are not a list of texts"),
        (set_meta("labels", "comp.graphics"), "labels are not a list of texts"),
        (set_meta("labels", ["comp.graphics", "sci.space"]), "head.weight"),
        (set_meta("labels", ["a", "b", "c", "d"]), "head.weight"),
        (set_meta("labels", ["sci.space", "sci.space", "x"]), "label 'sci.space' appears twice"),
        (set_meta("labels", ["a", " ", "c"]), "a label is empty"),
        (set_meta("labels", [f"l{i}" for i in range(101)]), "101 labels; a model has 2 to 100"),
        (set_meta("labels", None), "labels are not a list of texts"),
        (meta_change("vocabulary", 1, "the"), "word 'the' appears twice"),
        (set_meta("vocabulary", []), "0 words"),
        (set_meta("vocabulary", [1, 2]), "words are not a list of texts"),
        (meta_change("config", "hidden", 50), "first.weight"),
        (meta_change("config", "layers", 1), "body.2"),
        (meta_change("config", "hidden", "100"), "hidden: '100' is not a whole number"),
        (meta_change("config", "hidden", 10**6), "hidden: 1000000 is outside 1 to 1024"),
        (meta_change("config", "features", "tfidf"), "idf"),
        (meta_change("config", "features", ["counts"]), "features"),
        (meta_change("config", "categories", 5), "categories: 5 is not a list of texts"),
        (meta_change("config", "remove", [["headers"]]), "remove: [['headers']] is not a list"),
        (meta_change("config", "dropout", float("nan")), "dropout"),
        (meta_change("config", "max_features", 10), "over its max-features setting"),
        (meta_change("config", "learning_rate", 0.1), "'learning_rate', unknown to this version"),
        (set_meta("config", []), "settings are not a JSON object"),
        (set_meta("format", "textclf-model/2"), "not a textclf-model/1 file"),
    ],
)
def test_altered_metadata_is_refused_in_one_line_that_says_why(model_bytes, change, says):
    assert says in refusal(altered(model_bytes, change))


def test_metadata_that_is_not_json_is_refused(model_bytes):
    payload = torch.load(io.BytesIO(model_bytes), weights_only=True)
    payload["meta"] = '{"format": "textclf-model/1", "labels": ["a", '  # cut short
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    assert "not an intact textclf model file (JSONDecodeError" in refusal(buffer.getvalue())


def poke(name, index, value):
    def change(payload):
        tensors = {**payload["state_dict"], "idf": payload.get("idf")}
        tensors[name].view(-1)[index] = value

    return change


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (poke("head.bias", 0, float("nan")), "head.bias holds values that are not finite"),
        (poke("first.weight", -1, float("inf")), "first.weight holds values that are not finite"),
        (poke("idf", 3, float("-inf")), "idf holds values that are not finite"),
        (lambda p: p.update(idf=p["idf"][:-1]), "a tensor is not laid out as torch.save writes"),
        (lambda p: p.update(idf=p["idf"].float()), "idf is"),
        (lambda p: p.pop("idf"), "idf"),
        (lambda p: p["state_dict"].pop("body.2.bias"), "body.2.bias"),
        (lambda p: p["state_dict"].update(extra=torch.zeros(3)), "extra"),
        (lambda p: p["state_dict"].update({"head.bias": torch.zeros(3, 1)}), "head.bias is"),
        # the right shape, viewing a storage of 10**6 values that torch.load would allocate
        (
            lambda p: p["state_dict"].update({"head.bias": torch.zeros(10**6)[:3]}),
            "a tensor is not laid out as torch.save writes a state_dict",
        ),
    ],
)
def test_altered_tensors_are_refused(tfidf_model_bytes, change, says):
    assert says in refusal(altered(tfidf_model_bytes, change))


def test_an_extra_record_in_the_archive_is_refused(model_bytes):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(model_bytes)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            target.writestr(entry, source.read(entry))
        target.writestr("archive/data/99", bytes(1000))
    assert "records no tensor uses" in refusal(out.getvalue())


def test_labels_with_terminal_escapes_load_as_they_are(model_bytes):
    labels = ["\x1b[31mred\x1b[0m", "bell\x07", "rtl\u202eltr"]
    loaded = classifier_from_bytes(altered(model_bytes, set_meta("labels", labels)))
    assert loaded.labels == tuple(labels)  # kept; the command line escapes them when it shows them


def test_settings_added_later_keep_their_defaults_in_older_files(model_bytes):
    def drop_seed(payload):
        del payload["meta"]["config"]["seed"]

    assert classifier_from_bytes(altered(model_bytes, drop_seed)).config.seed == 0


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/urandom", "/tmp"])
def test_devices_and_folders_are_refused_at_once(path):
    with pytest.raises(ModelFileError, match="is not a regular file"):
        load_classifier(path)


def test_a_file_larger_than_any_model_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.pt"
    with open(big, "wb") as f:
        f.truncate(largest_sizes()[1] + 1)  # sparse: takes no disk
    tracemalloc.start()
    with pytest.raises(ModelFileError, match="is larger than the limit of 2,"):
        load_classifier(big)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2**20


def test_the_largest_model_file_allows_the_largest_network_and_no_more():
    entry, whole = largest_sizes()
    assert entry == MAX_WORDS * 1024 * 4  # the first layer: every word to 1024 units, float32
    assert entry < whole < 2.5e9


def _with_pickle(data: bytes, pickled: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            is_pickle = entry.filename.endswith("/data.pkl")
            target.writestr(entry, pickled if is_pickle else source.read(entry))
    return out.getvalue()


class _Storage:
    """Pickled as torch.save pickles a storage (a persistent id), numel given."""

    def __init__(self, numel):
        self.numel = numel


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            return ("storage", torch.FloatStorage, "0", "cpu", obj.numel)
        return None


class _Call:
    """Pickled as a call of function with args, as a crafted pickle may ask."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


def _pickled(obj) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


# a billion-element view of one value: torch.load would build it, and iterating it (an
# OrderedDict made from it) makes a billion tensors
_STRIDE_0 = _Call(torch._utils._rebuild_tensor_v2, _Storage(1), 0, (10**9,), (0,), False, {})


@pytest.mark.parametrize(
    ("pickled", "says"),
    [
        # torch.load(weights_only=True) would call this: 2 GiB from 20 bytes
        (b"\x80\x02cbuiltins\nbytearray\nJ\xff\xff\xff\x7f\x85R.", "names builtins.bytearray"),
        (_pickled({"state_dict": _Call(collections.OrderedDict, _STRIDE_0)}), "not a state_dict"),
        (_pickled({"state_dict": _STRIDE_0}), "not a state_dict"),
        (b"\x80\x02" + b"N" * 20_000 + b".", "over 10,000 operations"),
    ],
)
def test_a_pickle_that_builds_more_than_a_state_dict_is_refused_before_torch_load(
    model_bytes, pickled, says
):
    tracemalloc.start()
    message = refusal(_with_pickle(model_bytes, pickled))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 64 * 2**20
    assert says in message


def test_names_that_differ_only_in_case_are_refused(model_bytes):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(model_bytes)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            target.writestr(entry, source.read(entry))
            if entry.filename.endswith("/data.pkl"):  # torch's reader may take either
                target.writestr(entry.filename.replace("data.pkl", "DATA.PKL"), b"\x80\x02N.")
    assert "twice" in refusal(out.getvalue())
