"""Upload writes the tests drive: a file uploaded into a room, a file's bytes replaced."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from etl.simulator.clock import iso
from etl.simulator.ids import random_id
from etl.simulator.store import Store
from etl.simulator.uploads import attach, make_upload


class UploadWrites:
    """Mixed into `Mutations` (which provides `post_message`)."""

    ws: Store
    rng: random.Random

    post_message: Callable[..., dict[str, Any]]

    def upload_file(
        self,
        rid: str,
        user_id: str,
        name: str,
        content: bytes | str,
        mime: str = "application/octet-stream",
        description: str = "",
    ) -> dict[str, Any]:
        """`rooms.upload/:rid`: the upload, then its message (`file`, `files`, an attachment)."""
        data = content.encode() if isinstance(content, str) else content
        with self.ws.lock:
            user = self.ws.users[user_id]
            fid = random_id(self.rng)
            upload = make_upload(self.rng, fid, name, mime, len(data), rid, user, self.ws.now())
            upload["description"] = description
            self.ws.uploads[fid] = upload
            self.ws.file_bytes[fid] = data
            self.post_message(rid, user_id, description, **attach(upload))
            return dict(upload)

    def change_file(self, fid: str, content: bytes | str) -> dict[str, Any]:
        """The stored bytes replaced (a store migration, an edited image): new size and etag."""
        data = content.encode() if isinstance(content, str) else content
        with self.ws.lock:
            upload = self.ws.uploads[fid]
            self.ws.file_bytes[fid] = data
            upload.update(size=len(data), etag=random_id(self.rng), _updatedAt=iso(self.ws.now()))
            return dict(upload)
