"""HTML pages of actions."""

from fastapi import APIRouter

router = APIRouter()
