"""What a person sees: Debian's Chromium, driven by Playwright, against `streamlit run`.

Screenshots of each state land in test-artifacts/ (ignored by git).
"""

import math
import os
import re
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import ROOT
from tests.realfiles import delimited, saying_rows, subject_rows
from tests.runs import run
from tests.serving import streamlit_server
from textclf.io.persist import load_classifier
from textclf.io.tables import corpus_from_tables, read_table
from textclf.io.text import unlinked
from textclf.learn.config import TUTORIAL, replace
from textclf.learn.features import fit_features

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium"),
]


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 2400})  # whole page in shots
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()


def accuracy_metric(page):
    return (
        page.get_by_test_id("stMetric")
        .filter(has_text="Test accuracy")
        .get_by_test_id("stMetricValue")
    )


def wait_for_results(page, timeout=90_000):
    expect(accuracy_metric(page)).to_have_text(re.compile(r"^\d+\.\d\d%$"), timeout=timeout)


def ask(page, text):
    box = page.get_by_label("Text to classify")
    box.fill(text)
    box.press("Control+Enter")


TABS = ("The network", "Watch it learn", "Where it goes wrong", "What it learned", "Runs", "Code")
# Altair charts each tab shows on the tutorial's three groups: a strip per hidden layer; the
# replayed map, matrix and example; two confusion matrices, the reliability diagram and a 2 x 2
# per category; top words per category and the map; the run's matrix beside ComplementNB's; none
# beside the script. Only the open tab is drawn: the others hold none.
TAB_CHARTS = (2, 3, 2 + 1 + 3, 3 + 1, 2, 0)
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def assert_fits(page, where: str):
    """Nothing in the page is wider than the screen, and the page never scrolls sideways (the
    sidebar, closed on a phone, waits off screen)."""
    width = page.viewport_size["width"]
    sideways = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth, "
        "...['stMain', 'stMainBlockContainer'].map(id => "
        "document.querySelector(`[data-testid=${id}]`)).map(e => e.scrollWidth - e.clientWidth)]"
    )
    assert sideways[0] <= sideways[1] and sideways[2:] == [0, 0], (where, sideways)
    for test_id in (
        "stCaptionContainer",
        "stVegaLiteChart",
        "stGraphVizChart",
        "stDataFrame",
        "stCode",
        "stAlert",
        "stMarkdownContainer",
        "stMetric",
    ):
        for element in page.get_by_test_id("stMain").get_by_test_id(test_id).all():
            box = element.bounding_box()
            if box is None or not element.is_visible():
                continue  # in a tab not shown
            if element.evaluate("e => !!e.closest('[role=tablist]')"):
                continue  # the tab labels: a row that scrolls by itself, as on any phone
            assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (where, test_id, box)
    # a chart drawn wider than its box would be cut: each canvas within its chart
    overflow = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]"
        ".filter(c => c.offsetParent && c.querySelector('canvas, svg'))"
        ".map(c => c.querySelector('canvas, svg').getBoundingClientRect().width"
        " - c.getBoundingClientRect().width).filter(d => d > 1)"
    )
    assert overflow == [], (where, overflow)
    # a table that scrolls inside itself hides its right-hand cells: each shown whole
    cut = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=stMain] table')]"
        ".filter(t => t.offsetParent && t.scrollWidth > t.clientWidth + 1)"
        ".map(t => t.rows[0].innerText)"
    )
    assert cut == [], (where, cut)


@pytest.mark.parametrize("size", SIZES)
def test_the_first_visit_reads_in_order_and_fits_the_screen(server, browser, size):
    """At 1280 x 800 and at 390 x 844: what the network is and how it scores, then the box to
    try it, then the tabs, each with its charts; nothing wider than the page. Screenshots of the
    first screen and of each tab land in test-artifacts/<size>-*.png."""
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=width < 500
    )
    page = context.new_page()
    page.goto(server)
    wait_for_results(page)
    assert float(accuracy_metric(page).inner_text().rstrip("%")) / 100 > 0.94
    time.sleep(1)  # the charts' own layout, after the values arrive
    page.screenshot(path=ARTIFACTS / f"{size}-first-screen.png")
    if size == "desktop" and os.environ.get("TEXTCLF_UPDATE_SCREENSHOT"):
        page.screenshot(path=ROOT / "docs" / "first-visit.png")  # the README's picture
    headline = [
        page.get_by_text("The network:").first,
        accuracy_metric(page),
        page.get_by_text("Training loss").first,  # the curves stay on the first screen
    ]
    try_it = [page.get_by_role("heading", name="Try it"), page.get_by_label("Text to classify")]
    if size == "phone":  # a one-line title, then Try it, then the rest
        short = page.get_by_role("heading", name="Watch a network learn: newsgroup posts")
        order = [short, *try_it, *headline]
        assert short.bounding_box()["height"] < 40  # one line
    else:
        order = [*headline, *try_it]
    tops = [item.bounding_box()["y"] for item in [*order, page.get_by_role("tab", name=TABS[0])]]
    assert tops == sorted(tops)
    # the curves start at epoch 0, the seeded network before any step: a loss near ln 3
    curves = page.get_by_test_id("stVegaLiteChart").first
    expect(curves.locator("[aria-label^='X-axis titled']").first).to_have_attribute(
        "aria-label", "X-axis titled 'epoch' for a linear scale with values from 0 to 10"
    )
    first_point = curves.locator("[aria-label^='epoch: 0; loss: ']").first.get_attribute(
        "aria-label"
    )
    assert abs(float(first_point.split("loss: ")[1]) - math.log(3)) < 0.1, first_point
    ask(page, "The pitcher threw a fastball and the batter hit a home run")
    answer = page.get_by_text("Most likely: rec.sport.baseball")
    expect(answer).to_be_visible(timeout=30_000)
    if size == "phone":  # the box and its answer on the first screen, the page not scrolled
        page.get_by_test_id("stMain").evaluate("main => main.scrollTo(0, 0)")
        for shown in (page.get_by_label("Text to classify"), answer):
            box = shown.bounding_box()
            assert 0 <= box["y"] and box["y"] + box["height"] <= height, box
        page.screenshot(path=ARTIFACTS / "phone-try-it-first.png")
    expect(page.get_by_text("Each word's effect on rec.sport.baseball")).to_be_visible()
    expect(page.get_by_text("pitcher", exact=True).first).to_be_visible()  # highlighted in place
    assert_fits(page, "try it")
    for name, charts in zip(TABS, TAB_CHARTS, strict=True):
        page.get_by_role("tab", name=name).click()
        panel = page.get_by_role("tabpanel", name=name)
        expect(panel.get_by_test_id("stVegaLiteChart")).to_have_count(charts, timeout=30_000)
        # and elsewhere only the curves and Try it's two: the closed tabs hold nothing
        expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(charts + 5, timeout=30_000)
        if name == "Watch it learn":
            panel.get_by_role("button", name="Trace one training step").click()
        if name in ("The network", "Watch it learn"):  # the layers; autograd's graph
            graph = panel.get_by_test_id("stGraphVizChart").locator("svg")
            expect(graph).to_be_visible(timeout=30_000)
        if name == "Code":
            expect(panel.get_by_test_id("stCode")).to_contain_text("loss.backward()")
        time.sleep(0.5)
        assert_fits(page, name)
        panel.scroll_into_view_if_needed()
        page.screenshot(path=ARTIFACTS / f"{size}-{name.split()[0].lower()}-tab.png")
    context.close()


def test_a_changed_setting_retrains_and_typing_updates(server, page):
    page.goto(server)
    wait_for_results(page)
    page.get_by_role("slider", name="Hidden layers").press("ArrowRight")  # 2 -> 3 layers
    metric = page.get_by_test_id("stMetric").filter(has_text="Test accuracy")
    change = metric.get_by_test_id("stMetricDelta")
    expect(change).to_have_text(re.compile(r"^[+-]\d+\.\d\d points$"), timeout=90_000)
    assert "layers=3" in page.url
    ask(page, "NASA launched the shuttle into orbit")
    expect(page.get_by_text("Most likely: sci.space")).to_be_visible(timeout=30_000)
    ask(page, "Render the polygons with a faster ray tracing graphics algorithm")
    expect(page.get_by_text("Most likely: comp.graphics")).to_be_visible(timeout=30_000)


def test_a_shared_link_reproduces_the_run_and_its_model(server, page, corpus, features):
    expected = run(replace(TUTORIAL, hidden=40, epochs=4, seed=3), corpus, features)
    started = time.monotonic()
    page.goto(server + "?hidden=40&epochs=4&seed=3&text=a+curveball+in+the+ninth+inning")
    wait_for_results(page)
    seconds = time.monotonic() - started
    assert accuracy_metric(page).inner_text() == f"{expected.report.accuracy:.2%}"
    expect(page.get_by_label("Text to classify")).to_have_value("a curveball in the ninth inning")
    expect(page.get_by_text("Most likely: rec.sport.baseball")).to_be_visible(timeout=30_000)
    print(f"\nshared link to results: {seconds:.2f} s")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download model", exact=True).click()
    downloaded = load_classifier(download.value.path())
    assert downloaded.config == expected.config
    texts = corpus.test_texts[:20]
    assert np.allclose(
        downloaded.probabilities(texts), expected.classifier.probabilities(texts), atol=1e-6
    )
    page.get_by_role("button", name="Share this run").click()
    link = page.get_by_test_id("stCode").filter(has_text="?").first.inner_text()
    assert "hidden=40" in link and "epochs=4" in link and "seed=3" in link


def test_the_model_card_downloads_with_the_runs_numbers(server, page):
    """Download model card: one Markdown file whose accuracy is the one the page shows, and
    whose link opens the same run."""
    page.goto(server + "?hidden=40&epochs=4")
    wait_for_results(page)
    shown = accuracy_metric(page).inner_text()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download model card").click()
    card = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename == "textclf-model-card.md"
    assert card.startswith("# Model card: a bag-of-words MLP on 20 Newsgroups")
    assert f"Test accuracy: **{shown}**" in card
    assert "?hidden=40&epochs=4" in card and "| hidden | 40 |" in card


@pytest.mark.parametrize("size", SIZES)
def test_the_open_tab_survives_whatever_the_visitor_does(server, browser, size):
    """Typing in Try it, Random test post, a setting changed and Train each rerun the page:
    the tab the visitor opened stays open, and the link names it."""
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(server)
    wait_for_results(page)
    chosen = page.get_by_role("tab", name="What it learned")
    chosen.click()
    expect(chosen).to_have_attribute("aria-selected", "true")

    def still_open(after: str):
        page.wait_for_timeout(500)
        wait_for_results(page)
        assert chosen.get_attribute("aria-selected") == "true", after
        assert "tab=What+it+learned" in page.url or "tab=What%20it%20learned" in page.url

    page.get_by_label("Text to classify").fill("The shuttle reached orbit")
    page.get_by_role("button", name="Classify").click()
    expect(page.get_by_text("Most likely: sci.space")).to_be_visible(timeout=30_000)
    still_open("typing in Try it")
    page.get_by_role("button", name="Random test post").click()
    expect(page.get_by_text("This test post’s true group")).to_be_visible(timeout=30_000)
    still_open("a random test post")
    if size == "phone":
        page.get_by_test_id("stExpandSidebarButton").click()
    seed = page.get_by_test_id("stSidebar").get_by_label("Seed")
    seed.fill("4")
    seed.press("Enter")
    page.wait_for_url(re.compile(r"seed=4"), timeout=60_000)
    still_open("a setting changed")
    if size == "phone":
        page.get_by_test_id("stSidebarCollapseButton").locator("button").click()
    page.get_by_role("button", name="Train", exact=True).click()
    still_open("Train")
    page.screenshot(path=ARTIFACTS / f"{size}-tab-kept.png")
    context.close()


def test_on_a_phone_a_training_shows_above_the_settings_that_started_it(server, browser):
    """The settings cover a phone's screen: the training a change starts shows its progress at
    the top of the open settings, wherever they are scrolled; a desktop shows it in the page."""
    groups = ["alt.atheism", "sci.med", "rec.autos", "sci.space", "comp.graphics", "misc.forsale"]
    link = urlencode({"categories": groups, "seed": 11}, doseq=True)
    for width, height in SIZES.values():
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto(f"{server}?{link}")
        wait_for_results(page, timeout=120_000)
        sidebar = page.get_by_test_id("stSidebar")
        if width < 500:
            page.get_by_test_id("stExpandSidebarButton").click()
        seed = sidebar.get_by_label("Seed")
        seed.fill(str(width))  # a seed no one trained: a new training
        seed.press("Enter")
        status = sidebar.get_by_test_id("stProgress")
        if width < 500:
            expect(status).to_be_visible(timeout=30_000)
            box = status.bounding_box()
            assert 0 <= box["y"] < 100, box  # at the top of the screen, not scrolled away
            page.screenshot(path=ARTIFACTS / "phone-training-above-settings.png")
        else:
            expect(page.get_by_test_id("stMain").get_by_test_id("stProgress")).to_be_visible(
                timeout=30_000
            )
            assert not status.is_visible()
        context.close()


def test_a_bad_link_shows_a_notice_and_still_works(server, page):
    junk = "x" * 10_000
    page.goto(
        server
        + "?hidden=%3Cscript%3Ealert(1)%3C/script%3E&epochs=999&categories=sci.space"
        + "&lr=%3Cimg%20src=x%20onerror=alert(2)%3E&seed="
        + junk
        + "&layers=1"
    )
    wait_for_results(page)
    notice = page.get_by_test_id("stAlert").filter(has_text="could not be used")
    expect(notice).to_be_visible()
    for name in ("hidden", "epochs", "categories", "lr", "seed"):
        expect(notice).to_contain_text(name)
    assert page.dialogs == []  # no script from the link ran
    assert page.locator("img[src='x']").count() == 0
    expect(page.get_by_role("tab", name="Where it goes wrong")).to_be_visible()


def test_your_own_file_uploaded_in_the_browser(server, page, tmp_path):
    path = tmp_path / "sprüche.csv"
    path.write_bytes(b"\xef\xbb\xbf" + delimited(saying_rows(), ["Spruch", "Art"]).encode())
    own = corpus_from_tables(read_table(path))
    expected = run(TUTORIAL, own, fit_features(own, TUTORIAL.features))
    page.goto(server)
    wait_for_results(page)
    page.get_by_test_id("stSidebar").get_by_text("Your own file", exact=True).click()
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(path)
    expect(page.get_by_text("Trained on sprüche.csv")).to_be_visible(timeout=90_000)
    wait_for_results(page)
    assert accuracy_metric(page).inner_text() == f"{expected.report.accuracy:.2%}"
    ask(page, "Der Stürmer schoss das Tor in der letzten Minute, der Schiedsrichter pfiff ab")
    expect(page.get_by_text("Most likely: fussball")).to_be_visible(timeout=30_000)


HOSTILE_TEXT = (
    "Big news\n===\nwrite to evil@example.com or www.example.com :red[not red] $x^2$ &amp;\n"
    "    an indented line about the pitcher"
)
HOSTILE_LABELS = {
    "comp.sys.mac.hardware": "**bold**",
    "rec.autos": ":red[cars]",
    "rec.sport.hockey": "evil@example.com",
    "sci.med": "$x^2$",
    "talk.politics.guns": "# heading",
}


def assert_nothing_became_markup(page):
    assert page.locator("a[href^='mailto:'], a[href*='example.com']").count() == 0
    assert page.locator("h1, h2, h3, h4, h5, h6").filter(has_text="Big news").count() == 0
    assert page.locator(".katex, strong:text-is('bold')").count() == 0
    assert page.locator("pre").filter(has_text="indented").count() == 0
    assert page.locator("h1, h2, h3, h4, h5, h6").filter(has_text="heading").count() == 0


def test_hostile_strings_in_a_link_and_a_file_stay_text(server, page, tmp_path):
    """Markdown, autolinks, math, entities and directives from a link's text, a post and a
    file's labels and name are shown as typed, never obeyed (the explanation keeps its colours)."""
    page.goto(server + "?" + urlencode({"text": HOSTILE_TEXT}))
    wait_for_results(page)
    why = page.get_by_text(unlinked("write to evil@example.com or www.example.com :red[not red]"))
    expect(why.first).to_be_visible(timeout=30_000)
    assert_nothing_became_markup(page)
    path = tmp_path / "[click](www.example.com) *not bold* $x$.csv"
    rows = [(text, HOSTILE_LABELS[label]) for text, label in subject_rows()]
    path.write_text(delimited(rows, ["subject", "group"]))
    page.get_by_test_id("stSidebar").get_by_text("Your own file", exact=True).click()
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(path)
    # as typed, but for the invisible word joiner that keeps www. from becoming a link
    expect(page.get_by_text(unlinked(f"Trained on {path.name}"))).to_be_visible(timeout=120_000)
    wait_for_results(page)
    page.get_by_role("tab", name="Where it goes wrong").click()  # a title per category
    panel = page.get_by_role("tabpanel", name="Where it goes wrong")
    for label in HOSTILE_LABELS.values():
        expect(panel.get_by_text(unlinked(label), exact=True).first).to_be_visible()
    assert_nothing_became_markup(page)


def test_a_link_too_heavy_for_the_host_is_refused_at_once(server, page):
    """4 layers of 1,024, batches of one post, 200 epochs (on all 20 groups, once 2.35 GB in 6 s
    and hours of both cores): one warning saying what to lower, and nothing trains. On the
    tutorial's groups, whose data the page has loaded already: the refusal alone is timed."""
    page.goto(server + "?hidden=1024&layers=4&epochs=200&batch-size=1", wait_until="commit")
    expect(page.get_by_text("Watch a neural network learn")).to_be_visible(timeout=60_000)
    started = time.monotonic()
    warning = page.get_by_test_id("stAlert").filter(has_text="cannot train")
    expect(warning).to_be_visible(timeout=60_000)
    seconds = time.monotonic() - started
    expect(warning).to_contain_text("lower the hidden units")
    expect(warning).to_contain_text("lower the epochs")
    assert accuracy_metric(page).count() == 0  # nothing trained
    print(f"\nheavy link refused after {seconds:.2f} s")
    assert seconds < 2


def test_an_upload_too_large_for_the_host_is_refused_before_it_is_sent(server, page, tmp_path):
    """Over TEXTCLF_UPLOAD_MB (10 MB by default): the browser refuses it in one sentence, and the
    server never receives it (its own refusal, for a file sent past the browser, is AppTest's)."""
    path = tmp_path / "subjects-times-sixty.csv"
    rows = subject_rows()
    path.write_text(delimited(rows * 60, ["subject", "group"]))
    assert 10 * 2**20 < path.stat().st_size < 50 * 2**20
    page.goto(server)
    wait_for_results(page)
    page.get_by_test_id("stSidebar").get_by_text("Your own file", exact=True).click()
    expect(page.get_by_text("(up to 10 MB)")).to_be_visible(timeout=30_000)
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(path)
    expect(page.get_by_text("File must be 10.0MB or smaller.")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1000)
    upload_asked = page.get_by_test_id("stAlert").filter(has_text="Upload a file of labelled texts")
    expect(upload_asked).to_be_visible()  # still waiting for a file: none arrived
    assert page.get_by_test_id("stAlert").filter(has_text="cannot be used").count() == 0


def test_a_link_streamlit_cannot_read_gets_a_notice(server, page):
    """Streamlit reads no query of over 1,000 fields: the page says so instead of silently
    training the defaults."""
    page.goto(server + "?" + "&".join(f"seed={i % 7}" for i in range(1001)))
    wait_for_results(page)
    notice = page.get_by_test_id("stAlert").filter(has_text="This link is too long")
    expect(notice).to_be_visible(timeout=30_000)
    expect(notice).to_contain_text("1,001 fields")
    expect(notice).to_contain_text("the defaults are shown")
    page.goto(server + "?seed=3")  # a link it reads: no such notice
    wait_for_results(page)
    page.wait_for_timeout(1500)
    assert page.get_by_test_id("stAlert").filter(has_text="too long").count() == 0


EXERCISE_TASK = "Find the **bold** width [here](www.example.com) $x$ <b>now</b>"


@pytest.mark.parametrize("size", SIZES)
def test_an_exercise_link_locks_hides_and_states_its_task(server, browser, size):
    """A teacher's link: hidden units and layers shown but fixed, the optimiser not shown, the
    task as typed (never markup), and Share's Make an exercise to build such a link."""
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    query = urlencode({"hidden": 40, "lock": "hidden,layers", "hide": "optimizer"})
    page.goto(f"{server}?{query}&{urlencode({'task': EXERCISE_TASK})}")
    wait_for_results(page)
    task = page.get_by_test_id("stAlert").filter(has_text="Task:")
    expect(task).to_contain_text(unlinked(EXERCISE_TASK))
    assert page.locator("a[href*='example.com'], .katex, strong:text-is('bold')").count() == 0
    assert_fits(page, f"{size} exercise")
    page.screenshot(path=ARTIFACTS / f"{size}-exercise.png")
    page.get_by_role("button", name="Share this run").click()
    expect(page.get_by_text("Make an exercise")).to_be_visible()
    page.get_by_text("Make an exercise").scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / f"{size}-make-an-exercise.png")
    page.keyboard.press("Escape")
    sidebar = page.get_by_test_id("stSidebar")
    if size == "phone":  # the sidebar waits behind its button
        page.get_by_test_id("stExpandSidebarButton").click()
        page.wait_for_timeout(800)  # it slides in
    hidden = sidebar.get_by_role("slider", name="Hidden units per layer")
    expect(hidden).to_be_disabled()
    expect(hidden).to_have_attribute("aria-valuetext", "40")  # the link's width, among the steps
    expect(sidebar.get_by_role("slider", name="Hidden layers")).to_be_disabled()
    expect(sidebar.get_by_role("slider", name="Epochs")).to_be_enabled()
    expect(sidebar.get_by_text("Learning rate")).to_be_visible()
    assert sidebar.get_by_text("Optimizer", exact=True).count() == 0
    page.screenshot(path=ARTIFACTS / f"{size}-exercise-sidebar.png")
    context.close()


@pytest.mark.parametrize("size", SIZES)
def test_suspect_labels_are_found_on_demand_and_one_opens(server, browser, size):
    """Where it goes wrong: Find suspect labels trains the folds with progress, lists the posts,
    and a row chosen shows its post and the words that decided."""
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(server + "?" + urlencode({"tab": "Where it goes wrong"}))
    wait_for_results(page)
    panel = page.get_by_role("tabpanel", name="Where it goes wrong")
    panel.get_by_role("button", name="Find suspect labels").click()
    listed = panel.locator("table").filter(has_text="doubt").first  # the rest: in an expander
    expect(listed).to_be_visible(timeout=120_000)
    given = listed.locator("tbody tr").first.locator("td").first.inner_text().split(" →")[0]
    read = panel.get_by_text(re.compile(rf"^Post #\d+, labelled {re.escape(given)};"))
    expect(read).to_be_visible(timeout=30_000)  # Read post opens the most suspect
    assert_fits(page, f"{size} suspects")
    panel.get_by_text("Suspect labels", exact=True).scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / f"{size}-suspects.png")
    with page.expect_download() as download:  # the run's card now counts them
        page.get_by_role("button", name="Download model card").click()
    card = Path(download.value.path()).read_text(encoding="utf-8")
    assert re.search(r"Suspect labels: \d+ test texts whose given label", card)
    context.close()


@pytest.fixture
def phone(browser, request):
    """A phone-sized page (390 x 844), screenshotted whole afterwards as phone-<test>.png."""
    ARTIFACTS.mkdir(exist_ok=True)  # the test saves its own shots too
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    yield page
    page.screenshot(path=ARTIFACTS / f"phone-{request.node.name}.png", full_page=True)
    context.close()


def test_on_a_phone_the_refusal_and_the_explanation_fit_and_stay_text(server, phone):
    """What this page adds for strangers reads on a phone: the refusal of a heavy link fits the
    screen, and a link's hostile text is explained as text. (The charts' width is issue #14.)"""
    phone.goto(server + "?hidden=1024&layers=4&epochs=200&batch-size=1")
    warning = phone.get_by_test_id("stAlert").filter(has_text="cannot train")
    expect(warning).to_be_visible(timeout=60_000)
    box = warning.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    phone.screenshot(path=ARTIFACTS / "phone-heavy-link-refused.png")
    phone.goto(server + "?" + urlencode({"text": HOSTILE_TEXT}))
    wait_for_results(phone)
    why = phone.get_by_text(unlinked("write to evil@example.com or www.example.com :red[not red]"))
    expect(why.first).to_be_visible(timeout=30_000)
    assert_nothing_became_markup(phone)
    why.first.scroll_into_view_if_needed()  # the page scrolls inside Streamlit's main block
    phone.screenshot(path=ARTIFACTS / "phone-why.png")
