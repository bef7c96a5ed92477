"""Every action the code writes to the access log has a Korean label, so the audit pages never
show a raw code to the person reviewing them."""

import re
from pathlib import Path

import bigcare
from bigcare.auth.audit import ACTION_LABELS
from bigcare.cases import stages

SOURCE = Path(bigcare.__file__).parent
LITERAL = re.compile(r'action="([a-z_.]+)"')


def test_every_logged_action_has_a_korean_label() -> None:
    written = {
        action
        for path in SOURCE.rglob("*.py")
        for action in LITERAL.findall(path.read_text(encoding="utf-8"))
    }
    # A case step looked up out of scope is logged as case.<step> (workflow.get_scoped_case).
    written |= {f"case.{step}" for step in stages.STEPS}
    assert len(written) > 40, "the scan found too few actions: is the pattern still right?"
    missing = sorted(a for a in written if a not in ACTION_LABELS)
    assert not missing, f"add these to bigcare/auth/audit.py ACTION_LABELS: {missing}"
