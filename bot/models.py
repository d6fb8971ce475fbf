"""The data model: every row belongs to a Slack workspace (team).

Datetimes are timezone-aware and stored in UTC. Invariants live in the
database (unique keys for idempotency, foreign keys, checks), so a race is
settled by a constraint rather than by hope.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Tandem stores aware UTC datetimes")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


def _enum_check(column: str, values: tuple[str, ...]) -> CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


# --- vocabularies -----------------------------------------------------------------

MEMBER_STATUSES = ("invited", "active", "paused", "left", "deactivated", "forgotten")
# A person's place in one program (bot.memberships); Member.status sums them up.
MEMBERSHIP_STATUSES = ("active", "paused", "left")
# What Slack says a person's account is (users.info); only "full" members and, when the
# program allows it, multi-channel guests take part (bot.eligibility).
ACCOUNT_TYPES = ("full", "multi_channel_guest", "single_channel_guest", "external", "bot")
SESSION_FORMATS = ("turns", "brainstorm")
CADENCES = ("weekly", "biweekly", "monthly")
ODD_POLICIES = ("trio", "wait")
GROUPINGS = ("pairs", "circles")  # a program's format: pairs (with a trio for an odd one out) or circles of 3-6
EMPHASES = ("balanced", "skills", "cross_department", "timezones")
SKILL_KINDS = ("offer", "want")
PAIRING_STATES = ("active", "paused", "ended")
SESSION_STATES = ("planned", "met", "skipped", "silent", "cancelled")
GOAL_PROGRESS = ("not_started", "in_progress", "done")
OUTBOX_STATES = ("pending", "sending", "sent", "failed")
MAX_DB_ID = 2**63 - 1  # ids are BIGINT on PostgreSQL, INTEGER on SQLite: 1..MAX_DB_ID


def db_id(text: object) -> int | None:
    """A database id written as ASCII digits (a button value, private metadata), or None when
    it is not one: other characters, non-ASCII digits, 0, or over MAX_DB_ID."""
    if not isinstance(text, str) or not text.isascii() or not text.isdecimal() or len(text) > 19:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_DB_ID else None


# --- workspace and program ------------------------------------------------------------


class Workspace(Base):
    """A Slack team that installed Tandem."""

    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime]
    # Slack refused the bot's token (invalid_auth, token_revoked, …): the outbox sends nothing
    # for this workspace until then, and tries again after (see bot.outbox).
    delivery_paused_until: Mapped[dt.datetime | None]
    delivery_error: Mapped[str | None] = mapped_column(String(200))
    # Enterprise Grid: the org this workspace belongs to (OAuth mode, from Slack's requests).
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    # The app was uninstalled or its token revoked (bot.installations): nothing is sent to,
    # or scheduled for, this workspace; its data is purged after the retention period.
    uninstalled_at: Mapped[dt.datetime | None]

    programs: Mapped[list[Program]] = relationship(back_populates="workspace", order_by="Program.id")


DEFAULT_PROGRAM_NAME = "Peer mentoring"


class Program(Base):
    """One of a workspace's peer-mentoring programs (one per channel) and its settings.

    The first program is created with the workspace; `/tandem admin announce #channel`
    creates one for a channel that has none (bot.programs)."""

    __tablename__ = "programs"
    __table_args__ = (
        _enum_check("cadence", CADENCES),
        _enum_check("default_format", SESSION_FORMATS),
        _enum_check("odd_policy", ODD_POLICIES),
        _enum_check("emphasis", EMPHASES),
        _enum_check("grouping", GROUPINGS),
        CheckConstraint("group_size BETWEEN 3 AND 6", name="group_size_range"),
        CheckConstraint("round_weekday BETWEEN 0 AND 6", name="round_weekday_range"),
        CheckConstraint("round_hour BETWEEN 0 AND 23", name="round_hour_range"),
        CheckConstraint("sessions_per_pairing BETWEEN 2 AND 24", name="sessions_range"),
        CheckConstraint("repeat_window_rounds BETWEEN 0 AND 52", name="repeat_window_range"),
        CheckConstraint("min_group_size BETWEEN 3 AND 100", name="min_group_range"),
        CheckConstraint("private_text_retention_days BETWEEN 1 AND 3650", name="retention_range"),
        CheckConstraint("repeat_window_days BETWEEN 0 AND 730", name="repeat_days_range"),
        CheckConstraint("session_lead_hours BETWEEN 1 AND 336", name="lead_hours_range"),
        CheckConstraint("headsup_hours BETWEEN 0 AND 168", name="headsup_hours_range"),
        CheckConstraint("pairing_cap IS NULL OR pairing_cap BETWEEN 1 AND 10", name="pairing_cap_range"),
        UniqueConstraint("workspace_id", "channel_id"),  # one program per channel
        Index("ix_programs_workspace_id", "workspace_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80), default=DEFAULT_PROGRAM_NAME, server_default=DEFAULT_PROGRAM_NAME)
    channel_id: Mapped[str | None] = mapped_column(String(32))
    # Slack user ids who administer this program only, beside the workspace's admins.
    admin_user_ids: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    # At most this many active pairings per person across all programs when this program
    # runs a round (None: no cap).
    pairing_cap: Mapped[int | None]
    # Members who would be matched get a heads-up DM this many hours before a round (0: none).
    headsup_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    cadence: Mapped[str] = mapped_column(String(16), default="biweekly")
    round_weekday: Mapped[int] = mapped_column(default=0)  # Monday
    round_hour: Mapped[int] = mapped_column(default=10)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    sessions_per_pairing: Mapped[int] = mapped_column(default=6)
    default_format: Mapped[str] = mapped_column(String(16), default="turns")
    odd_policy: Mapped[str] = mapped_column(String(8), default="trio")
    # "circles": rounds form circles of `group_size` (bot.matching.circles); the odd policy then
    # says whether leftovers join a circle (size + 1, at most 6) or wait with priority.
    grouping: Mapped[str] = mapped_column(String(8), default="pairs", server_default="pairs")
    group_size: Mapped[int] = mapped_column(default=4, server_default="4")
    # A member is not paired again with their last `repeat_window_rounds` partners
    # (the name predates the rule) nor anyone they were paired with in the last
    # `repeat_window_days` days, while any other allowed partner exists.
    repeat_window_rounds: Mapped[int] = mapped_column(default=3)
    repeat_window_days: Mapped[int] = mapped_column(default=180, server_default="180")
    emphasis: Mapped[str] = mapped_column(String(24), default="balanced")
    min_group_size: Mapped[int] = mapped_column(default=5)  # k: no figure rests on fewer people
    session_lead_hours: Mapped[int] = mapped_column(default=48)
    # Private text of a pairing is purged this many days after it ends (bot.retention).
    private_text_retention_days: Mapped[int] = mapped_column(default=365, server_default="365")
    # Multi-channel guests may join (single-channel guests, external people and bots never).
    allow_multi_channel_guests: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    next_round_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    workspace: Mapped[Workspace] = relationship(back_populates="programs")


class Membership(Base):
    """A member's opt-in to one program: active, paused (until) or left; waiting with
    priority, and a skipped round (the heads-up's "Skip this round"), are per program too."""

    __tablename__ = "program_members"
    __table_args__ = (
        _enum_check("status", MEMBERSHIP_STATUSES),
        Index("ix_program_members_member_id", "member_id"),
    )

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    paused_until: Mapped[dt.datetime | None]
    priority: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    skip_round_at: Mapped[dt.datetime | None]  # left out of the round due at this time
    joined_at: Mapped[dt.datetime]
    left_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]


# --- people and skills -------------------------------------------------------------------


class Member(Base):
    """A person in the workspace known to Tandem (invited, joined, or gone)."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("workspace_id", "slack_user_id"),
        _enum_check("status", MEMBER_STATUSES),
        _enum_check("session_format", SESSION_FORMATS),
        CheckConstraint("experience IS NULL OR experience BETWEEN 0 AND 5", name="experience_range"),
        Index("ix_members_workspace_status", "workspace_id", "status"),
        _enum_check("account_type", ACCOUNT_TYPES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    slack_user_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(200))
    tz: Mapped[str | None] = mapped_column(String(64))
    tz_offset: Mapped[int] = mapped_column(default=0)  # seconds east of UTC, from users.info
    experience: Mapped[int | None]  # level 0..5, see bot.profiles.EXPERIENCE_LEVELS
    department: Mapped[str | None] = mapped_column(String(100))
    career_goals: Mapped[str | None] = mapped_column(String(500))
    session_format: Mapped[str] = mapped_column(String(16), default="turns")
    # Weekdays the person works, Monday = 0 ("0,1,2,3,4"); no prompts on the others.
    work_days: Mapped[str] = mapped_column(String(16), default="0,1,2,3,4", server_default="0,1,2,3,4")
    status: Mapped[str] = mapped_column(String(16), default="invited")
    account_type: Mapped[str] = mapped_column(String(24), default="full", server_default="full")
    paused_until: Mapped[dt.datetime | None]
    priority: Mapped[bool] = mapped_column(Boolean, default=False)  # waits with priority
    invited_at: Mapped[dt.datetime | None]  # channel-join invitation sent (once)
    joined_at: Mapped[dt.datetime | None]
    left_at: Mapped[dt.datetime | None]
    undeliverable_at: Mapped[dt.datetime | None]  # Slack refused delivery permanently
    # The id of their data key in the key store (bot/keystore.py), never the key itself:
    # a database backup holds no key, so forget-me (which deletes the key) shreds backups too.
    data_key_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    skills: Mapped[list[MemberSkill]] = relationship(
        back_populates="member", cascade="all, delete-orphan"
    )
    blocks: Mapped[list[MemberBlock]] = relationship(cascade="all, delete-orphan")


class Skill(Base):
    """The workspace's skill catalog; `key` is the normalised name."""

    __tablename__ = "skills"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime]


class MemberSkill(Base):
    """A skill a member offers (can teach) or wants (to learn)."""

    __tablename__ = "member_skills"
    __table_args__ = (_enum_check("kind", SKILL_KINDS), Index("ix_member_skills_skill", "skill_id"))

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)

    member: Mapped[Member] = relationship(back_populates="skills")
    skill: Mapped[Skill] = relationship(lazy="joined")


class MemberBlock(Base):
    """"Don't pair me with", kept against a keyed hash of the Slack user id (`bot.crypto.Keyring.block_hash`).

    The hash outlives the blocked person's forget-me, so they stay blocked if they
    return. `blocked_user_id` is only for showing the blocker their own list; it is
    cleared when the blocked person forgets themselves. Rows from before hashing
    hold `legacy:<user id>` in `blocked_hash`.
    """

    __tablename__ = "member_blocks"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_hash: Mapped[str] = mapped_column(String(80), primary_key=True)
    blocked_user_id: Mapped[str | None] = mapped_column(String(64))


# --- rounds, pairings, sessions ---------------------------------------------------------------


class Round(Base):
    """One matching round of a program."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("program_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    number: Mapped[int]
    started_at: Mapped[dt.datetime]
    method: Mapped[str] = mapped_column(String(24))
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)  # aggregates only

    pairings: Mapped[list[Pairing]] = relationship(back_populates="round")


class Pairing(Base):
    """Two (or, for an odd one out, three) members working together; in a circles program,
    a circle of 3 to 6 (its seats' `position` drives the facilitator's rotation)."""

    __tablename__ = "pairings"
    __table_args__ = (
        _enum_check("state", PAIRING_STATES),
        _enum_check("format", SESSION_FORMATS),
        _enum_check("cadence", CADENCES),
        Index("ix_pairings_program_state", "program_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    conversation_id: Mapped[str | None] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    two_way: Mapped[bool] = mapped_column(Boolean, default=False)
    cross_department: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="active")
    format: Mapped[str] = mapped_column(String(16), default="turns")
    cadence: Mapped[str] = mapped_column(String(16), default="biweekly")
    sessions_planned: Mapped[int] = mapped_column(default=6)
    shared_intent: Mapped[str | None] = mapped_column(String(1000))  # what the pair wants together
    silent_streak: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))

    round: Mapped[Round] = relationship(back_populates="pairings")
    # The current seats; a member who left mid-pairing keeps their seat as history
    # (`left_at` set), visible in `seats` only.
    members: Mapped[list[PairingMember]] = relationship(
        primaryjoin="and_(Pairing.id == PairingMember.pairing_id, PairingMember.left_at.is_(None))",
        back_populates="pairing", order_by="PairingMember.position", cascade="all, delete-orphan",
    )
    seats: Mapped[list[PairingMember]] = relationship(
        order_by="PairingMember.position", viewonly=True
    )
    sessions: Mapped[list[Session]] = relationship(
        back_populates="pairing", order_by="Session.sequence", cascade="all, delete-orphan"
    )


class PairingMember(Base):
    """A member's seat in a pairing; `position` drives the mentee rotation."""

    __tablename__ = "pairing_members"
    __table_args__ = (
        UniqueConstraint("pairing_id", "position"),
        CheckConstraint("position BETWEEN 0 AND 5", name="position_range"),  # a circle seats up to 6
        Index("ix_pairing_members_member", "member_id"),
    )

    pairing_id: Mapped[int] = mapped_column(
        ForeignKey("pairings.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int]
    fit_ok: Mapped[bool | None]  # private fit check after the kick-off
    retro_learned: Mapped[str | None] = mapped_column(Text)  # sealed (bot.crypto)
    retro_again: Mapped[bool | None]
    left_at: Mapped[dt.datetime | None]  # left mid-pairing (the others went on without them)

    pairing: Mapped[Pairing] = relationship(back_populates="members")
    member: Mapped[Member] = relationship(lazy="joined")


class Session(Base):
    """One meeting of a pairing; from sequence 2 on, one member is the mentee."""

    __tablename__ = "sessions"
    __table_args__ = (
        UniqueConstraint("pairing_id", "sequence"),
        _enum_check("state", SESSION_STATES),
        _enum_check("format", SESSION_FORMATS),
        Index("ix_sessions_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairings.id", ondelete="CASCADE"))
    sequence: Mapped[int]
    mentee_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    due_at: Mapped[dt.datetime]
    format: Mapped[str] = mapped_column(String(16), default="turns")
    state: Mapped[str] = mapped_column(String(16), default="planned")
    dilemma_situation: Mapped[str | None] = mapped_column(Text)
    dilemma_tried: Mapped[str | None] = mapped_column(Text)
    dilemma_want: Mapped[str | None] = mapped_column(Text)
    dilemma_at: Mapped[dt.datetime | None]
    prompt_sent_at: Mapped[dt.datetime | None]
    reminder_sent_at: Mapped[dt.datetime | None]
    checkin_sent_at: Mapped[dt.datetime | None]
    checkin_reminder_sent_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]

    pairing: Mapped[Pairing] = relationship(back_populates="sessions")


class AgendaItem(Base):
    """A message a member brought to a coming session ("Bring this to my next session"):
    its permalink only, never its text; posted to the pair with that session's prompt."""

    __tablename__ = "agenda_items"
    __table_args__ = (Index("ix_agenda_items_session_id", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    permalink: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime]


class Goal(Base):
    """A SMART goal a member set for a pairing; visible to the pair only."""

    __tablename__ = "goals"
    __table_args__ = (
        _enum_check("progress", GOAL_PROGRESS),
        Index("ix_goals_member", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int | None] = mapped_column(ForeignKey("pairings.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    what: Mapped[str] = mapped_column(Text)  # sealed (bot.crypto), like measure and why
    measure: Mapped[str | None] = mapped_column(Text)
    by_date: Mapped[dt.date | None] = mapped_column(Date)
    why: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[str] = mapped_column(String(16), default="not_started")
    done_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class Feedback(Base):
    """A member's check-in answer for a session. `private_note` is theirs alone."""

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("session_id", "member_id"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    rating: Mapped[int | None]
    takeaway: Mapped[str | None] = mapped_column(Text)  # sealed, as are experiment, private_note
    experiment: Mapped[str | None] = mapped_column(Text)
    private_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]


# --- delivery and idempotency --------------------------------------------------------------------


class OutboxMessage(Base):
    """A Slack message waiting to be sent, written in the same transaction as its cause.

    `idempotency_key` is unique per workspace, so the same prompt can never be
    queued twice; the sender stamps the key into the message's metadata so a
    send interrupted by a crash is detected in the conversation, not repeated.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("workspace_id", "idempotency_key"),
        _enum_check("state", OUTBOX_STATES),
        CheckConstraint(
            "channel IS NOT NULL OR users IS NOT NULL", name="has_destination"
        ),
        Index("ix_outbox_state_not_before", "state", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(32))
    users: Mapped[str | None] = mapped_column(String(200))  # comma-separated: open a DM/group first
    pairing_id: Mapped[int | None] = mapped_column(ForeignKey("pairings.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]]  # text, blocks
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[dt.datetime]
    lease_until: Mapped[dt.datetime | None]
    sent_channel: Mapped[str | None] = mapped_column(String(32))
    sent_ts: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]


class ProcessedEvent(Base):
    """Events API deliveries already handled; Slack's retries are dropped here."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[dt.datetime]


class SlackPace(Base):
    """The shared delivery budget: when the next call of a workspace-wide Slack rate-limit
    bucket (a method) may go out, claimed by every process with one UPDATE … RETURNING
    (see bot.ratelimit.SharedPacer). `next_free` is Unix time in seconds."""

    __tablename__ = "slack_pacing"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_free: Mapped[float] = mapped_column(Float)


class JobFailure(Base):
    """A scheduled job failing for a program (bot.job_failures): how often in a row, when it
    may run again (it backs off), and whether the admins were told. Gone once it succeeds."""

    __tablename__ = "job_failures"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    failures: Mapped[int]
    first_failed_at: Mapped[dt.datetime]
    retry_at: Mapped[dt.datetime]
    error: Mapped[str] = mapped_column(String(80))  # the exception's type: never its message
    reported_at: Mapped[dt.datetime | None]


class TokenRefreshClaim(Base):
    """Who refreshes an installation's rotating token (bot.installations): one replica at a
    time claims it with a conditional UPDATE, so two never refresh the same token at once."""

    __tablename__ = "token_refresh_claims"

    installation_key: Mapped[str] = mapped_column(String(80), primary_key=True)  # "<enterprise>:<team>"
    claimed_until: Mapped[dt.datetime | None]


# slack_sdk's own tables for Bolt's OAuth (installations, bots, OAuth states), defined by
# slack_sdk and kept in this metadata so Alembic creates and checks them like Tandem's own.
SLACK_INSTALLATIONS = AsyncSQLAlchemyInstallationStore.build_installations_table(Base.metadata, "slack_installations")
SLACK_BOTS = AsyncSQLAlchemyInstallationStore.build_bots_table(Base.metadata, "slack_bots")
SLACK_OAUTH_STATES = AsyncSQLAlchemyOAuthStateStore.build_oauth_states_table(Base.metadata, "slack_oauth_states")
