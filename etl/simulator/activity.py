"""Activity mode: a background thread that keeps the workspace changing at a given rate."""

from __future__ import annotations

import random
import threading

from etl.simulator.content import REACTIONS, WORDS
from etl.simulator.workspace import Workspace


class Activity:
    """Posts, replies, edits, reactions, deletions (all four kinds), joins, emoji: N writes/s."""

    def __init__(self, ws: Workspace, per_second: float, seed: int = 0) -> None:
        self.ws = ws
        self.interval = 1.0 / per_second
        self.rng = random.Random(seed)
        self.writes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rcetl-sim-activity", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.step()
            except (KeyError, ValueError, IndexError):
                continue  # a target vanished between choosing it and writing it
            self.writes += 1

    def step(self) -> None:
        ws, rng, mutate = self.ws, self.rng, self.ws.mutate
        with ws.lock:
            subs = list(ws.subscriptions.values())
            if not subs:
                return
            sub = rng.choice(subs)
            rid, uid = sub["rid"], sub["u"]["_id"]
            if uid not in ws.users or not ws.users[uid].get("active"):
                return
            index = ws.messages.rooms.get(rid)
            recent = [mid for _, mid in (index.by_ts[-50:] if index else [])]
            roll = rng.random()
            text = " ".join(rng.choices(WORDS, k=rng.randint(3, 12)))
            if roll < 0.55 or not recent:
                mutate.post_message(rid, uid, text)
            elif roll < 0.70:
                mutate.post_message(
                    rid, uid, text, tmid=self._thread_root(recent), tshow=rng.random() < 0.1
                )
            elif roll < 0.80:
                mutate.edit_message(rng.choice(recent), uid, text + " (edited)")
            elif roll < 0.90:
                mutate.react(rng.choice(recent), uid, rng.choice(REACTIONS))
            elif roll < 0.92:
                self._directory_change(uid)
            else:
                keep, show = rng.random() < 0.5, rng.random() < 0.5
                mutate.delete_message(
                    rng.choice(recent), uid, keep_history=keep, show_deleted_status=show
                )

    def _directory_change(self, uid: str) -> None:
        """Now and then: someone joins a channel, or a custom emoji comes or goes."""
        ws, rng = self.ws, self.rng
        if rng.random() < 0.5:
            channels = [
                r
                for r in ws.rooms.values()
                if r["t"] == "c" and not ws.is_subscribed(uid, r["_id"])
            ]
            if channels:
                ws.mutate.add_member(rng.choice(channels)["_id"], uid)
        elif ws.custom_emoji and rng.random() < 0.5:
            ws.mutate.delete_emoji(rng.choice(sorted(ws.custom_emoji)))
        else:
            ws.mutate.add_emoji(f"live_{self.writes}_{rng.randint(0, 9999)}")

    def _thread_root(self, recent: list[str]) -> str:
        by_id = self.ws.messages.by_id
        roots = [mid for mid in recent if by_id[mid].tmid is None and by_id[mid].t is None]
        if not roots:
            raise IndexError("no message can start a thread")
        return self.rng.choice(roots)
