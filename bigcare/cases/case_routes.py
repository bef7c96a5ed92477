"""Case pages: open a case, the 통합사례관리 workflow forms (consultation, intake, assessment,
conference, classification, plan, monitoring, closing, reassessment), my cases."""

from fastapi import APIRouter

router = APIRouter(tags=["cases"])
