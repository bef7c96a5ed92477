"""Log output that cannot carry an RRN or a phone number, whatever a message or traceback holds.

Code logs ids, never names, RRNs, phones or notes (STYLE.md). This filter is the safety net
under that rule: it masks anything shaped like an RRN or a phone number in the message and in
the formatted traceback before a handler writes it. Names cannot be recognised by shape; the
test run's log scan (tests/conftest.py) checks that none is ever logged.
"""

import logging
import re
import sys
import unicodedata
from typing import TextIO

from bigcare.privacy.rrn import RRN_PATTERN

# Mobile and Seoul/area-code landlines as people write them (hyphen, dot, space or nothing).
_AREA = r"(?:1[016789]|[2-6][0-9]?|70)"
PHONE_PATTERN = re.compile(
    rf"(?<![\d+])(?:\+\s?82[-. ]?(?:\(0\)\s?|0)?{_AREA}|\(?0{_AREA}\)?)"
    r"[-. ]?\d{3,4}[-. ]?(\d{4})(?!\d)"
)
RRN_MASK = "######-#######"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str) -> str:
    """The text with RRN-shaped runs fully masked and phone numbers masked but the last 4."""
    # NFKC first: full-width digits and hyphens typed through a Korean IME are numbers too.
    text = RRN_PATTERN.sub(RRN_MASK, unicodedata.normalize("NFKC", text))
    return PHONE_PATTERN.sub(lambda m: "***-****-" + m.group(1), text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message and traceback text with `redact` before output."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def redacting_handler(stream: TextIO | None = None, *, fmt: str = LOG_FORMAT) -> logging.Handler:
    """A stream handler whose every record passes through RedactingFilter."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(fmt))
    handler.addFilter(RedactingFilter())
    return handler


def configure_logging(level: str) -> None:
    """Root logging for the CLI and the server: one redacting handler on stderr. (The server
    runs uvicorn with log_config=None so its loggers reach this handler too.)"""
    root = logging.getLogger()
    root.setLevel(level.upper())
    for existing in list(root.handlers):
        if getattr(existing, "bigcare", False):
            root.removeHandler(existing)
    handler = redacting_handler()
    handler.bigcare = True  # type: ignore[attr-defined]
    root.addHandler(handler)
