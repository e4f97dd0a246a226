"""integrations.list pages say `items` where other lists say `count` (older servers send only
`items`, current ones both): the walk pages on what it received either way, clamped or not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hostile.server import Script

HOOKS = [
    {
        "_id": f"hook{i}",
        "type": "webhook-incoming",
        "name": f"Hook {i}",
        "token": f"{i}" * 48,
        "_updatedAt": "2024-01-01T00:00:00.000Z",
    }
    for i in range(7)
]


def _pages(with_count: bool, clamp: int) -> Any:
    def answer(params: dict[str, str], _: int) -> dict[str, Any]:
        offset, count = int(params.get("offset", 0)), int(params.get("count", 50))
        page = HOOKS[offset : offset + min(count or clamp, clamp)]
        body = {"integrations": page, "offset": offset, "items": len(page), "total": len(HOOKS)}
        return body | ({"count": len(page)} if with_count else {}) | {"success": True}

    return answer


@pytest.mark.parametrize("with_count", [False, True])
def test_integrations_page_on_items_with_or_without_count(hostile: Any, with_count: bool) -> None:
    script = Script()
    script.answer["integrations.list"] = _pages(with_count, clamp=3)
    h = hostile(script, page_size=3)
    summary = h.run(["integrations"])
    assert summary.status == "ok", summary.errors
    rows = h.rows("integrations")
    assert set(rows) == {hook["_id"] for hook in HOOKS}
    assert all(row["token"] == "[redacted]" for row in rows.values())
    offsets = [int(c.get("offset", 0)) for c in h.server.calls("integrations.list")]
    assert offsets[:3] == [0, 3, 6]
