"""Private text at rest: one module encrypts and decrypts it (crypto-shredding).

Each member has a random 256-bit data key, wrapped (AES-GCM) by the program's
key-encryption key and kept in the key store (`bot/keystore.py`), a separate
database that is not part of the database backups; the member row holds only the
key's id (`members.data_key_id`). Private text a member writes — dilemmas, private
notes, takeaways, experiments, goals, retro answers — is stored as `enc1:` +
base64(nonce ‖ AES-GCM ciphertext) under *their* data key, bound (as associated
data) to their member id. Forget-me deletes the data key from the key store: every
copy of that text, in this database or in any database backup, old or new, becomes
unreadable, provided the operator keeps only the newest key-store backup (README,
"Backup and restore"). An `ask` is not stored at all: its text lives only in the outbox row
that posts it, which keeps "(sent)" once Slack has it and "(not delivered)" if it fails for good.

The key-encryption key is `TANDEM_DATA_KEY` (32 bytes, base64). Without it, on
the embedded SQLite default, one is generated once into `tandem-data.key`
beside the database file (mode 0600). Losing that key loses every private
text; back it up once, apart from the database and the key store (a stolen
key-store copy is useless without it, and a database backup holds no key at all).

"Don't pair me with" entries are kept against a keyed hash (HMAC-SHA256, key
derived from the same key-encryption key) of the Slack user id, so a block
survives the blocked person's forget-me and still applies when they return.

The keyring (with its key store) travels in the session's `info` (set by
`bot.db.make_sessionmaker`), so `bot/` functions need nothing beyond the session
they already get. Opened data keys are cached in the process (by key id, which names one
key for ever); nothing is cached on disk.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.keystore import KeyStore
from bot.models import Member

PREFIX = "enc1:"
TOKEN_PREFIX = "tok1:"  # a Slack token in the installation tables (`Keyring.seal_token`)
# Data keys kept open in a process (a key id names one key for ever, so a cached one is never
# stale; a forgotten member's id is cleared from their row, so it is never asked for again).
_CACHED_KEYS = 4096
KEY_FILE = "tandem-data.key"
_NONCE = 12


class MissingKey(Exception):
    """No key-encryption key can be found (PostgreSQL without TANDEM_DATA_KEY), or no key store."""


def parse_data_key(text: str) -> bytes:
    """TANDEM_DATA_KEY: 32 bytes, base64 (standard or URL-safe)."""
    try:
        raw = base64.b64decode(text.strip() + "=" * (-len(text.strip()) % 4), altchars=b"-_"
                               if ("-" in text or "_" in text) else None, validate=True)
    except Exception:
        raise ValueError("must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)") from None
    if len(raw) != 32:
        raise ValueError("must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)")
    return raw


def new_data_key_text() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def key_file_for(database_url: str) -> Path | None:
    """Where the generated key lives for a SQLite file database (None otherwise)."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve().parent / KEY_FILE


def load_or_create_key_file(path: Path) -> bytes:
    """The key in `path`, generated once (exclusive create, mode 0600) when absent."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return parse_data_key(path.read_text())
    with os.fdopen(fd, "w") as f:
        f.write(new_data_key_text() + "\n")
    return parse_data_key(path.read_text())


class Keyring:
    """The key-encryption key (loaded on first use) and what is derived from it."""

    def __init__(self, resolve: Callable[[], bytes], store: KeyStore | None = None) -> None:
        self._resolve = resolve
        self._store = store
        self._kek: bytes | None = None
        self._derived_keys: dict[bytes, bytes] = {}
        self._lock = threading.Lock()
        self._opened: OrderedDict[str, bytes] = OrderedDict()  # "member:key id" -> data key, newest last

    @classmethod
    def of(cls, database_url: str, data_key: str | None, store: KeyStore | None = None) -> Keyring:
        def resolve() -> bytes:
            if data_key:
                return parse_data_key(data_key)
            path = key_file_for(database_url)
            if path is None:
                raise MissingKey("TANDEM_DATA_KEY is missing: PostgreSQL needs it to encrypt private text")
            return load_or_create_key_file(path)

        return cls(resolve, store)

    @classmethod
    def fixed(cls, kek: bytes, store: KeyStore | None = None) -> Keyring:
        return cls(lambda: kek, store)

    def cached(self, key_id: str) -> bytes | None:
        key = self._opened.get(key_id)
        if key is not None:
            self._opened.move_to_end(key_id)
        return key

    def remember(self, key_id: str, key: bytes) -> None:
        self._opened[key_id] = key
        self._opened.move_to_end(key_id)
        while len(self._opened) > _CACHED_KEYS:
            self._opened.popitem(last=False)

    def forget(self, key_id: str) -> None:
        self._opened.pop(key_id, None)

    @property
    def store(self) -> KeyStore:
        if self._store is None:
            raise MissingKey("this keyring has no key store (make it with bot.db.make_sessionmaker)")
        return self._store

    def _key(self) -> bytes:
        with self._lock:
            if self._kek is None:
                self._kek = self._resolve()
            return self._kek

    def _derived(self, label: bytes) -> bytes:
        key = self._derived_keys.get(label)
        if key is None:
            key = self._derived_keys[label] = hmac.new(self._key(), b"tandem:" + label, hashlib.sha256).digest()
        return key

    def block_hash(self, slack_user_id: str) -> str:
        """The keyed hash a "don't pair me with" entry is kept against."""
        return hmac.new(self._derived(b"member-blocks"), slack_user_id.encode(), hashlib.sha256).hexdigest()

    def wrap(self, member_id: int, data_key: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return nonce + AESGCM(self._derived(b"wrap")).encrypt(nonce, data_key, f"member:{member_id}".encode())

    def seal_token(self, token: str | None) -> str | None:
        """A Slack token (bot, user, refresh) as stored in the installation tables: `tok1:` +
        base64(nonce ‖ AES-GCM ciphertext) under a key derived from the key-encryption key. An
        already sealed value is returned as is (slack_sdk's save saves the bot twice)."""
        if not token or token.startswith(TOKEN_PREFIX):
            return token
        nonce = secrets.token_bytes(_NONCE)
        sealed = nonce + AESGCM(self._derived(b"slack-tokens")).encrypt(nonce, token.encode(), b"slack-token")
        return TOKEN_PREFIX + base64.b64encode(sealed).decode("ascii")

    def open_token(self, stored: str | None) -> str | None:
        """The token a stored value holds; a value stored before tokens were sealed is the token.
        Raises `MissingKey` for a sealed value this key cannot open (the wrong TANDEM_DATA_KEY)."""
        if not stored or not stored.startswith(TOKEN_PREFIX):
            return stored
        raw = base64.b64decode(stored[len(TOKEN_PREFIX):])
        try:
            return AESGCM(self._derived(b"slack-tokens")).decrypt(raw[:_NONCE], raw[_NONCE:], b"slack-token").decode()
        except InvalidTag:
            raise MissingKey("a stored Slack token cannot be opened with this TANDEM_DATA_KEY") from None

    def unwrap(self, member_id: int, wrapped: bytes) -> bytes | None:
        try:
            return AESGCM(self._derived(b"wrap")).decrypt(wrapped[:_NONCE], wrapped[_NONCE:],
                                                          f"member:{member_id}".encode())
        except InvalidTag:
            return None


def keyring_of_sessions(sessionmaker: async_sessionmaker[AsyncSession]) -> Keyring:
    """The keyring the sessions of `bot.db.make_sessionmaker` carry."""
    ring = sessionmaker.kw.get("info", {}).get("keyring")
    if ring is None:
        raise MissingKey("these sessions have no keyring (make them with bot.db.make_sessionmaker)")
    return ring


def keyring_of(session: AsyncSession) -> Keyring:
    ring = session.info.get("keyring")
    if ring is None:
        raise MissingKey("this session has no keyring (make it with bot.db.make_sessionmaker)")
    return ring


async def _key_id(session: AsyncSession, member_id: int) -> str | None:
    return await session.scalar(select(Member.data_key_id).where(Member.id == member_id))


async def _open(ring: Keyring, member_id: int, key_id: str | None) -> bytes | None:
    if key_id is None:
        return None
    cached_as = f"{member_id}:{key_id}"  # the key as unwrapped for this member (bound to their id)
    key = ring.cached(cached_as)
    if key is None:
        wrapped = await ring.store.get(key_id)
        key = ring.unwrap(member_id, wrapped) if wrapped is not None else None
        if key is not None:
            ring.remember(cached_as, key)
    return key


async def _data_key(session: AsyncSession, member_id: int, *, create: bool) -> bytes | None:
    """The member's data key: `members.data_key_id`, then the key store (or the process's cache).

    With `create`, a member who has none (or whose key is gone) gets a new one. Two
    transactions creating one at once: the conditional UPDATE lets one win, and the
    other takes the winner's key (its own is deleted again)."""
    ring = keyring_of(session)
    key_id = await _key_id(session, member_id)
    key = await _open(ring, member_id, key_id)
    if key is None and create:
        new_id = await ring.store.put(ring.wrap(member_id, AESGCM.generate_key(bit_length=256)))
        current = Member.data_key_id.is_(None) if key_id is None else Member.data_key_id == key_id
        won = await session.execute(
            update(Member).where(Member.id == member_id, current, Member.status != "forgotten")
            .values(data_key_id=new_id).execution_options(synchronize_session="fetch"))
        if won.rowcount != 1:
            await ring.store.delete(new_id)
            new_id = await _key_id(session, member_id)
            if new_id is None:
                raise MissingKey(f"member {member_id} has been forgotten: nothing can be sealed for them")
        key = await _open(ring, member_id, new_id)
    return key


def is_sealed(stored: str | None) -> bool:
    return stored is not None and stored.startswith(PREFIX)


async def seal(session: AsyncSession, member_id: int, text: str | None) -> str | None:
    """`text` encrypted under the member's data key (created on first use); None stays None."""
    if text is None:
        return None
    key = await _data_key(session, member_id, create=True)
    assert key is not None
    return _seal_with(key, member_id, text)


async def seal_all(session: AsyncSession, member_id: int, texts: Sequence[str | None]) -> list[str | None]:
    """`seal` for several texts of one member, reading their data key once."""
    if all(text is None for text in texts):
        return [None] * len(texts)
    key = await _data_key(session, member_id, create=True)
    assert key is not None
    return [None if text is None else _seal_with(key, member_id, text) for text in texts]


def _seal_with(key: bytes, member_id: int, text: str) -> str:
    nonce = secrets.token_bytes(_NONCE)
    sealed = AESGCM(key).encrypt(nonce, text.encode(), f"member:{member_id}".encode())
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def open_with(key: bytes | None, member_id: int, stored: str | None) -> str | None:
    """Decrypt with a known data key; None when the key is gone or does not fit."""
    if stored is None or not is_sealed(stored):
        return stored  # text written before encryption (or never private)
    if key is None:
        return None
    raw = base64.b64decode(stored[len(PREFIX):])
    try:
        return AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], f"member:{member_id}".encode()).decode()
    except (InvalidTag, ValueError):
        return None


async def unseal(session: AsyncSession, member_id: int | None, stored: str | None) -> str | None:
    """The text, or None when it was shredded (the member's data key is gone)."""
    if not is_sealed(stored) or member_id is None:
        return None if is_sealed(stored) else stored
    return open_with(await _data_key(session, member_id, create=False), member_id, stored)


async def unseal_all(session: AsyncSession, member_id: int | None, stored: Sequence[str | None]) -> list[str | None]:
    """`unseal` for several texts of one member, reading their data key once (none when
    nothing is sealed)."""
    if member_id is None or not any(is_sealed(text) for text in stored):
        return [None if is_sealed(text) else text for text in stored]
    key = await _data_key(session, member_id, create=False)
    return [open_with(key, member_id, text) for text in stored]


async def shred(session: AsyncSession, member_id: int) -> None:
    """Delete the member's data key from the key store (at once, before the caller commits):
    their sealed text, here and in every database backup, is unreadable."""
    ring = keyring_of(session)
    key_id = await _key_id(session, member_id)
    if key_id is not None:
        await ring.store.delete(key_id)
        ring.forget(f"{member_id}:{key_id}")
    await session.execute(update(Member).where(Member.id == member_id).values(data_key_id=None)
                          .execution_options(synchronize_session="fetch"))
