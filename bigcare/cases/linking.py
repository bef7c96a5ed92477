"""What follows a link run on the cases side: the households of the persons it touched are
formed again (linkage sits below cases, so the app and the CLI call this instead)."""

import logging

from sqlmodel import Session

from bigcare.cases import household_forming
from bigcare.linkage import service as linkage_service

log = logging.getLogger(__name__)


def after_link(session: Session, report: linkage_service.LinkReport | None) -> None:
    """Re-form the households touched by a link run, in a savepoint: a failure here leaves
    the link run standing and is put right by the next run."""
    if report is None or not report.persons:
        return
    try:
        with session.begin_nested():
            result = household_forming.form_households(session, person_ids=report.persons)
    except Exception:
        log.exception("forming households after linking failed; the next link run retries")
        return
    log.info("households formed after linking: %s", result)


def link_after_import(
    session: Session, *, thresholds: linkage_service.Thresholds
) -> linkage_service.LinkReport | None:
    """The app's after-import hook: link the new rows, then re-form their households."""
    report = linkage_service.link_after_import(session, thresholds=thresholds)
    after_link(session, report)
    return report
