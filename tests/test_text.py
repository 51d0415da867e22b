"""Strings from files shown on a terminal: what a person sees, and that it reads back exactly."""

import codecs
import re

import pytest

from textclf.io.text import printable, subject_line


def read_back(shown: str) -> str:
    """What Python reads from printable's output as a string literal's body."""
    return codecs.decode(shown.encode("ascii", "backslashreplace"), "unicode_escape")


@pytest.mark.parametrize(
    "text",
    ["sci.space", "Grüße aus Köln", "日本語のテキスト", "C'est l'été", "a\u00a0b", "emoji 🙂", ""],
)
def test_ordinary_text_of_any_script_is_shown_as_it_is(text):
    assert printable(text) == text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),  # colour: a terminal would obey it
        ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),  # retitles the window, then rings
        ("two\nlines\r\tend", "two\\nlines\\r\\tend"),
        ("abc\u202edcba", "abc\\u202edcba"),  # right-to-left override reorders what is shown
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("line\u2028separator", "line\\u2028separator"),
        ("\x9bcsi", "\\x9bcsi"),  # the one-byte escape of 8-bit terminals
        ("lone \ud800", "lone \\ud800"),
        ("private \U000f0000", "private \\U000f0000"),
        ("a\\x1b", "a\\\\x1b"),  # a backslash is doubled, so it cannot pass for an escape
    ],
)
def test_characters_a_terminal_acts_on_are_shown_escaped(text, shown):
    assert printable(text) == shown
    assert read_back(shown) == text


def test_an_escape_and_its_spelling_are_shown_differently():
    assert printable("\x1b") != printable("\\x1b")


HOSTILE = [
    "Big news\n===",
    "evil@example.com",
    "www.example.com and https://example.com",
    "    indented like code",
    "\tindented with a tab",
    ":red-background[not red] :material/home: :smile:",
    "$x^2$ and $$\\int$$",
    "&amp; &lt;b&gt; <b>bold</b>",
    "**bold** _it_ ~~gone~~ `code` [link](http://x) ![img](http://y)",
    "# heading\n- item\n1. item\n> quote\n| a | b |\n|---|---|",
    "back\\slash \\* and trailing  ",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_literal_escapes_every_construct_and_keeps_the_characters(text):
    from textclf.io.text import WORD_JOINER, markdown_literal

    shown = markdown_literal(text)
    # unescaped, the markdown gives back exactly the text (spaces that began a line aside)
    unescaped = re.sub(r"\\(.)", r"\1", shown.replace("  \n", "\n")).replace("\u00a0", " ")
    unescaped = unescaped.replace(WORD_JOINER, "")  # invisible: keeps addresses from linking
    assert not re.search(r"@\w|(?i:www|https?|mailto)\\?[.:]", shown)
    assert unescaped == text.replace("\t", "    ")
    assert not re.search(r"[!-/:-@\[-`{-~]", re.sub(r"\\.", "", shown))  # all escaped
    assert not re.search(r"(^|\n) ", shown)  # no line starts with a space (code blocks)


def test_a_post_is_named_by_its_subject_or_its_first_line(corpus):
    post = corpus.test_texts[0]
    assert subject_line(post) in post and "Subject:" not in subject_line(post)
    assert subject_line("\n\n  first words here\nsecond") == "first words here"
    assert subject_line("   \n") == "(empty post)"
    assert len(subject_line("Subject: " + "x" * 500)) == 120


def table_cells(markdown: str) -> list[list[str]]:
    """A GFM table's cells as the reader sees them: escapes read, separators and joiners gone."""
    from textclf.io.text import WORD_JOINER

    rows = [re.split(r"(?<!\\)\|", line)[1:-1] for line in markdown.splitlines()]
    return [
        [re.sub(r"\\(.)", r"\1", cell).replace(WORD_JOINER, "").strip() for cell in row]
        for row in rows
    ]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_markdown_table_shows_each_cell_literally_and_keeps_its_shape(text):
    from textclf.io.text import markdown_table

    shown = markdown_table(["word", "count"], [[text, 3], ["plain", 12_345]])
    header, rule, *rows = table_cells(shown)
    assert header == ["word", "count"]
    assert rule == ["---", "---:"]  # the numbers right-aligned
    assert len(rows) == 2 and all(len(row) == 2 for row in rows)  # no cell broke the table
    assert rows[0] == [" ".join(text.replace("\t", "    ").split()), "3"]
    assert rows[1] == ["plain", "12,345"]


def test_a_markdown_table_writes_numbers_as_a_reader_expects():
    import numpy as np

    from textclf.io.text import markdown_table

    shown = markdown_table(
        ["category", "probability", "posts", "kept"],
        [["sci.space", np.float32(0.99996), np.int64(12_345), True],
         ["rec.autos", np.float64(1.2e-05), 3.0, False]],
    )  # fmt: skip
    _, rule, *rows = table_cells(shown)
    assert rule == ["---", "---:", "---:", "---"]  # a flag is not a number
    assert rows[0] == ["sci.space", "1.0000", "12,345", "True"]
    assert rows[1] == ["rec.autos", "1.2e-05", "3", "False"]
    sure = markdown_table(["p"], [[np.float32(1.0)], [0.5]])  # a probability of 1 among others
    assert [row for _, _, *rows in [table_cells(sure)] for row in rows] == [["1.0000"], ["0.5000"]]
    assert table_cells(markdown_table(["only"], [])) == [["only"], ["---"]]
