"""Same-matter keys and fingerprints: no personal data, stable, similar ≠ different."""

from __future__ import annotations

from leadermail.platform.forwarding.matters import (
    SIMILARITY_THRESHOLD,
    fingerprint,
    letter_text,
    similarity,
    writer_keys,
)

SECRET = "unit-secret"
FLOODING = letter_text("小区门口道路积水严重", "每次下雨小区门口的道路积水严重，居民出行非常困难。")


def test_phone_formats_give_one_key_and_hide_the_number():
    keys = {
        writer_keys(SECRET, p, None).phone
        for p in ("13812345678", "138-1234-5678", "+86 138 1234 5678", "１３８１２３４５６７８")
    }
    assert len(keys) == 1
    (key,) = keys
    assert "13812345678" not in key and len(key) == 64


def test_keys_depend_on_the_secret_and_ignore_junk():
    assert writer_keys(SECRET, "13812345678", None) != writer_keys("other", "13812345678", None)
    assert not writer_keys(SECRET, "12", "not an id").any()
    assert (
        writer_keys(SECRET, None, "43010519900101123x").id_number
        == writer_keys(SECRET, None, "43010519900101123X").id_number
    )


def test_similar_letters_match_and_different_ones_do_not():
    again = letter_text("道路积水问题还没解决", "小区门口的道路积水严重，下雨天居民出行困难。")
    other = letter_text("噪音扰民", "楼下商铺夜间施工噪音很大，影响休息。")
    base = fingerprint(SECRET, FLOODING)
    assert similarity(base, fingerprint(SECRET, again)) >= SIMILARITY_THRESHOLD
    assert similarity(base, fingerprint(SECRET, other)) < SIMILARITY_THRESHOLD
    assert similarity(base, base) == 1.0
    assert similarity(base, []) == 0.0


def test_fingerprints_carry_no_text():
    assert all("积水" not in h and len(h) == 8 for h in fingerprint(SECRET, FLOODING))
