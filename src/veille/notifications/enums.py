"""The codes of mail: an outbox row's state and a member's mail choice; stored as text."""

from enum import StrEnum


class OutboxStatus(StrEnum):
    pending = "pending"  # waiting for its first attempt or for a retry
    sent = "sent"  # accepted by the SMTP server
    failed = "failed"  # given up: refused for good, or too many attempts
