"""Sealing values (AES-256-GCM), blind indexes (HMAC-SHA256), key rings and key files."""

import base64
import logging
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from bigcare.config import Settings
from bigcare.privacy import keys
from bigcare.privacy.crypto import (
    KEY_BYTES,
    DataKeyError,
    Keyring,
    load_or_create_key_file,
    read_key_file,
    write_key_file,
)

RRN = "800101-1234560"


def _tamper(token: str) -> str:
    """The token with one ciphertext byte flipped (still well-formed base64)."""
    version, key_id, payload = token.split(":")
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[-20] ^= 0x01
    encoded = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    return f"{version}:{key_id}:{encoded}"


def _encoded_key(keyring: Keyring) -> str:
    """The base64 text of the keyring's current key, as it appears in a key file."""
    return keyring.serialize().split(",")[0].split(":", 1)[1]


# --- seal and open ------------------------------------------------------------------------


def test_seal_open_round_trip() -> None:
    keyring = Keyring.generate("k1")
    token = keyring.seal(RRN, context="rrn")
    assert token.startswith("v1:k1:")
    assert RRN not in token and "1234560" not in token
    assert keyring.open(token, context="rrn") == RRN


def test_seal_open_round_trip_keeps_korean_and_empty_text() -> None:
    keyring = Keyring.generate("k1")
    for value in ("서울특별시 강남구 개포로 1", ""):
        assert keyring.open(keyring.seal(value, context="note"), context="note") == value


def test_seal_equal_plaintexts_give_different_tokens() -> None:
    keyring = Keyring.generate("k1")
    tokens = {keyring.seal(RRN, context="rrn") for _ in range(20)}
    assert len(tokens) == 20


def test_open_with_another_context_fails() -> None:
    keyring = Keyring.generate("k1")
    token = keyring.seal("JBSWY3DPEHPK3PXP", context="totp")
    with pytest.raises(DataKeyError) as caught:
        keyring.open(token, context="rrn")
    assert caught.value.message == "암호문이 손상되었거나 다른 키로 암호화되었습니다"


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(_tamper, id="flipped-byte"),
        pytest.param(lambda t: t[:-5], id="truncated"),
        pytest.param(lambda t: t[:12], id="shorter-than-a-tag"),
        pytest.param(lambda t: t + "+", id="not-base64"),
        pytest.param(lambda t: "v2" + t[2:], id="unknown-version"),
        pytest.param(lambda t: t.replace(":", "", 1), id="no-separator"),
        pytest.param(lambda _t: "800101-1234560", id="plaintext"),
    ],
)
def test_open_tampered_token_fails_with_data_key_error(damage: object) -> None:
    keyring = Keyring.generate("k1")
    token = keyring.seal(RRN, context="rrn")
    with pytest.raises(DataKeyError):
        keyring.open(damage(token), context="rrn")  # type: ignore[operator]


def test_open_with_a_retired_key_still_works() -> None:
    old = Keyring.generate("k1")
    token = old.seal(RRN, context="rrn")
    rotated = old.with_new_key("k2")
    assert rotated.current_id == "k2" and rotated.key_ids == ("k2", "k1")
    assert rotated.open(token, context="rrn") == RRN
    assert rotated.key_id_of(token) == "k1"
    assert rotated.seal(RRN, context="rrn").startswith("v1:k2:")


def test_open_with_the_key_missing_fails() -> None:
    old = Keyring.generate("k1")
    token = old.seal(RRN, context="rrn")
    only_new = old.with_new_key("k2").without_retired()
    with pytest.raises(DataKeyError) as caught:
        only_new.open(token, context="rrn")
    assert caught.value.message == "키 'k1'가 키링에 없습니다"


def test_open_with_another_key_of_the_same_id_fails() -> None:
    token = Keyring.generate("k1").seal(RRN, context="rrn")
    with pytest.raises(DataKeyError):
        Keyring.generate("k1").open(token, context="rrn")


def test_seal_refuses_an_empty_context() -> None:
    with pytest.raises(ValueError):
        Keyring.generate("k1").seal(RRN, context="")


# --- blind indexes ------------------------------------------------------------------------


def test_blind_index_is_stable_for_the_same_key() -> None:
    keyring = Keyring.generate("k1")
    reloaded = Keyring.parse(keyring.serialize())
    index = keyring.blind_index(RRN, context="rrn")
    assert len(index) == 64 and int(index, 16) >= 0
    assert keyring.blind_index(RRN, context="rrn") == index
    assert reloaded.blind_index(RRN, context="rrn") == index


def test_blind_index_differs_across_keys_contexts_and_values() -> None:
    keyring = Keyring.generate("k1")
    index = keyring.blind_index(RRN, context="rrn")
    assert Keyring.generate("k1").blind_index(RRN, context="rrn") != index
    assert keyring.blind_index(RRN, context="phone") != index
    assert keyring.blind_index("800101-1234561", context="rrn") != index


def test_blind_indexes_cover_every_key_current_first() -> None:
    old = Keyring.generate("k1")
    rotated = old.with_new_key("k2")
    indexes = rotated.blind_indexes(RRN, context="rrn")
    assert indexes == [
        rotated.blind_index(RRN, context="rrn"),
        old.blind_index(RRN, context="rrn"),
    ]


# --- the text form of a keyring -----------------------------------------------------------


def test_keyring_parse_serialize_round_trip() -> None:
    keyring = Keyring.generate("k1").with_new_key("k2")
    text = keyring.serialize()
    assert text.startswith("k2:") and ",k1:" in text and "=" not in text
    parsed = Keyring.parse(text)
    assert parsed == keyring
    assert parsed.key_ids == ("k2", "k1")
    # Whitespace and newlines around entries, as in a hand-edited env file, are ignored.
    spaced = " " + text.replace(",", " ,\n ") + "\n"
    assert Keyring.parse(spaced) == keyring


def test_keyring_repr_shows_ids_not_key_bytes() -> None:
    keyring = Keyring.generate("k1")
    shown = repr(keyring) + str(keyring)
    assert "k1" in shown
    assert _encoded_key(keyring) not in shown


def test_keyring_parse_errors_are_korean_and_never_echo_key_bytes() -> None:
    good = Keyring.generate("k1")
    key_text = _encoded_key(good)
    # Full-length base64 but holding 40 bytes rather than 32.
    long_key = base64.urlsafe_b64encode(bytes(KEY_BYTES + 8)).decode()
    cases = {
        "": "키링이 비어 있습니다",
        key_text: "키링의 1번째 항목이 'ID:키' 형식이 아닙니다",
        f"k1:{key_text},{key_text}": "키링의 2번째 항목이 'ID:키' 형식이 아닙니다",
        f"키:{key_text}": "키링의 1번째 항목이 'ID:키' 형식이 아닙니다",
        f"k1:{key_text[:20]}+/{key_text[22:]}": "키 'k1'가 올바른 base64가 아닙니다",
        f"k1:{key_text[:-4]}": f"키 'k1'는 {KEY_BYTES}바이트여야 합니다",
        f"k1:{long_key}": f"키 'k1'는 {KEY_BYTES}바이트여야 합니다",
        f"k1:{key_text},k1:{key_text}": "키 ID 'k1'가 중복되었습니다",
        f"{'k' * 17}:{key_text}": "키링의 1번째 항목이 'ID:키' 형식이 아닙니다",
    }
    for text, message in cases.items():
        with pytest.raises(DataKeyError) as caught:
            Keyring.parse(text)
        assert caught.value.message == message, text
        shown = str(caught.value) + repr(caught.value)
        assert key_text[:16] not in shown and long_key[:16] not in shown
        assert caught.value.__cause__ is None


# --- key files ----------------------------------------------------------------------------


def test_load_or_create_key_file_creates_an_owner_only_file(tmp_path: Path) -> None:
    path = tmp_path / "bigcare.key"
    keyring, created = load_or_create_key_file(path)
    assert created
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="ascii") == keyring.serialize() + "\n"
    assert len(keyring.key_ids) == 1


def test_load_or_create_key_file_reuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "bigcare.key"
    first, _ = load_or_create_key_file(path)
    token = first.seal(RRN, context="rrn")
    again, created = load_or_create_key_file(path)
    assert not created
    assert again == first
    assert again.open(token, context="rrn") == RRN


def test_write_key_file_replaces_the_file_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "bigcare.key"
    first, _ = load_or_create_key_file(path)
    rotated = first.with_new_key("k2")
    write_key_file(path, rotated)
    assert read_key_file(path) == rotated
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["bigcare.key"]  # no temporary file left


def test_read_key_file_warns_when_others_can_read_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bigcare.key"
    keyring = Keyring.generate("k1")
    path.write_text(keyring.serialize() + "\n", encoding="ascii")
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="bigcare.privacy.crypto"):
        assert read_key_file(path) == keyring
    assert "readable by group or others" in caplog.text
    assert _encoded_key(keyring) not in caplog.text


def test_read_key_file_refuses_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "bigcare.key"
    path.write_text("\n", encoding="ascii")
    with pytest.raises(DataKeyError) as caught:
        read_key_file(path)
    assert "키 파일이 비어 있습니다" in caught.value.message


# --- where the running app gets its key ring ----------------------------------------------


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": f"sqlite:///{tmp_path / 'bigcare.db'}",
        "data_key": None,
        "data_key_file": tmp_path / "bigcare.key",
        "demo": False,
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


def test_load_keyring_refuses_without_a_key_outside_the_demo(tmp_path: Path) -> None:
    with pytest.raises(DataKeyError) as caught:
        keys.load_keyring(_settings(tmp_path))
    assert caught.value.message == keys.NO_KEY_MESSAGE
    assert not (tmp_path / "bigcare.key").exists()


def test_load_keyring_creates_a_key_file_in_the_demo(tmp_path: Path) -> None:
    settings = _settings(tmp_path, demo=True)
    keyring, created = keys.load_keyring(settings)
    assert created
    assert stat.S_IMODE((tmp_path / "bigcare.key").stat().st_mode) == 0o600
    assert keys.key_source(settings) == "file"
    again, created_again = keys.load_keyring(settings)
    assert again == keyring and not created_again


def test_load_keyring_reads_an_existing_key_file_outside_the_demo(tmp_path: Path) -> None:
    keyring = Keyring.generate("k1")
    write_key_file(tmp_path / "bigcare.key", keyring)
    assert keys.load_keyring(_settings(tmp_path)) == (keyring, False)


def test_load_keyring_prefers_the_environment_key(tmp_path: Path) -> None:
    keyring = Keyring.generate("env1")
    settings = _settings(tmp_path, data_key=SecretStr(keyring.serialize()))
    assert keys.load_keyring(settings) == (keyring, False)
    assert keys.key_source(settings) == "env"
    assert not (tmp_path / "bigcare.key").exists()
