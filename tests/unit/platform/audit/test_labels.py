"""Every audit action code the code base writes has a Chinese name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from leadermail.platform.audit.labels import (
    ACTION_LABELS,
    PLATFORM_GROUPS,
    TENANT_GROUPS,
    action_label,
    object_label,
)
from leadermail.platform.letters.notices import NOTICE_LABELS
from leadermail.platform.letters.workflow import TRANSITIONS

SOURCE = Path(__file__).resolve().parents[4] / "leadermail"
LABELS_MODULE = SOURCE / "platform" / "audit" / "labels.py"
NAMESPACES = {code.split(".")[0] for code in ACTION_LABELS}
CODE = re.compile(r"^([a-z_]+)\.[a-z_]+$")
PREFIX = re.compile(r"^([a-z_]+)\.[a-z_]*$")

#: The f-string codes (their constant start) and every value they take.
BUILT_CODES = {
    "letter.": set(TRANSITIONS),  # workflow.apply_transition
    "letter.notice_": set(NOTICE_LABELS),  # notices.issue_notice
    "letter.extension_": {"approve", "reject"},  # extensions.decide_extension
    "forwarding.objection_": {"return", "reassign", "dismiss"},  # decide_objection
    "tenant.": {"disabled", "active"},  # console province_tenants._set_status
    "mail_problem.": {"registered", "dismissed"},  # console channels.dismiss_problem
}


def _source_strings() -> tuple[set[str], set[str]]:
    """String constants shaped like a code, and constant starts of f-strings."""
    codes: set[str] = set()
    prefixes: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        if path == LABELS_MODULE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_fstrings = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and node.values:
                in_fstrings.update(id(part) for part in node.values)
                first = node.values[0]
                if isinstance(first, ast.Constant) and (match := PREFIX.match(first.value)):
                    if match.group(1) in NAMESPACES:
                        prefixes.add(first.value)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = CODE.match(node.value)
                if match and match.group(1) in NAMESPACES and id(node) not in in_fstrings:
                    codes.add(node.value)
    return codes, prefixes


def test_every_written_code_has_a_name() -> None:
    codes, prefixes = _source_strings()
    assert codes - set(ACTION_LABELS) == set()
    # A new f-string code: spell out its values in BUILT_CODES and in labels.py.
    assert prefixes == set(BUILT_CODES)
    built = {start + value for start, values in BUILT_CODES.items() for value in values}
    assert built - set(ACTION_LABELS) == set()


def test_names_are_unique_in_each_filter() -> None:
    for groups in (TENANT_GROUPS, PLATFORM_GROUPS):
        names = [name for group in groups for name in group.actions.values()]
        assert len(names) == len(set(names))


def test_a_code_shared_by_both_chains_has_one_name() -> None:
    tenant = {code: name for group in TENANT_GROUPS for code, name in group.actions.items()}
    platform = {code: name for group in PLATFORM_GROUPS for code, name in group.actions.items()}
    assert all(tenant[code] == platform[code] for code in tenant.keys() & platform.keys())


def test_unknown_codes_and_objects_show_as_they_are() -> None:
    assert action_label("letter.urge") == "催办"
    assert action_label("letter.teleport") == "letter.teleport"
    assert action_label("") == ""
    assert object_label("letter") == "来信"
    assert object_label("spaceship") == "spaceship"
    assert object_label(None) == ""
