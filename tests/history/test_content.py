"""What counts as a message's content (a new version), independent of key order."""

from __future__ import annotations

from etl.load.history import content_hash


def test_content_is_text_attachments_file_files_md_only() -> None:
    doc = {"msg": "hi", "md": [{"type": "PARAGRAPH", "value": "hi"}], "attachments": []}
    same = {**doc, "reactions": {":+1:": {"usernames": ["a"]}}, "pinned": True, "tcount": 3}
    assert content_hash(doc) == content_hash(same)
    assert content_hash(doc) == content_hash({"attachments": [], "md": doc["md"], "msg": "hi"})
    for key, value in (("msg", "ho"), ("attachments", [{"title": "x"}]), ("file", {"_id": "f"})):
        assert content_hash(doc) != content_hash({**doc, key: value}), key
    assert content_hash(doc) != content_hash({**doc, "files": [{"_id": "f"}]})


def test_integers_beyond_64_bits_do_not_break_the_digest() -> None:
    huge = {"msg": "x", "attachments": [{"size": 2**70}]}
    assert content_hash(huge) == content_hash(dict(huge)) != content_hash({"msg": "x"})


def test_the_digest_never_changes() -> None:
    """Stored digests (messages.content_digest, message_versions.content_hash) are compared with
    new ones: a different digest of the same content would make every message a new version."""
    doc = {
        "msg": "hi",
        "md": [{"value": "hi", "type": "PARAGRAPH"}],
        "attachments": [{"title": "x", "size": 2}],
        "file": {"_id": "f"},
        "files": [{"_id": "f"}],
        "pinned": True,
    }
    assert content_hash(doc) == "3d7922d04c6ce789c3e7dbcfddf9e632"
    assert content_hash({"msg": "x", "attachments": [{"size": 2**70}]}) == (
        "f15f3da6352765e5af1571387dc80dd7"
    )
