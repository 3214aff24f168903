"""Every block htmx may render alone imports the macros it uses itself.

htmx requests get one block of a page (``render(..., fragment=...)``), and
jinja2-fragments renders that block without running the top of the file, so
a macro imported only there is undefined in the fragment: the page renders,
the swap fails with a 500 (it did, for the evaluation form's error path).
Blocks the layouts declare (title, content, ...) are only ever rendered as
part of the page; every other block may be a fragment and is checked.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from jinja2 import nodes

ROOT = Path(__file__).resolve().parents[4]
TEMPLATE_DIRS = [
    ROOT / "leadermail" / "public_site" / "templates",
    ROOT / "leadermail" / "console" / "templates",
    *sorted((ROOT / "themes").glob("*/templates")),
]
LAYOUTS = [
    ROOT / "themes" / "base" / "templates" / "base.html",
    ROOT / "leadermail" / "console" / "templates" / "console_base.html",
]

_ENV = jinja2.Environment(autoescape=True)  # only parses, never renders


def _parse(path: Path) -> nodes.Template:
    return _ENV.parse(path.read_text(encoding="utf-8"), name=str(path))


def _imported_names(node: nodes.Node) -> set[str]:
    names: set[str] = set()
    for found in node.find_all(nodes.FromImport):
        for name in found.names:
            names.add(name[1] if isinstance(name, tuple) else name)
    for found in node.find_all(nodes.Import):
        names.add(found.target)
    return names


def _top_level_imports(template: nodes.Template) -> set[str]:
    names: set[str] = set()
    for node in template.body:
        if isinstance(node, nodes.FromImport | nodes.Import):
            names |= _imported_names(nodes.Template([node]))
    return names


def _missing_imports(template: nodes.Template, page_blocks: set[str]) -> dict[str, set[str]]:
    """Blocks (other than ``page_blocks``) using a name imported only at the top."""
    top = _top_level_imports(template)
    missing: dict[str, set[str]] = {}
    for block in template.find_all(nodes.Block):
        if block.name in page_blocks:
            continue
        used = {name.name for name in block.find_all(nodes.Name) if name.ctx == "load"}
        if names := (used & top) - _imported_names(block):
            missing[block.name] = names
    return missing


def test_layout_and_template_files_are_found() -> None:
    assert all(layout.is_file() for layout in LAYOUTS)
    assert len([p for d in TEMPLATE_DIRS for p in d.rglob("*.html")]) > 50


def test_blocks_that_may_be_fragments_import_their_own_macros() -> None:
    page_blocks = {b.name for layout in LAYOUTS for b in _parse(layout).find_all(nodes.Block)}
    assert {"title", "content"} <= page_blocks
    problems = [
        f"{path.relative_to(ROOT)}: block {block}: {sorted(names)}"
        for directory in TEMPLATE_DIRS
        for path in sorted(directory.rglob("*.html"))
        for block, names in _missing_imports(_parse(path), page_blocks).items()
    ]
    assert not problems, "import these inside the block:\n" + "\n".join(problems)


def test_the_check_finds_a_block_using_a_macro_imported_only_at_the_top() -> None:
    template = _ENV.parse(
        '{% extends "base.html" %}{% from "m.html" import error %}'
        "{% block content %}{{ error('x') }}"
        "{% block rows %}{{ error('y') }}{% endblock %}"
        "{% block fixed %}{% from 'm.html' import error %}{{ error('z') }}{% endblock %}"
        "{% endblock %}"
    )
    assert _missing_imports(template, {"content"}) == {"rows": {"error"}}
