"""Shareable links: a run's settings as URL query parameters (the command line's option names),
and a link's parameters read back. Reading never raises: a value that cannot be used is reported
(by name, with a reason) and its setting keeps the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from textclf.learn.config import (
    LIST_SETTINGS,
    METADATA,
    NEWSGROUPS,
    TUTORIAL,
    VOCABULARY_CHOICES,
    TrainConfig,
    changed_settings,
    config_fields,
    option_name,
    parse_setting,
    settings_problems,
)

TEXT_PARAMETER = "text"
TAB_PARAMETER = "tab"  # the page's open tab, bound by the page itself (st.tabs' bind)
# A teacher's exercise: settings shown but fixed, settings not shown, and a one-line task.
LOCK_PARAMETER, HIDE_PARAMETER, TASK_PARAMETER = "lock", "hide", "task"
EXERCISE_PARAMETERS = (LOCK_PARAMETER, HIDE_PARAMETER, TASK_PARAMETER)
MAX_LINK_TEXT = 1000  # characters of the prediction box a link carries
MAX_TASK_CHARS = 300  # an exercise's task: one line, not an essay
MAX_VALUE_CHARS = 200  # longer values are junk, not settings


@dataclass
class LinkReading:
    settings: dict = field(default_factory=dict)  # field name -> value, only the usable ones
    ignored: list[str] = field(default_factory=list)  # "name: reason", for the visible notice
    text: str | None = None
    locked: tuple[str, ...] = ()  # field names: shown, fixed at the link's value (or default)
    hidden: tuple[str, ...] = ()  # field names: not shown, fixed likewise
    task: str = ""  # plain text, never markup

    def fixed(self, name: str):
        """The value a locked or hidden setting trains with, whatever the page sends."""
        return self.settings.get(name, getattr(TUTORIAL, name))


def _field_names() -> dict[str, str]:
    return {option_name(name): name for name in config_fields()}


def read_link(params: dict[str, list[str]]) -> LinkReading:
    """Settings from a link's query parameters (each a list of values, as repeated in the URL)."""
    reading = LinkReading()
    names = _field_names()
    unknown = 0
    for key, values in params.items():
        values = [v for v in values if isinstance(v, str)]
        if key == TEXT_PARAMETER:
            text = values[-1] if values else ""
            if len(text) > MAX_LINK_TEXT:
                reading.ignored.append(f"text: longer than {MAX_LINK_TEXT} characters, cut there")
            reading.text = text[:MAX_LINK_TEXT]
            continue
        if key == TAB_PARAMETER:
            continue  # the tabs read it themselves; an unknown tab opens the first
        if key == TASK_PARAMETER:
            task = " ".join((values[-1] if values else "").split())  # one line
            if len(task) > MAX_TASK_CHARS:
                reading.ignored.append(f"task: longer than {MAX_TASK_CHARS} characters, cut there")
            reading.task = task[:MAX_TASK_CHARS]
            continue
        if key in (LOCK_PARAMETER, HIDE_PARAMETER):
            chosen = _settings_named(key, values, names, reading)
            if key == LOCK_PARAMETER:
                reading.locked = chosen
            else:
                reading.hidden = chosen
            continue
        if key not in names:
            unknown += 1
            continue
        name = names[key]
        if any(len(v) > MAX_VALUE_CHARS for v in values):
            reading.ignored.append(f"{key}: too long")
            continue
        try:
            value = _parse(name, values)
        except ValueError as error:
            reading.ignored.append(f"{key}: {error}")
            continue
        if name in LIST_SETTINGS:
            value = _keep_known(key, name, value, reading)
        problems = settings_problems({name: value})
        if name == "max_features" and value not in VOCABULARY_CHOICES:
            problems.append(f"{key}: not one of the offered sizes")
        if problems:
            reading.ignored.append("; ".join(problems))
            continue
        reading.settings[name] = value
    if unknown:
        reading.ignored.append(f"{unknown} unknown parameter{'s' if unknown > 1 else ''}")
    return reading


def _settings_named(key: str, values: list[str], names: dict, reading: LinkReading) -> tuple:
    """The settings a lock= or hide= names (option names, comma-separated or repeated)."""
    asked = [part.strip() for value in values for part in value.split(",") if part.strip()]
    known = tuple(dict.fromkeys(names[part] for part in asked if part in names))
    unknown = len(set(asked) - set(names))
    if unknown:
        reading.ignored.append(f"{key}: {unknown} unknown setting{'s' if unknown > 1 else ''}")
    return known


def _keep_known(key: str, name: str, items: tuple, reading: LinkReading) -> tuple:
    """The known items of a list setting, as the app's bound widget keeps them; the rest noted."""
    allowed = NEWSGROUPS if name == "categories" else METADATA
    known = tuple(item for item in items if item in allowed)
    if len(known) < len(items):
        dropped = len(items) - len(known)
        reading.ignored.append(
            f"{key}: {dropped} unknown value{'s' if dropped > 1 else ''} left out"
        )
    return known


def _parse(name: str, values: list[str]):
    if name in LIST_SETTINGS:
        parts = [part for value in values for part in value.split(",") if part.strip()]
        return tuple(dict.fromkeys(part.strip() for part in parts))  # repeated or comma-separated
    if len(values) != 1:
        raise ValueError("given more than once")
    try:
        return parse_setting(name, values[0])
    except ValueError:
        kind = type(config_fields()[name].default)
        raise ValueError(
            "not a whole number"
            if kind is int
            else "not a number"
            if kind is float
            else "not valid"
        ) from None


def widget_values(params: dict[str, list[str]], reading: LinkReading) -> dict[str, object]:
    """For each setting the link names, the value its URL-bound widget must hold to train what
    the notice says: the link's value where usable, else the default. (Streamlit's binding reads
    a link on its own terms: `epochs=2.5` as 2, a comma-separated list as one unknown item.)"""
    return {
        key: reading.settings.get(name, getattr(TUTORIAL, name))
        for key, name in _field_names().items()
        if key in params
    }


def link_query(
    config: TrainConfig,
    text: str = "",
    locked: tuple[str, ...] = (),
    hidden: tuple[str, ...] = (),
    task: str = "",
) -> str:
    """The query string (without '?') of a link that reproduces config's run; defaults left out.
    locked, hidden (field names) and task make it an exercise."""
    pairs = []
    for name, value in changed_settings(config).items():
        if name in LIST_SETTINGS:
            pairs += [(option_name(name), item) for item in value] or [(option_name(name), "")]
        else:
            pairs.append((option_name(name), str(value)))
    if text.strip():
        pairs.append((TEXT_PARAMETER, text[:MAX_LINK_TEXT]))
    for key, names in ((LOCK_PARAMETER, locked), (HIDE_PARAMETER, hidden)):
        if names:
            pairs.append((key, ",".join(option_name(name) for name in names)))
    if task.strip():
        pairs.append((TASK_PARAMETER, " ".join(task.split())[:MAX_TASK_CHARS]))
    return urlencode(pairs)
