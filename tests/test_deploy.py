"""The files hosts read agree with the pins the tests run on (README, Deploy)."""

import re
import tomllib
from importlib.metadata import requires

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def pins(path) -> dict[str, str]:
    """name -> version of a requirements file's `name==version` lines."""
    found = {}
    for line in (ROOT / path).read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = str(requirement.specifier)[2:]
    return found


def what_installs(names) -> set[str]:
    """The names and every dependency they pull in here (Linux, no extras), found in the
    installed packages' metadata."""
    seen, todo = set(), [canonicalize_name(n) for n in names]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            for line in requires(name) or ():
                requirement = Requirement(line)
                if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                    todo.append(canonicalize_name(requirement.name))
    return seen


def test_pipfile_pins_what_requirements_txt_installs_at_the_same_versions():
    pipfile = tomllib.loads((ROOT / "Pipfile").read_text())
    packages = pipfile["packages"]
    torch = packages.pop("torch")
    pinned = {canonicalize_name(n): v.removeprefix("==") for n, v in packages.items()}
    pinned["torch"] = torch["version"].removeprefix("==")
    constraints = pins("constraints.txt")
    needed = what_installs(pins("requirements.txt"))
    assert set(pinned) == needed
    assert pinned == {name: constraints[name] for name in needed}
    sources = {source["name"]: source["url"] for source in pipfile["source"]}
    assert sources[torch["index"]] == TORCH_CPU_INDEX


def test_requirements_name_no_index_and_the_dockerfile_the_same_cpu_torch():
    # An index or link in requirements.txt is looked up for every package: minutes of retries
    # on a machine that cannot reach it (README, Deploy)
    for path in ("requirements.txt", "requirements-dev.txt", "constraints.txt"):
        text = (ROOT / path).read_text()
        assert not re.search(r"^\s*(-i|-f|--index-url|--extra-index-url|--find-links)", text, re.M)
    dockerfile = (ROOT / "Dockerfile").read_text()
    torch = re.search(r'--index-url "\$TORCH_INDEX" torch==(\S+)\+cpu', dockerfile)
    assert torch and torch[1] == pins("requirements.txt")["torch"]
    assert f"ARG TORCH_INDEX={TORCH_CPU_INDEX}\n" in dockerfile


def test_the_space_header_serves_the_dockerfile_port():
    header = (ROOT / "README.md").read_text().split("---\n")[1]  # the YAML block Spaces reads
    settings = dict(line.split(": ", 1) for line in header.splitlines())
    assert settings["sdk"] == "docker" and settings["app_port"] == "8501"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "EXPOSE 8501\n" in dockerfile and "--server.port=8501" in dockerfile
