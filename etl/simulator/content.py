"""Message bodies: words, unicode, mentions, URLs with metadata, files, reactions, markdown."""

from __future__ import annotations

import random
from typing import Any

from etl.simulator.clock import iso
from etl.simulator.ids import random_id

WORDS = [
    "the",
    "deploy",
    "is",
    "green",
    "again",
    "ok",
    "thanks",
    "for",
    "the",
    "review",
    "can",
    "we",
    "ship",
    "it",
    "today",
    "tomorrow",
    "maybe",
    "later",
    "please",
    "check",
    "the",
    "logs",
    "on",
    "staging",
    "build",
    "failed",
    "retry",
    "merged",
    "pipeline",
    "alert",
    "resolved",
    "incident",
    "meeting",
    "notes",
    "agenda",
    "coffee",
    "lunch",
    "docs",
    "release",
    "candidate",
    "hotfix",
    "backlog",
    "sprint",
    "planning",
    "demo",
]

UNICODE_TEXTS = (
    "🎉🚀 shipped! 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈",
    "مرحبا بالعالم — שלום עולם — right-to-left",
    "Z̷a̴l̶g̸o̵ t̷e̷x̶t̵ with combining marks ñ vs ñ",
    "你好世界 こんにちは 안녕하세요",
    "zero\u200bwidth\u200djoiner and \u202eoverride",
    "math 𝔸𝕓𝕔 and astral 𐍈 characters",
)
REACTIONS = (":+1:", ":tada:", ":eyes:", ":heart:", ":joy:", ":rocket:")
SYSTEM_TYPES = (
    "uj",
    "ul",
    "au",
    "ru",
    "room_changed_topic",
    "ujt",
    "added-user-to-team",
    "user-muted",
)


def markdown(text: str) -> list[dict[str, Any]]:
    return [{"type": "PARAGRAPH", "value": [{"type": "PLAIN_TEXT", "value": text}]}]


def user_ref(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "_id": user["_id"],
        "username": user["username"],
        "name": user.get("name", user["username"]),
    }


class Content:
    """Builds message documents; every choice comes from the seeded `rng`."""

    def __init__(
        self, rng: random.Random, users: list[dict[str, Any]], channels: list[dict[str, Any]]
    ) -> None:
        self.rng = rng
        self.users = users
        self.channels = channels
        self.refs = {u["_id"]: user_ref(u) for u in users}

    def words(self, lo: int = 3, hi: int = 18) -> str:
        return " ".join(self.rng.choices(WORDS, k=self.rng.randint(lo, hi)))

    def base(self, rid: str, user: dict[str, Any], ts: int, text: str) -> dict[str, Any]:
        return {
            "_id": random_id(self.rng),
            "rid": rid,
            "msg": text,
            "ts": iso(ts),
            "u": self.refs.get(user["_id"]) or user_ref(user),
            "_updatedAt": iso(ts),
            "mentions": [],
            "channels": [],
            "md": markdown(text),
        }

    def regular(self, rid: str, user: dict[str, Any], ts: int) -> dict[str, Any]:
        rng = self.rng
        roll = rng.random()
        text = rng.choice(UNICODE_TEXTS) if roll < 0.04 else self.words()
        doc = self.base(rid, user, ts, text)
        roll = rng.random()
        if roll < 0.10:
            self.add_mention(doc)
        elif roll < 0.13 and self.channels:
            channel = rng.choice(self.channels)
            doc["msg"] += f" see #{channel['name']}"
            doc["channels"] = [{"_id": channel["_id"], "name": channel["name"]}]
        elif roll < 0.21:
            self.add_url(doc)
        elif roll < 0.25:
            self.add_file(doc, ts)
        if rng.random() < 0.15:
            self.add_reactions(doc)
        return doc

    def add_mention(self, doc: dict[str, Any]) -> None:
        if self.rng.random() < 0.1:
            doc["msg"] = "@all " + doc["msg"]
            doc["mentions"] = [{"_id": "all", "username": "all"}]
            return
        target = self.rng.choice(self.users)
        doc["msg"] = f"@{target['username']} {doc['msg']}"
        doc["mentions"] = [{**self.refs[target["_id"]], "type": "user"}]

    def add_url(self, doc: dict[str, Any]) -> None:
        path = random_id(self.rng, 8)
        url = f"https://example.org/docs/{path}"
        doc["msg"] += f" {url}"
        doc["urls"] = [
            {
                "url": url,
                "meta": {"pageTitle": f"Docs {path}", "description": self.words(4, 10)},
                "headers": {"contentType": "text/html; charset=utf-8"},
                "parsedUrl": {
                    "host": "example.org",
                    "pathname": f"/docs/{path}",
                    "protocol": "https:",
                },
            }
        ]

    def add_file(self, doc: dict[str, Any], ts: int) -> None:
        fid = random_id(self.rng)
        name = f"report-{fid[:5]}.png"
        doc["file"] = {"_id": fid, "name": name, "type": "image/png"}
        doc["files"] = [
            {
                "_id": fid,
                "name": name,
                "type": "image/png",
                "size": self.rng.randint(1_000, 900_000),
            }
        ]
        doc["attachments"] = [
            {
                "ts": iso(ts),
                "title": name,
                "title_link": f"/file-upload/{fid}/{name}",
                "title_link_download": True,
                "image_url": f"/file-upload/{fid}/{name}",
                "image_type": "image/png",
                "image_size": doc["files"][0]["size"],
                "type": "file",
            }
        ]

    def add_reactions(self, doc: dict[str, Any]) -> None:
        reactions: dict[str, dict[str, Any]] = {}
        for emoji in self.rng.sample(REACTIONS, self.rng.randint(1, 3)):
            people = self.rng.sample(self.users, min(len(self.users), self.rng.randint(1, 4)))
            reactions[emoji] = {"usernames": [u["username"] for u in people]}
        doc["reactions"] = reactions

    def system(self, rid: str, user: dict[str, Any], ts: int) -> dict[str, Any]:
        kind = self.rng.choice(SYSTEM_TYPES)
        text = self.words(2, 6) if kind == "room_changed_topic" else user["username"]
        doc = self.base(rid, user, ts, text)
        del doc["md"]
        doc["t"] = kind
        doc["groupable"] = False
        return doc


def as_removed(doc: dict[str, Any], user: dict[str, Any], when: int) -> dict[str, Any]:
    """`setAsDeletedByIdAndUser`: the message stays as `t:'rm'` with its content emptied."""
    for key in ("md", "blocks", "tshow"):
        doc.pop(key, None)
    editor = {"_id": user["_id"], "username": user["username"]}
    doc.update(msg="", t="rm", urls=[], mentions=[], attachments=[], reactions={})
    doc.update(editedAt=iso(when), editedBy=editor, _updatedAt=iso(when))
    return doc
