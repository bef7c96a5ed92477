"""The redacting log handler: whatever a message, its arguments or a traceback holds, no RRN
or phone number reaches the log output, while ids and ordinary numbers stay readable."""

import io
import logging
import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bigcare.privacy.logs import RRN_MASK, redact, redacting_handler
from bigcare.privacy.rrn import RRN_PATTERN


@dataclass
class CapturedLog:
    logger: logging.Logger
    stream: io.StringIO

    @property
    def text(self) -> str:
        return self.stream.getvalue()


@pytest.fixture
def captured() -> Iterator[CapturedLog]:
    """A logger of its own writing through redacting_handler into a StringIO (not propagated,
    so the run's log only ever sees what the application logs)."""
    stream = io.StringIO()
    logger = logging.getLogger(f"bigcare.test_logs.{secrets.token_hex(4)}")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    # No timestamp: the tests read the message and traceback only.
    handler = redacting_handler(stream, fmt="%(levelname)s %(message)s")
    logger.addHandler(handler)
    yield CapturedLog(logger, stream)
    logger.removeHandler(handler)
    handler.close()


RRNS = [
    pytest.param("800101-1234560", id="hyphen"),
    pytest.param("8001011234560", id="no-hyphen"),
    pytest.param("800101 - 1234560", id="spaced"),
    pytest.param("800101‐1234560", id="unicode-hyphen"),
    pytest.param("８００１０１－１２３４５６０", id="full-width"),
    pytest.param("８００１０１１２３４５６０", id="full-width-no-hyphen"),
]
PHONES = [
    pytest.param("010-2345-6789", "2345", id="mobile"),
    pytest.param("01023456789", "2345", id="mobile-digits"),
    pytest.param("010.2345.6789", "2345", id="mobile-dots"),
    pytest.param("010 2345 6789", "2345", id="mobile-spaces"),
    pytest.param("011-234-5678", "234", id="legacy-mobile"),
    pytest.param("02-234-5678", "234", id="seoul"),
    pytest.param("02-2345-6789", "2345", id="seoul-8"),
    pytest.param("031-234-5678", "234", id="gyeonggi"),
    pytest.param("070-2345-6789", "2345", id="internet-phone"),
    pytest.param("+82 10-2345-6789", "2345", id="international"),
    pytest.param("+821023456789", "2345", id="international-digits"),
    pytest.param("０１０－２３４５－６７８９", "2345", id="full-width"),
    pytest.param("(02) 234-5678", "234", id="parenthesised-area-code"),
]


def _assert_no_phone(text: str, phone: str, middle: str) -> None:
    """The number is gone: its middle (exchange) group appears in no form; only the last four
    digits may stay, as in "***-****-6789"."""
    assert phone not in text
    assert middle not in unicodedata.normalize("NFKC", text)


@pytest.mark.parametrize("rrn", RRNS)
def test_rrn_in_a_message_is_masked(captured: CapturedLog, rrn: str) -> None:
    captured.logger.info(f"matched person by {rrn} in batch 17")
    assert rrn not in captured.text
    assert RRN_PATTERN.search(captured.text) is None
    assert f"matched person by {RRN_MASK} in batch 17" in captured.text


@pytest.mark.parametrize("rrn", RRNS)
def test_rrn_in_percent_args_is_masked(captured: CapturedLog, rrn: str) -> None:
    captured.logger.warning("row %d: rrn %s rejected", 42, rrn)
    assert rrn not in captured.text
    assert RRN_PATTERN.search(captured.text) is None
    assert f"row 42: rrn {RRN_MASK} rejected" in captured.text


@pytest.mark.parametrize(("phone", "middle"), PHONES)
def test_phone_in_a_message_is_masked(captured: CapturedLog, phone: str, middle: str) -> None:
    captured.logger.info(f"sms to {phone} queued")
    _assert_no_phone(captured.text, phone, middle)
    assert "sms to " in captured.text and " queued" in captured.text


@pytest.mark.parametrize(("phone", "middle"), PHONES)
def test_phone_in_percent_args_is_masked(captured: CapturedLog, phone: str, middle: str) -> None:
    captured.logger.info("person %s phone %s", 77, phone)
    _assert_no_phone(captured.text, phone, middle)
    assert "person 77 phone " in captured.text


def test_mobile_number_keeps_only_its_last_four_digits(captured: CapturedLog) -> None:
    captured.logger.info("call %s", "010-2345-6789")
    assert "call ***-****-6789" in captured.text


def test_rrn_and_phone_in_an_exception_traceback_are_masked(captured: CapturedLog) -> None:
    def match_person(rrn: str, phone: str) -> None:
        raise ValueError(f"no person with rrn {rrn} and phone {phone}")

    try:
        match_person("800101-1234560", "010-2345-6789")
    except ValueError:
        captured.logger.exception("matching failed for person %d", 77)
    text = captured.text
    assert "matching failed for person 77" in text
    assert "Traceback (most recent call last)" in text and "ValueError" in text
    assert "800101-1234560" not in text and "1234560" not in text
    assert "2345" not in text
    assert RRN_PATTERN.search(text) is None
    assert f"no person with rrn {RRN_MASK} and phone ***-****-6789" in text


def test_chained_exception_tracebacks_are_masked(captured: CapturedLog) -> None:
    try:
        try:
            raise KeyError("8001011234560")
        except KeyError as exc:
            raise RuntimeError("lookup of 010-2345-6789 failed") from exc
    except RuntimeError:
        captured.logger.error("import row 3 failed", exc_info=True)
    text = captured.text
    assert "8001011234560" not in text and "2345-6789" not in text
    assert "KeyError" in text and "RuntimeError" in text


def test_stack_info_is_masked(captured: CapturedLog) -> None:
    def deep(rrn: str) -> None:
        captured.logger.info("checkpoint", stack_info=True)
        assert rrn  # keeps the argument alive in the frame

    deep("800101-1234560")
    assert "Stack (most recent call last)" in captured.text
    assert RRN_PATTERN.search(captured.text) is None


def test_ids_and_ordinary_numbers_survive(captured: CapturedLog) -> None:
    message = (
        "person 1234 in dong 1123068 (gu 11230), case 2026-000123, page 3 of 42, "
        "took 1500 ms, batch 20261125, user 7, facility F112306800, "
        "lat 37.480174 lon 127.059095, version 0.32.1, ip 10.0.2.15, "
        "token ab12cd34ef56, status 404, 3 of 250 rows, 12,345 persons"
    )
    captured.logger.info("%s", message)
    assert message in captured.text


def test_redact_leaves_text_without_personal_numbers_unchanged() -> None:
    text = "대상자 42명 표시 (1쪽, 이름 검색) 2026-11-25 08:13:00"
    assert redact(text) == text
