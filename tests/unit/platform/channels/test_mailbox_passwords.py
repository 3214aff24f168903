"""The intake mailbox's IMAP password at rest: sealed, bound to its tenant and row."""

from __future__ import annotations

import pytest

from leadermail.platform.channels.mailbox_passwords import (
    MAX_PASSWORD_BYTES,
    SealBroken,
    needs_sealing,
    read_mailbox_password,
    store_mailbox_password,
)
from leadermail.platform.channels.models import ChannelMailbox

KEY = "imap-key-" + "m" * 40


def mailbox(tenant_id: int = 7, mailbox_id: int | None = 3, password: str = "") -> ChannelMailbox:
    return ChannelMailbox(id=mailbox_id, tenant_id=tenant_id, password=password)


def test_round_trip_and_nothing_of_the_password_at_rest() -> None:
    row = mailbox()
    store_mailbox_password(row, "Shou xin 2026!", KEY)
    assert row.password.startswith("sealed-v1:") and "Shou" not in row.password
    assert not needs_sealing(row)
    assert read_mailbox_password(row, KEY) == "Shou xin 2026!"


def test_the_longest_password_the_console_takes_fits_the_column_sealed() -> None:
    row = mailbox()
    store_mailbox_password(row, "密" * (MAX_PASSWORD_BYTES // 3), KEY)
    assert len(row.password) <= 255
    with pytest.raises(ValueError):
        store_mailbox_password(row, "x" * (MAX_PASSWORD_BYTES + 1), KEY)


def test_another_key_another_row_or_another_tenant_cannot_read_it() -> None:
    row = mailbox()
    store_mailbox_password(row, "intake-secret", KEY)
    with pytest.raises(SealBroken):
        read_mailbox_password(row, "rotated-" + "y" * 40)
    for copy in (mailbox(mailbox_id=4), mailbox(tenant_id=8)):
        copy.password = row.password
        with pytest.raises(SealBroken):
            read_mailbox_password(copy, KEY)


def test_a_clear_value_from_before_is_read_and_flagged_for_sealing() -> None:
    row = mailbox(password="intake-secret")
    assert read_mailbox_password(row, KEY) == "intake-secret" and needs_sealing(row)
    # Too long to seal into the column: it keeps working as it is.
    assert not needs_sealing(mailbox(password="x" * (MAX_PASSWORD_BYTES + 1)))


def test_a_new_row_must_have_its_id_first() -> None:
    with pytest.raises(ValueError):
        store_mailbox_password(mailbox(mailbox_id=None), "intake-secret", KEY)
