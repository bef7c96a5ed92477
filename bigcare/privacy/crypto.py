"""Field encryption (AES-256-GCM) and blind indexes (HMAC-SHA256) under a rotatable keyring."""

import base64
import binascii
import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12
SEAL_VERSION = "v1"
_KEY_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,16}")
_B64_RE = re.compile(r"[A-Za-z0-9_-]+={0,2}")
# Distinct HKDF labels so the encryption key and the index key are unrelated even though both
# come from one master key: leaking index values never helps an attacker with ciphertexts.
_AEAD_INFO = b"bigcare:aes-gcm"
_INDEX_INFO = b"bigcare:blind-index"

DAMAGED_MESSAGE = "암호문이 손상되었거나 다른 키로 암호화되었습니다"


class DataKeyError(Exception):
    """A keyring, key file or ciphertext problem; `message` is Korean and holds no key bytes."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _b64encode(data: bytes) -> str:
    """URL-safe base64 without padding (shorter tokens, no "=" to quote in env files)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict URL-safe base64, padding optional; ValueError on any stray character."""
    # urlsafe_b64decode silently drops characters outside the alphabet; check first.
    if not _B64_RE.fullmatch(text):
        raise ValueError("not url-safe base64")
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except binascii.Error as exc:
        raise ValueError("not url-safe base64") from exc


def _derive(master: bytes, info: bytes) -> bytes:
    """A 32-byte subkey of the master key for one purpose."""
    # The master key is already uniformly random, so HKDF needs no salt here.
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(master)


def _check_context(context: str) -> bytes:
    """The context as bytes; it must be non-empty and NUL-free to keep index inputs unambiguous."""
    if not context or "\x00" in context:
        raise ValueError("context must be a non-empty string without NUL")
    return context.encode("utf-8")


def _default_key_id() -> str:
    """Default key id, "k" + UTC yyyymmddHHMMSS: sorts by age and fits 16 characters."""
    return "k" + datetime.now(UTC).strftime("%Y%m%d%H%M%S")


@dataclass(frozen=True, repr=False)
class Keyring:
    """Master keys by id; the first one seals and indexes, the rest only open and look up."""

    keys: tuple[tuple[str, bytes], ...]
    # Derived per-key (AEAD, index key), computed once: bulk re-indexing calls these per row.
    _subkeys: dict[str, tuple[AESGCM, bytes]] = field(
        init=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        # Accept any iterable of pairs but store tuples, so the keyring stays hashable.
        object.__setattr__(self, "keys", tuple(tuple(pair) for pair in self.keys))
        if not self.keys:
            raise DataKeyError("키링에 키가 없습니다")
        seen: set[str] = set()
        for key_id, master in self.keys:
            if not isinstance(key_id, str) or not _KEY_ID_RE.fullmatch(key_id):
                raise DataKeyError("키 ID는 영문·숫자·'_'·'-' 1~16자여야 합니다")
            if key_id in seen:
                raise DataKeyError(f"키 ID '{key_id}'가 중복되었습니다")
            if not isinstance(master, bytes) or len(master) != KEY_BYTES:
                raise DataKeyError(f"키 '{key_id}'는 {KEY_BYTES}바이트여야 합니다")
            seen.add(key_id)
            self._subkeys[key_id] = (
                AESGCM(_derive(master, _AEAD_INFO)),
                _derive(master, _INDEX_INFO),
            )

    def __repr__(self) -> str:
        ids = ", ".join(key_id for key_id, _ in self.keys)
        return f"Keyring(current_id={self.current_id!r}, key_ids=[{ids}])"

    @classmethod
    def parse(cls, text: str) -> "Keyring":
        """Read "k2:<urlsafe-b64 32 bytes>,k1:<…>" (current key first; whitespace ignored)."""
        entries = [entry.strip() for entry in text.split(",")]
        if entries == [""]:
            raise DataKeyError("키링이 비어 있습니다")
        keys: list[tuple[str, bytes]] = []
        for position, entry in enumerate(entries, start=1):
            key_id, sep, encoded = (part.strip() for part in entry.partition(":"))
            if not sep or not _KEY_ID_RE.fullmatch(key_id):
                # Never quote the entry: it may hold key bytes.
                raise DataKeyError(f"키링의 {position}번째 항목이 'ID:키' 형식이 아닙니다")
            try:
                master = _b64decode(encoded)
            except ValueError:
                raise DataKeyError(f"키 '{key_id}'가 올바른 base64가 아닙니다") from None
            keys.append((key_id, master))
        return cls(keys=tuple(keys))

    def serialize(self) -> str:
        """The text form parse() reads."""
        return ",".join(f"{key_id}:{_b64encode(master)}" for key_id, master in self.keys)

    @classmethod
    def generate(cls, key_id: str | None = None) -> "Keyring":
        """A keyring with one fresh random key (default id "k" + UTC yyyymmddHHMMSS)."""
        return cls(keys=((key_id or _default_key_id(), secrets.token_bytes(KEY_BYTES)),))

    def with_new_key(self, key_id: str | None = None) -> "Keyring":
        """This keyring with a fresh current key; the old keys stay for opening old values."""
        new = (key_id or _default_key_id(), secrets.token_bytes(KEY_BYTES))
        return Keyring(keys=(new, *self.keys))

    def without_retired(self) -> "Keyring":
        """Only the current key (after every value was re-sealed and re-indexed with it)."""
        return Keyring(keys=self.keys[:1])

    @property
    def current_id(self) -> str:
        """Id of the key new values are sealed and indexed with."""
        return self.keys[0][0]

    @property
    def key_ids(self) -> tuple[str, ...]:
        """All key ids, current first."""
        return tuple(key_id for key_id, _ in self.keys)

    def seal(self, plaintext: str, *, context: str) -> str:
        """Encrypt to "v1:<key id>:<urlsafe-b64(nonce || ciphertext+tag)>" bound to context."""
        aad = _check_context(context)
        aead, _ = self._subkeys[self.current_id]
        # A fresh random 96-bit nonce per value; with far fewer than 2^32 seals per key the
        # collision risk is negligible, and equal plaintexts give unrelated tokens.
        nonce = os.urandom(NONCE_BYTES)
        sealed = aead.encrypt(nonce, plaintext.encode("utf-8"), aad)
        return f"{SEAL_VERSION}:{self.current_id}:{_b64encode(nonce + sealed)}"

    def open(self, token: str, *, context: str) -> str:
        """Decrypt a sealed token; DataKeyError if its key is missing or it was tampered with."""
        aad = _check_context(context)
        key_id, payload = self._split_token(token)
        if key_id not in self._subkeys:
            raise DataKeyError(f"키 '{key_id}'가 키링에 없습니다")
        aead, _ = self._subkeys[key_id]
        try:
            raw = _b64decode(payload)
        except ValueError:
            raise DataKeyError(DAMAGED_MESSAGE) from None
        if len(raw) < NONCE_BYTES + 16:  # nonce + GCM tag, even for an empty plaintext
            raise DataKeyError(DAMAGED_MESSAGE)
        try:
            # The context is the associated data: a token copied into another kind of
            # column (say, a phone token into the RRN column) fails here.
            plaintext = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
        except InvalidTag:
            raise DataKeyError(DAMAGED_MESSAGE) from None
        return plaintext.decode("utf-8")

    def key_id_of(self, token: str) -> str:
        """Id of the key a token was sealed with (to find values still needing re-sealing)."""
        return self._split_token(token)[0]

    def blind_index(self, value: str, *, context: str) -> str:
        """Hex HMAC-SHA256 of context + NUL + value under the current key's index subkey.

        Exact match only: callers must pass the canonical form (e.g. "800101-1234567" from
        rrn.parse_rrn(...).formatted, "010-1234-5678" from phone.normalize_phone) both when
        storing and when searching, or equal values get different indexes.
        """
        return self._index(self.current_id, value, context)

    def blind_indexes(self, value: str, *, context: str) -> list[str]:
        """The value's index under every key, current first, for lookups mid-rotation."""
        return [self._index(key_id, value, context) for key_id, _ in self.keys]

    def _index(self, key_id: str, value: str, context: str) -> str:
        """Blind index of value under one key's index subkey."""
        message = _check_context(context) + b"\x00" + value.encode("utf-8")
        return hmac.new(self._subkeys[key_id][1], message, hashlib.sha256).hexdigest()

    @staticmethod
    def _split_token(token: str) -> tuple[str, str]:
        """(key id, payload) of a "v1:<key id>:<payload>" token."""
        version, sep1, rest = token.partition(":")
        key_id, sep2, payload = rest.partition(":")
        if version != SEAL_VERSION or not sep1 or not sep2 or not _KEY_ID_RE.fullmatch(key_id):
            raise DataKeyError("암호문 형식이 올바르지 않습니다")
        return key_id, payload


def load_or_create_key_file(path: Path) -> tuple[Keyring, bool]:
    """Read the keyring file, or create it (mode 0o600) with one new key; (keyring, created)."""
    try:
        return read_key_file(path), False
    except FileNotFoundError:
        pass
    keyring = Keyring.generate()
    try:
        # O_EXCL: if another process created the file meanwhile, use theirs, never overwrite
        # a key that may already have sealed data.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_key_file(path), False
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(keyring.serialize() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    log.info("created key file %s with key %s", path, keyring.current_id)
    return keyring, True


def read_key_file(path: Path) -> Keyring:
    """Parse a key file, warning when others can read it."""
    text = path.read_text(encoding="ascii")
    mode = path.stat().st_mode & 0o777
    # Warn rather than refuse: some secret mounts are read-only 0o440/0o444 by design.
    if mode & 0o077:
        log.warning("key file %s is readable by group or others (mode %o)", path, mode)
    if not text.strip():
        raise DataKeyError(f"키 파일이 비어 있습니다: {path}")
    return Keyring.parse(text)


def write_key_file(path: Path, keyring: Keyring) -> None:
    """Atomically replace the key file with this keyring (mode 0o600)."""
    # mkstemp creates the file 0o600 in the target directory, so os.replace is atomic and no
    # reader ever sees a half-written keyring.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(keyring.serialize() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
        _fsync_directory(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _fsync_directory(directory: Path) -> None:
    """Persist a rename in its directory; best effort (not every platform can open a dir)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
