"""etl.scrub: integration tokens and other secrets out of documents, wherever they hide."""

from __future__ import annotations

from etl.intake import Rejected
from etl.scrub import REDACTED, scrub, scrub_rejected

TOKEN = "aobEdbYhXfu5hkeqGxyzWQ12"


def test_secret_keys_keep_their_key_and_lose_their_value_at_any_depth() -> None:
    doc = {
        "_id": "h1",
        "token": TOKEN,
        "data": {"token": TOKEN, "text": "hi", "user": {"password": "hunter2hunter2"}},
        "list": [{"apiKey": "k" * 20}],
    }
    clean = scrub(doc)
    assert clean["token"] == clean["data"]["token"] == REDACTED
    assert clean["data"]["user"]["password"] == REDACTED
    assert clean["list"][0]["apiKey"] == REDACTED
    assert clean["data"]["text"] == "hi"
    assert doc["token"] == TOKEN  # a copy: the input is left alone


def test_a_token_value_is_removed_from_every_string_and_url() -> None:
    doc = {
        "token": TOKEN,
        "url": f"https://hooks.example.com/hooks/i1/{TOKEN}",
        "urls": ["https://user:pw@example.com/x?token=abc&keep=1&sig=zzz"],
        "httpResult": f'{{"echo": "{TOKEN}"}}',
    }
    clean = scrub(doc)
    assert TOKEN not in repr(clean)
    assert clean["url"] == f"https://hooks.example.com/hooks/i1/{REDACTED}"
    assert "pw@" not in clean["urls"][0] and "abc" not in clean["urls"][0]
    assert "keep=1" in clean["urls"][0] and "zzz" not in clean["urls"][0]


def test_scripts_are_redacted_unless_kept() -> None:
    doc = {"script": "const key = 'abc';", "scriptCompiled": "x", "scriptEnabled": True}
    assert scrub(doc)["script"] == scrub(doc)["scriptCompiled"] == REDACTED
    assert scrub(doc)["scriptEnabled"] is True
    assert scrub(doc, keep_scripts=True)["script"] == doc["script"]


def test_quarantined_items_are_scrubbed_too_even_as_json_text() -> None:
    text = '{"_id": 1, "token": "' + TOKEN + '", "Token" : "other\\"quoted"}'
    items = [Rejected({"_id": 5, "token": TOKEN}, "bad id"), Rejected(text, "not UTF-8")]
    clean = scrub_rejected(items)
    assert clean[0].raw["token"] == REDACTED and clean[0].reason == "bad id"
    assert TOKEN not in clean[1].raw and "other" not in clean[1].raw
