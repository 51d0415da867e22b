"""Reading a file a stranger names: regular files only, never past the cap, never waiting."""

import os
import threading

import pytest

from textclf.io.files import FileRefused, read_capped


def test_a_regular_file_is_read_whole(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"text,label\nhello,x\n")
    assert read_capped(path, 100) == b"text,label\nhello,x\n"
    assert read_capped(path, len(b"text,label\nhello,x\n")) == b"text,label\nhello,x\n"


def test_a_file_over_the_cap_is_refused_with_its_size(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 101)
    with pytest.raises(FileRefused) as refusal:
        read_capped(path, 100)
    assert refusal.value.size == 101


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/urandom", "/proc/self", "/tmp"])
def test_devices_and_folders_are_refused_before_a_byte_is_read(path):
    with pytest.raises(FileRefused, match="not a regular file") as refusal:
        read_capped(path, 2**20)
    assert refusal.value.size is None


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    outcome = []

    def read():
        try:
            read_capped(pipe, 100)
        except FileRefused as refusal:
            outcome.append(refusal)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # it waits for a writer: give it one so the thread can end
        with open(pipe, "wb"):
            pass
        pytest.fail("opening a named pipe waited for a writer")
    assert outcome and outcome[0].size is None


def test_a_missing_file_is_refused_in_a_sentence_that_names_it(tmp_path):
    with pytest.raises(FileRefused, match="absent.csv: no such file"):
        read_capped(tmp_path / "absent.csv", 100)
