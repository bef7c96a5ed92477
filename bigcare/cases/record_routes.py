"""Case records: notes, attachments (download), consents and referrals."""

from fastapi import APIRouter

router = APIRouter(tags=["cases"])
