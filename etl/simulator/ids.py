"""Identifier formats of a real Rocket.Chat server.

`Random.id()` gives 17 characters from the 55-character "unmistakable" alphabet; documents inserted
without an `_id` (group DMs, self-DMs, edit-history clones) get 24-hex Mongo ObjectIds; a 1:1 DM's
id is
the two user ids sorted and concatenated.
"""

from __future__ import annotations

import random

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
assert len(ALPHABET) == 55


def random_id(rng: random.Random, length: int = 17) -> str:
    return "".join(rng.choices(ALPHABET, k=length))


def object_id(rng: random.Random, epoch_s: int) -> str:
    """A 24-hex ObjectId: 4 bytes of creation time, then 8 random bytes, as Mongo makes them."""
    return f"{epoch_s & 0xFFFFFFFF:08x}{rng.getrandbits(64):016x}"


def direct_room_id(uid_a: str, uid_b: str) -> str:
    return "".join(sorted((uid_a, uid_b)))


def token(rng: random.Random) -> str:
    """Login tokens are 43 url-safe characters on a real server."""
    chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return "".join(rng.choices(chars, k=43))
