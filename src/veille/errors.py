"""Errors a service raises; pages and the API turn them into the answers docs/confidentiality.md asks for."""

from __future__ import annotations

from veille.i18n import N_


class ServiceError(Exception):
    status_code = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """Unknown, or not visible to this person: never confirm that it exists."""

    status_code = 404

    def __init__(self, message: str = N_("Not found.")) -> None:
        super().__init__(message)


class Forbidden(ServiceError):
    """Visible, but this person may not do this."""

    status_code = 403

    def __init__(self, message: str = N_("You are not allowed to do this.")) -> None:
        super().__init__(message)


class Conflict(ServiceError):
    """A stale version, or a change the record's state does not allow."""

    status_code = 409


class InvalidInput(ServiceError):
    """Field errors, keyed by field name (``__all__`` for the form as a whole).

    Messages are English message ids of the translation catalogue; the edge translates them.
    """

    status_code = 422

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class TooManyAttempts(ServiceError):
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(N_("Too many failed attempts. Try again later."))
        self.retry_after = retry_after
