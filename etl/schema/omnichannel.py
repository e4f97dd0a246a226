"""Omnichannel (livechat) tables: chats, visitors, departments, agents, managers, and the small
configuration collections (custom fields, triggers, office hours), plus their child tables.

`livechat_rooms` is 1:1 with `rooms` (same id, `t = 'l'`): the room's omnichannel fields that
`rooms` leaves in `raw`. Times in `metrics` are seconds, as the server stores them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from etl.schema.base import Base, Child, Synced, parent_key
from etl.schema.types import RawJSON


class LivechatRoom(Synced, Base):
    __tablename__ = "livechat_rooms"

    fname: Mapped[str | None]
    ts: Mapped[datetime | None]
    open: Mapped[bool | None]
    closed_at: Mapped[datetime | None]
    closer: Mapped[str | None]  # `user` or `visitor`
    closed_by_id: Mapped[str | None]
    closed_by_username: Mapped[str | None]
    visitor_id: Mapped[str | None] = mapped_column(index=True)
    visitor_username: Mapped[str | None]
    visitor_token: Mapped[str | None]
    visitor_status: Mapped[str | None]
    served_by_id: Mapped[str | None] = mapped_column(index=True)
    served_by_username: Mapped[str | None]
    served_by_ts: Mapped[datetime | None]
    response_by_id: Mapped[str | None]
    response_by_username: Mapped[str | None]
    department_id: Mapped[str | None] = mapped_column(index=True)
    waiting_response: Mapped[bool | None]
    msgs: Mapped[int | None]
    lm: Mapped[datetime | None]
    source_type: Mapped[str | None]
    # metrics: v.lq, servedBy.lr, response {tt, total, avg, ft}, reaction {tt, ft}, durations
    visitor_last_query: Mapped[datetime | None]
    agent_last_reply: Mapped[datetime | None]
    response_total_time: Mapped[float | None] = mapped_column(Float)
    response_count: Mapped[int | None]
    response_avg: Mapped[float | None] = mapped_column(Float)
    first_response_time: Mapped[float | None] = mapped_column(Float)
    reaction_total_time: Mapped[float | None] = mapped_column(Float)
    first_reaction_time: Mapped[float | None] = mapped_column(Float)
    chat_duration: Mapped[float | None] = mapped_column(Float)
    service_time_duration: Mapped[float | None] = mapped_column(Float)


class LivechatVisitor(Synced, Base):
    __tablename__ = "livechat_visitors"

    username: Mapped[str | None]
    name: Mapped[str | None]
    token: Mapped[str | None]
    status: Mapped[str | None]
    department: Mapped[str | None]
    email: Mapped[str | None]
    phone: Mapped[str | None]
    ts: Mapped[datetime | None]
    last_chat_id: Mapped[str | None]
    last_chat_ts: Mapped[datetime | None]


class LivechatDepartment(Synced, Base):
    __tablename__ = "livechat_departments"

    name: Mapped[str | None]
    enabled: Mapped[bool | None]
    description: Mapped[str | None]
    num_agents: Mapped[int | None]
    show_on_registration: Mapped[bool | None]
    show_on_offline_form: Mapped[bool | None]
    email: Mapped[str | None]
    archived: Mapped[bool | None]


class LivechatDepartmentAgent(Synced, Base):
    """A department-agent link (`livechat/department/:_id` → `agents`); `count` is the router's."""

    __tablename__ = "livechat_department_agents"

    department_id: Mapped[str | None] = mapped_column(index=True)
    agent_id: Mapped[str | None] = mapped_column(index=True)
    username: Mapped[str | None]
    count: Mapped[int | None]
    agent_order: Mapped[int | None]  # `order`


class _OmnichannelUser:
    """`livechat/users/{agent,manager}` entries: id = the user's id."""

    username: Mapped[str | None]
    name: Mapped[str | None]
    status: Mapped[str | None]
    status_livechat: Mapped[str | None]
    email: Mapped[str | None]


class LivechatAgent(_OmnichannelUser, Synced, Base):
    __tablename__ = "livechat_agents"


class LivechatManager(_OmnichannelUser, Synced, Base):
    __tablename__ = "livechat_managers"


class LivechatCustomField(Synced, Base):
    __tablename__ = "livechat_custom_fields"

    label: Mapped[str | None]
    scope: Mapped[str | None]  # `visitor` or `room`
    visibility: Mapped[str | None]
    type: Mapped[str | None]
    regexp: Mapped[str | None]
    required: Mapped[bool | None]
    default_value: Mapped[str | None]
    options: Mapped[str | None]
    public: Mapped[bool | None]


class LivechatInquiry(Synced, Base):
    """Queued inquiries: a real server lists no others, so `deleted_at` = left the queue."""

    __tablename__ = "livechat_inquiries"

    rid: Mapped[str | None] = mapped_column(index=True)
    name: Mapped[str | None]
    ts: Mapped[datetime | None]
    status: Mapped[str | None]
    department: Mapped[str | None]


class LivechatTrigger(Synced, Base):
    __tablename__ = "livechat_triggers"

    name: Mapped[str | None]
    description: Mapped[str | None]
    enabled: Mapped[bool | None]
    run_once: Mapped[bool | None]
    conditions: Mapped[Any | None] = mapped_column(RawJSON)
    actions: Mapped[Any | None] = mapped_column(RawJSON)


class LivechatOfficeHour(Synced, Base):
    __tablename__ = "livechat_office_hours"

    day: Mapped[str | None]
    start: Mapped[str | None]  # `HH:mm`, the server's local time
    finish: Mapped[str | None]
    code: Mapped[int | None]
    open: Mapped[bool | None]


class LivechatRoomTag(Child, Base):
    __tablename__ = "livechat_room_tags"

    room_id: Mapped[str] = parent_key()
    tag: Mapped[str] = mapped_column(String, primary_key=True, index=True)


class LivechatRoomData(Child, Base):
    """A chat's `livechatData` (custom fields of scope `room`), key by key."""

    __tablename__ = "livechat_room_data"

    room_id: Mapped[str] = parent_key()
    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[Any | None] = mapped_column(RawJSON)


class LivechatVisitorData(Child, Base):
    """A visitor's `livechatData` (custom fields of scope `visitor`), key by key."""

    __tablename__ = "livechat_visitor_data"

    visitor_id: Mapped[str] = parent_key()
    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[Any | None] = mapped_column(RawJSON)


class LivechatTransfer(Child, Base):
    """A `livechat_transfer_history` system message's `transferData` (child of `messages`)."""

    __tablename__ = "livechat_transfers"

    message_id: Mapped[str] = parent_key()
    room_id: Mapped[str | None] = mapped_column(index=True)
    ts: Mapped[datetime | None]
    scope: Mapped[str | None]  # agent, department, queue, autoTransferUnansweredChatsTo...
    comment: Mapped[str | None]
    transferred_by_id: Mapped[str | None]
    transferred_by_username: Mapped[str | None]
    transferred_by_type: Mapped[str | None]
    transferred_to_id: Mapped[str | None]
    transferred_to_username: Mapped[str | None]
    previous_department_id: Mapped[str | None]
    next_department_id: Mapped[str | None]
