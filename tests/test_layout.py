"""The package's shape, read from its source: what a reader following the imports meets."""

import ast

from tests.conftest import ROOT
from textclf.io.export import TEMPLATE

PACKAGE = ROOT / "textclf"


def module_name(path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path) -> set[str]:
    """Every module path names, at the top or inside a function (a hidden import counts too),
    with the packages whose __init__ importing it runs."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: a relative import"  # absolute, as this reads them
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    parts = [name.split(".") for name in found]
    return found | {".".join(p[:i]) for p in parts for i in range(1, len(p))}


def package_graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: imports_of(path) & modules.keys() - {name} for name, path in modules.items()}


# each folder, and the folders it may import: the tutorial alone at the bottom, then speed and
# files, then what the panels compute, then hosting; the page and the command line on top
MAY_IMPORT = {
    "learn": set(),  # the tutorial, readable alone
    "fast": {"learn"},  # speed only, optional: chosen where a training starts
    "io": {"learn"},
    "inspect": {"learn", "io"},
    "serve": {"learn", "io", "inspect"},
}
ENTRY_POINTS = ["textclf.__main__", "textclf.bench", "textclf.cli"]


def folder(name: str) -> str:
    """The folder a module sits in ("" at the top: textclf itself, an entry point)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 2 or parts[-1] in {*MAY_IMPORT, "app"} else ""


def test_the_folders_import_one_way_and_the_tutorial_nothing_else():
    graph = package_graph()
    wrong = sorted(
        (name, other)
        for name, imported in graph.items()
        if folder(name) in MAY_IMPORT
        for other in imported
        if other != "textclf" and folder(other) not in {folder(name), *MAY_IMPORT[folder(name)]}
    )
    assert wrong == []
    outside = sorted(n for n in graph if folder(n) not in {*MAY_IMPORT, "app"} and n != "textclf")
    assert outside == ENTRY_POINTS  # every other module sits in a folder by its concern


def test_no_two_modules_import_each_other_even_through_others():
    graph = package_graph()
    assert len(graph) > 40 and graph["textclf.learn.train"]  # the package was read

    def reaches(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    cycles = sorted(name for name in graph if name in reaches(name))
    assert cycles == []


def test_only_the_page_imports_streamlit():
    importers = sorted(
        module_name(path)
        for path in PACKAGE.rglob("*.py")
        if any(name.split(".")[0] == "streamlit" for name in imports_of(path))
    )
    assert importers and all(name.startswith("textclf.app") for name in importers), importers


def test_docstrings_say_why_in_at_most_three_lines():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == TEMPLATE:  # its docstring is the exported script's, for a learner
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node, clean=True)
                if doc and len(doc.splitlines()) > 3:
                    long.append((str(path.relative_to(ROOT)), getattr(node, "name", "<module>")))
    assert long == []
