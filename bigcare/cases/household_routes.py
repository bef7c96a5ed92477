"""Household pages: one household with its members and their cases, and the caseworker's
edits (move a member, set the head, record a relation)."""

from fastapi import APIRouter

router = APIRouter(tags=["households"])
