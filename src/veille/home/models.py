"""The home page's one table: when each person last opened it ("new since my last visit")."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from veille.orm import timestamp


class HomeVisit(SQLModel, table=True):
    """When a person last opened their home page: "new reports since my last visit"."""

    __tablename__ = "home_visit"

    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    seen_at: datetime = timestamp()
    previous_seen_at: datetime | None = timestamp(nullable=True)
