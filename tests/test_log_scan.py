"""The run-wide log scan (conftest.py) must be able to fail: it finds RRNs and known values."""

import io
import logging

from bigcare.privacy.logs import redacting_handler
from tests.conftest import scan_log


def test_log_scan_finds_rrns_names_and_phones() -> None:
    text = "\n".join(
        [
            "INFO bigcare.cases.service: person 12 read",
            "INFO x: looked up 800101-1234560",
            "INFO x: caller 김개포 asked",
            "INFO x: called 010-2345-6789",
        ]
    )
    leaks = scan_log(text, {"김개포", "010-2345-6789"})
    assert len(leaks) == 3
    assert leaks[0].startswith("RRN-shaped number")


def test_production_handler_output_passes_the_scan_for_rrns_and_phones() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("bigcare.test_log_scan")
    handler = redacting_handler(stream)
    logger.addHandler(handler)
    try:
        logger.warning("lookup %s from %s", "800101-1234560", "010-2345-6789")
    finally:
        logger.removeHandler(handler)
    assert scan_log(stream.getvalue(), {"010-2345-6789"}) == []
    assert "5678" not in stream.getvalue() and "6789" in stream.getvalue()
