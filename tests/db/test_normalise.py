"""Server document -> rows, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from etl.normalise import TABLES, NormaliseError, normalise, parse_date
from tests.db import samples


def test_message_columns_follow_the_naming_rule() -> None:
    doc = samples.message(
        editedAt="2024-03-01T10:06:00.000Z", editedBy={"_id": "u1", "username": "bob"}
    )
    record = normalise("messages", doc)
    row = record.row
    assert record.table == "messages"
    assert row["id"] == "m1" and row["rid"] == "GENERAL"
    assert (row["u_id"], row["u_username"], row["u_name"]) == ("u1", "bob", "Bob B")
    assert row["ts"] == datetime(2024, 3, 1, 10, 0, 0, 123000, tzinfo=UTC)
    assert row["updated_at"].tzinfo is UTC
    assert row["edited_at"] == datetime(2024, 3, 1, 10, 6, tzinfo=UTC)
    assert row["edited_by_username"] == "bob"
    assert row["raw"] is doc


def test_message_children() -> None:
    children = normalise("messages", samples.message()).children
    reactions = {(r["emoji"], r["username"], r["name"]) for r in children["message_reactions"]}
    assert reactions == {
        (":+1:", "alice", "Alice"),
        (":+1:", "carol", "Carol"),
        (":tada:", "bob", None),
    }
    kinds = [(m["kind"], m["mention_id"]) for m in children["message_mentions"]]
    assert kinds == [("user", "u2"), ("channel", "GENERAL")]
    assert children["message_attachments"][0]["title_link"] == "/file-upload/f1/report.pdf"
    assert children["message_files"][0] == {
        "message_id": "m1", "position": 0, "file_id": "f1", "name": "report.pdf",
        "type": "application/pdf", "size": 1234,
    }  # fmt: skip
    assert children["message_urls"][0]["title"] == "Example"
    assert list(children["thread_followers"]) == []


def test_thread_parent_followers_are_unique() -> None:
    record = normalise("messages", samples.thread_parent())
    assert record.row["tcount"] == 2
    assert [f["user_id"] for f in record.children["thread_followers"]] == ["u1", "u2"]


def test_legacy_single_file_and_unknown_type_are_kept() -> None:
    doc = samples.message(files=None, file={"_id": "f9", "name": "a.png", "type": "image/png"})
    doc["t"] = "some-future-system-type"
    record = normalise("messages", doc)
    assert record.row["t"] == "some-future-system-type"
    assert record.children["message_files"][0]["file_id"] == "f9"


@pytest.mark.parametrize(
    "value",
    [
        "2024-03-01T10:00:00.123Z",
        {"$date": 1709287200123},
        {"$date": "2024-03-01T10:00:00.123Z"},
        {"$date": {"$numberLong": "1709287200123"}},
        1709287200123,
        "2024-03-01T11:00:00.123+01:00",
    ],
)
def test_dates_in_every_accepted_form(value: object) -> None:
    assert parse_date(value) == datetime(2024, 3, 1, 10, 0, 0, 123000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"rid": "R", "msg": "no id"}, "_id"),
        ({"_id": "", "rid": "R"}, "_id"),
        ({"_id": 5, "rid": "R"}, "_id"),
        ({"_id": "m", "rid": "R", "msg": 12}, "'msg'"),
        ({"_id": "m", "rid": "R", "ts": "yesterday"}, "'ts'"),
        ({"_id": "m", "rid": "R", "ts": [1]}, "'ts'"),
        ({"_id": "m", "rid": "R", "ts": {"$date": float("nan")}}, "'ts'"),
        ({"_id": "m", "rid": "R", "ts": 10**20}, "'ts'"),
        ({"_id": "m", "msg": "no room"}, "'rid'"),
        ({"_id": "m", "rid": "R", "reactions": {":x:": "bob"}}, "reaction"),
        ({"_id": "m", "rid": "R", "u": "bob"}, "'u'"),
        ({"_id": "m", "rid": "R", "tcount": "2"}, "'tcount'"),
        ({"_id": "m", "rid": "R\x00"}, "'rid'"),
        ({"_id": "m", "rid": "R", "tmid": "p\x00"}, "'tmid'"),
    ],
)
def test_unnormalisable_messages_name_the_problem(doc: dict, reason: str) -> None:
    with pytest.raises(NormaliseError) as err:
        normalise("messages", doc)
    assert reason in err.value.reason


def test_not_an_object_and_unknown_resource() -> None:
    with pytest.raises(NormaliseError, match="not an object"):
        normalise("messages", ["x"])
    with pytest.raises(ValueError, match="unknown table 'bananas'"):
        normalise("bananas", {"_id": "x"})


def test_dm_rooms_carry_their_members_other_rooms_do_not() -> None:
    dm = normalise("rooms", samples.dm_room())
    assert [(m["user_id"], m["username"]) for m in dm.children["room_members"]] == [
        ("u1", "bob"),
        ("u2", "alice"),
    ]
    channel = normalise("rooms", samples.room())
    assert "room_members" not in channel.children
    assert channel.row["last_message_id"] == "m1" and channel.row["default"] is True


def test_room_member_needs_the_room_id() -> None:
    member = normalise("room_members", {"_id": "u1", "username": "bob", "rid": "GENERAL"})
    assert member.row == {
        "room_id": "GENERAL", "user_id": "u1", "username": "bob", "name": None, "status": None,
    }  # fmt: skip
    with pytest.raises(NormaliseError, match="'rid'"):
        normalise("room_members", {"_id": "u1", "username": "bob"})


def test_user_and_directory_children() -> None:
    user = normalise("users", samples.user())
    assert [r["role"] for r in user.children["user_roles"]] == ["user", "admin"]
    assert user.children["user_emails"][0]["verified"] is True
    assert user.row["utc_offset"] == 2.0
    perm = normalise("permissions", samples.SMALL_DOCS["permissions"])
    assert [r["role"] for r in perm.children["permission_roles"]] == ["admin", "user", "bot"]
    emoji = normalise("custom_emoji", {"_id": "e", "name": "x", "aliases": "a, b"})
    assert [a["alias"] for a in emoji.children["emoji_aliases"]] == ["a", "b"]


def test_every_resource_has_a_normaliser() -> None:
    docs = {
        **samples.SMALL_DOCS,
        "messages": samples.message(),
        "rooms": samples.room(),
        "users": samples.user(),
        "room_members": {"_id": "u1", "rid": "R"},
    }
    assert set(docs) == set(TABLES)
    for resource, doc in docs.items():
        assert normalise(resource, doc).row


def test_child_keys_with_nul_stay_in_raw_only() -> None:
    doc = samples.message(
        reactions={":a:": {"usernames": ["ok", "bad\x00"]}, "bad\x00:": {"usernames": ["x"]}},
        replies=["u1", "u\x00"],
    )
    children = normalise("messages", doc).children
    assert [(r["emoji"], r["username"]) for r in children["message_reactions"]] == [(":a:", "ok")]
    assert [f["user_id"] for f in children["thread_followers"]] == ["u1"]


def test_integration_rows_keep_only_the_presence_of_a_token_and_script() -> None:
    token = "x" * 48
    doc = {
        "_id": "i2",
        "type": "webhook-incoming",
        "token": token,
        "script": "class Script {}",
        "_updatedAt": "2024-01-01T00:00:00.000Z",
    }
    row = normalise("integrations", doc).row
    assert row["has_token"] is True and row["has_script"] is True
    assert token not in repr(row)
    assert row["raw"]["script"] == "class Script {}"  # the sync step decides about scripts


def test_statistics_read_both_livechat_spellings() -> None:
    from etl.normalise.admin import normalise_server_statistics

    listed = {"_id": "s1", "totalAllLivechat": 3, "totalAllLivechatMessages": 40, "totalUsers": 9}
    row = normalise_server_statistics(listed, 7).row
    assert (row["id"], row["run_id"], row["total_users"]) == ("run-7", 7, 9)
    assert (row["total_livechat"], row["total_livechat_messages"]) == (3, 40)
    current = {"_id": "s2", "totalLivechat": 5, "totalLivechatMessages": 50}
    row = normalise_server_statistics(current, 8).row
    assert (row["total_livechat"], row["total_livechat_messages"]) == (5, 50)
