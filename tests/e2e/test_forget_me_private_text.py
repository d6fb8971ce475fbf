"""Issue 11 items 6, 7, 8: forget-me leaves no text, keeps blocks, shreds keys; retention purges."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, LargeBinary, String, Text, select

from bot import crypto, ids, keystore, outbox, retention
from bot.db import make_engine, make_sessionmaker
from bot.models import Base, Feedback, Goal, Member, Pairing, PairingMember, Session
from bot.rounds import _blocked_member_ids
from tests.conftest import DATA_KEY, T0, RunningApp
from tests.e2e.test_member_commands import pair
from tests.e2e.test_profiles import join
from tests.e2e.test_sessions import dilemma_values, feedback_values, goals_values

M = "qzxmarker"  # planted in every text field the person can fill
ME = "UMARKED9"


async def _scan(app: RunningApp, *needles: str) -> list[str]:
    """Every text-ish column of every table that contains a needle: 'table.column'."""
    found = []
    async with app.deps.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
            if not cols:
                continue
            for row in (await conn.execute(select(*cols))).all():
                for col, value in zip(cols, row, strict=True):
                    text = json.dumps(value) if not isinstance(value, str) else value
                    if value is not None and any(n in text for n in needles):
                        found.append(f"{table.name}.{col.name}")
    return sorted(set(found))


async def _plant_everything(app: RunningApp) -> tuple[int, int]:
    """Through the signed request flow where Slack is the surface; returns (pairing id, my member id)."""
    for u in (ME, "UBEN"):
        app.slack.add_user(u, real_name=f"{M} Real Name" if u == ME else "Ben")
    await join(app, ME, offers=f"{M}offered", wants=f"{M}wanted", department=f"{M}dept", goals=f"{M}career",
               dont_pair=["UOTHER"])
    await join(app, "UBEN")
    pairing_id = await pair(app, ME, "UBEN")
    async with app.deps.sessionmaker.begin() as session:
        me = await session.scalar(select(Member).where(Member.slack_user_id == ME))
        pairing = await session.get(Pairing, pairing_id)
        # What a round writes as its reasons: a mention, departments, skills, goal words.
        pairing.reasons = [f"<@{ME}> offers {M}offered", f"{M}dept × D1", f"both want to {M}career"]
        sessions = list(await session.scalars(select(Session).where(Session.pairing_id == pairing_id)
                                              .order_by(Session.sequence)))
        sessions[0].state = "met"
        sessions[1].mentee_member_id = me.id
        # A copy queued for later (a prompt that would quote the person's text).
        await outbox.enqueue(session, workspace_id=me.workspace_id, key=f"later:{pairing_id}",
                             now=T0, not_before=T0 + dt.timedelta(days=3), pairing_id=pairing_id,
                             users=[ME, "UBEN"], payload={"text": f"reminder: {M}queued"})
        my_id, first, second = me.id, sessions[0].id, sessions[1].id
    r = app.requests
    status, _, _ = await r.view_submission(
        ME, ids.GOALS_VIEW, goals_values([(f"{M}what", f"{M}measure", "2026-06-01", f"{M}why")], intent=f"{M}intent"),
        private_metadata=str(pairing_id))
    assert status == 200
    status, _, _ = await r.view_submission(ME, ids.DILEMMA_VIEW,
                                           dilemma_values(f"{M}situation", f"{M}tried", f"{M}want"),
                                           private_metadata=str(second))
    assert status == 200
    status, _, _ = await r.view_submission(ME, ids.FEEDBACK_VIEW,
                                           feedback_values("4", takeaway=f"{M}takeaway", experiment=f"{M}experiment",
                                                           note=f"{M}note"), private_metadata=str(first))
    assert status == 200
    status, _, _ = await r.slash_command(ME, f"ask {M}question")
    assert status == 200
    async with app.deps.sessionmaker.begin() as session:
        pm = await session.get(PairingMember, (pairing_id, my_id))
        pm.retro_learned = await crypto.seal(session, my_id, f"{M}retro")
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: f"{M}question" in json.dumps(c.params))
    return pairing_id, my_id


async def _forget_me(app: RunningApp, user_id: str) -> None:
    await app.requests.slash_command(user_id, "forget-me")
    await app.requests.block_action(user_id, ids.FORGET_CONFIRM, "forget")
    await app.slack.wait_for("response_url", predicate=lambda c: "deleted" in json.dumps(c.params))


async def test_forget_me_leaves_no_text_and_no_user_id_in_any_table(app: RunningApp) -> None:
    await _plant_everything(app)
    before = await _scan(app, M)
    # The planting reached the fields that hold text in the clear (sealed ones hide the marker).
    assert {"members.department", "members.career_goals", "pairings.reasons", "pairings.shared_intent",
            "outbox.payload", "skills.key"} <= set(before)
    await _forget_me(app, ME)
    assert await _scan(app, M, ME) == []


SEALED = (("goals", "what"), ("goals", "measure"), ("goals", "why"), ("feedback", "takeaway"),
          ("feedback", "experiment"), ("feedback", "private_note"), ("pairing_members", "retro_learned"),
          ("sessions", "dilemma_situation"), ("sessions", "dilemma_tried"), ("sessions", "dilemma_want"))
AUTHOR = {"goals": "member_id", "feedback": "member_id", "pairing_members": "member_id",
          "sessions": "mentee_member_id"}


async def _dump(engine: Any, tables: Any) -> dict[str, list[dict[str, Any]]]:
    """A logical backup (what pg_dump would hold): every row of every table."""
    async with engine.connect() as conn:
        return {t.name: [dict(r._mapping) for r in (await conn.execute(select(t))).all()] for t in tables}


def _sealed_texts(dump: dict[str, list[dict[str, Any]]]) -> list[tuple[int, str]]:
    """(author member id, ciphertext) of every sealed text in a backup."""
    return [(row[AUTHOR[table]], row[column]) for table, column in SEALED for row in dump[table]
            if crypto.is_sealed(row[column])]


def _open_backup(dump: dict[str, list[dict[str, Any]]], store_copy: dict[str, bytes], ring: Any) -> dict[int, list[str | None]]:
    """What an operator can read from a database backup with a key-store copy and the data key."""
    key_ids = {m["id"]: m["data_key_id"] for m in dump["members"]}
    opened: dict[int, list[str | None]] = {}
    for author, sealed in _sealed_texts(dump):
        wrapped = store_copy.get(key_ids.get(author) or "")
        key = ring.unwrap(author, wrapped) if wrapped is not None else None
        opened.setdefault(author, []).append(crypto.open_with(key, author, sealed))
    return opened


async def _store_copy(app: RunningApp) -> dict[str, bytes]:
    async with app.deps.sessionmaker() as session:
        store = crypto.keyring_of(session).store
    dump = await _dump(store.engine, [keystore.data_keys])
    return {r["key_id"]: bytes(r["wrapped_key"]) for r in dump["data_keys"]}


async def test_an_old_backup_no_longer_reveals_a_forgotten_persons_text(app: RunningApp, tmp_path: Path) -> None:
    """Crypto-shredding that holds for backups (issue 11, item 8): the database holds no key, the
    key store keeps only its newest copy (README, "Backup and restore"), so a database backup
    taken before a forget-me, restored with what the operator keeps, opens everyone's text but
    the forgotten person's."""
    assert not [c for t in Base.metadata.tables.values() for c in t.columns if isinstance(c.type, LargeBinary)], \
        "no key (no binary column) may live in the database: a database backup must hold none"
    pairing_id, my_id = await _plant_everything(app)
    async with app.deps.sessionmaker.begin() as session:
        ben = await session.scalar(select(Member).where(Member.slack_user_id == "UBEN"))
        ben_id = ben.id
        pm = await session.get(PairingMember, (pairing_id, ben_id))
        pm.retro_learned = await crypto.seal(session, ben_id, "Ben learned to listen")
        fb = Feedback(session_id=(await session.scalar(select(Session.id).where(Session.pairing_id == pairing_id)
                                                       .order_by(Session.sequence))),
                      member_id=ben_id, rating=5, created_at=T0,
                      private_note=await crypto.seal(session, ben_id, "Ben's private note"))
        session.add(fb)
    # The backups, taken before the forget-me: a logical dump of every row, and on SQLite
    # also the database file as `sqlite3 tandem.db ".backup …"` makes it.
    old_dump = await _dump(app.deps.engine, Base.metadata.sorted_tables)
    old_file = None
    if app.deps.engine.dialect.name == "sqlite":
        old_file = tmp_path / "tandem-backup.db"
        with sqlite3.connect(app.deps.engine.url.database) as src, sqlite3.connect(old_file) as dst:
            src.backup(dst)
    old_store = await _store_copy(app)
    ring = crypto.Keyring.fixed(crypto.parse_data_key(DATA_KEY))  # TANDEM_DATA_KEY, kept apart
    before = _open_backup(old_dump, old_store, ring)
    assert f"{M}note" in before[my_id] and f"{M}situation" in before[my_id]
    assert set(before[ben_id]) == {"Ben learned to listen", "Ben's private note"}

    await _forget_me(app, ME)

    # The key store's newest copy, taken after the forget-me (the only one the rules keep).
    new_store = await _store_copy(app)
    after = _open_backup(old_dump, new_store, ring)
    assert after[my_id] and all(text is None for text in after[my_id]), after[my_id]
    assert set(after[ben_id]) == {"Ben learned to listen", "Ben's private note"}
    # Not with any other member's remaining key either.
    for wrapped in new_store.values():
        for author in (my_id, ben_id):
            key = ring.unwrap(author, wrapped)
            assert all(crypto.open_with(key, my_id, v) is None for a, v in _sealed_texts(old_dump) if a == my_id)
    # Keeping an older key-store copy is what the rules forbid: it would still open the text.
    assert f"{M}note" in _open_backup(old_dump, old_store, ring)[my_id]

    if old_file is not None:  # the operator's restore, through the app's own code
        keys_file = tmp_path / "tandem-keys-newest.db"
        async with app.deps.sessionmaker() as session:
            live_keys = crypto.keyring_of(session).store.engine.url.database
        assert live_keys == str(Path(app.deps.engine.url.database).resolve().parent / keystore.KEYS_FILE)
        with sqlite3.connect(live_keys) as src, sqlite3.connect(keys_file) as dst:
            src.backup(dst)
        restored = make_engine(f"sqlite:///{old_file}")
        try:
            maker = make_sessionmaker(restored, DATA_KEY, f"sqlite:///{keys_file}")
            async with maker() as session:
                fb_mine = await session.scalar(select(Feedback).where(Feedback.member_id == my_id))
                fb_ben = await session.scalar(select(Feedback).where(Feedback.member_id == ben_id))
                assert crypto.is_sealed(fb_mine.private_note)
                assert await crypto.unseal(session, my_id, fb_mine.private_note) is None
                assert await crypto.unseal(session, ben_id, fb_ben.private_note) == "Ben's private note"
        finally:
            await restored.dispose()


async def test_a_returning_blocked_person_is_still_blocked(app: RunningApp) -> None:
    for u in ("UBLOCKER", "UBLOCKED"):
        app.slack.add_user(u)
    await join(app, "UBLOCKER", dont_pair=["UBLOCKED"])
    await join(app, "UBLOCKED")
    await _forget_me(app, "UBLOCKED")
    assert await _scan(app, "UBLOCKED") == []  # the block is kept as a keyed hash only
    await join(app, "UBLOCKED")  # the same Slack account comes back
    async with app.deps.sessionmaker() as session:
        blocker = await session.scalar(select(Member).where(Member.slack_user_id == "UBLOCKER"))
        back = await session.scalar(select(Member).where(Member.slack_user_id == "UBLOCKED"))
        blocked = await _blocked_member_ids(session, blocker.workspace_id)
    assert back is not None and back.status == "active"
    assert back.id in blocked[blocker.id] and blocker.id in blocked[back.id]


async def test_retention_purges_private_text_a_year_after_the_pairing_ends(app: RunningApp) -> None:
    pairing_id, my_id = await _plant_everything(app)
    async with app.deps.sessionmaker.begin() as session:
        pairing = await session.get(Pairing, pairing_id)
        pairing.state, pairing.ended_at = "ended", T0
    assert await _purge(app, T0 + dt.timedelta(days=364)) == 0
    assert await _purge(app, T0 + dt.timedelta(days=366)) > 0
    async with app.deps.sessionmaker() as session:
        texts: list[Any] = [
            *(await session.execute(select(Goal.what))).scalars(),
            *(await session.execute(select(Feedback.takeaway, Feedback.experiment, Feedback.private_note))).all(),
            *(await session.execute(select(Session.dilemma_situation, Session.dilemma_tried,
                                           Session.dilemma_want))).all(),
            (await session.get(PairingMember, (pairing_id, my_id))).retro_learned,
            (await session.get(Pairing, pairing_id)).shared_intent,
        ]
        ratings = list(await session.scalars(select(Feedback.rating)))
    flat = [v for t in texts for v in (tuple(t) if hasattr(t, "_mapping") else (t,))]
    assert not any(flat), flat
    assert ratings == [4]  # figures keep their numbers
    assert await _purge(app, T0 + dt.timedelta(days=400)) == 0


async def _purge(app, now: dt.datetime) -> int:  # type: ignore[no-untyped-def]
    async with app.deps.sessionmaker.begin() as session:
        return await retention.purge_expired(session, now)
