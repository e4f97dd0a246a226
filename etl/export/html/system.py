"""System messages (`t` set) as the sentences Rocket.Chat's client shows for them.

`u` is who did it; `msg` carries the subject (the user added, the new name or topic). Unknown types
still say what they are, so nothing in the archive is silently dropped.
"""

from __future__ import annotations

SENTENCES: dict[str, str] = {
    "uj": "{actor} joined the room",
    "ujt": "{actor} joined the team",
    "ul": "{actor} left the room",
    "ult": "{actor} left the team",
    "ut": "{actor} joined the conversation",
    "au": "{actor} added {subject}",
    "ru": "{actor} removed {subject}",
    "added-user-to-team": "{actor} added {subject} to the team",
    "removed-user-from-team": "{actor} removed {subject} from the team",
    "user-muted": "{actor} muted {subject}",
    "user-unmuted": "{actor} unmuted {subject}",
    "r": "{actor} renamed the room to {subject}",
    "room_changed_topic": "{actor} changed the topic to: {subject}",
    "room_changed_description": "{actor} changed the description to: {subject}",
    "room_changed_announcement": "{actor} changed the announcement to: {subject}",
    "room_changed_privacy": "{actor} changed the room type to {subject}",
    "room_changed_avatar": "{actor} changed the room avatar",
    "room-archived": "{actor} archived the room",
    "room-unarchived": "{actor} unarchived the room",
    "room-set-read-only": "{actor} set the room to read only",
    "room-removed-read-only": "{actor} allowed writing in the room",
    "subscription-role-added": "{actor} gave {subject} a role",
    "subscription-role-removed": "{actor} took a role from {subject}",
    "message_pinned": "{actor} pinned a message",
    "discussion-created": "{actor} started the discussion {subject}",
    "wm": "Welcome {actor}",
    "rm": "message deleted",
    "uj-with-alias": "{actor} joined the room",
    "user-converted-to-team": "{actor} converted the room to a team",
    "user-converted-to-channel": "{actor} converted the team to a room",
    "user-added-room-to-team": "{actor} added the room {subject} to the team",
    "user-removed-room-from-team": "{actor} removed the room {subject} from the team",
    "e2e": "encrypted message",
    "jitsi_call_started": "{actor} started a call",
    "videoconf": "{actor} started a call",
}


def system_sentence(t: str, actor: str | None, subject: str | None) -> str:
    """`alice added bob`; an unknown type reads `alice: <type> <subject>`."""
    who = f"@{actor}" if actor else "someone"
    what = subject or ""
    template = SENTENCES.get(t)
    if template is None:
        return f"{who}: {t} {what}".strip()
    if t in ("au", "ru", "added-user-to-team", "removed-user-from-team", "user-muted"):
        what = f"@{what}" if what and not what.startswith("@") else what
    if t in ("user-unmuted", "subscription-role-added", "subscription-role-removed"):
        what = f"@{what}" if what and not what.startswith("@") else what
    return template.format(actor=who, subject=what).strip()
