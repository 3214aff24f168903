"""Every kind of console notification the code sends has a Chinese label."""

from __future__ import annotations

import ast
from pathlib import Path

import leadermail
from leadermail.platform.notifications.console import KIND_LABELS


def sent_kinds() -> set[str]:
    kinds = set()
    for path in Path(leadermail.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "notify"):
                continue
            for keyword in node.keywords:
                if keyword.arg == "kind" and isinstance(keyword.value, ast.Constant):
                    kinds.add(keyword.value.value)
    return kinds


def test_every_notification_kind_has_a_label():
    kinds = sent_kinds()
    assert {"assignment", "reply_returned"} <= kinds  # the scan sees the calls
    assert kinds - KIND_LABELS.keys() == set()
