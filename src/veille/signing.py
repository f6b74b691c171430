"""Comparing secrets: one helper for every signature, token and link Veille checks."""

from __future__ import annotations

import hmac


def same_secret(given: str, expected: str) -> bool:
    """Whether a secret someone sent (a CSRF token, a cookie's signature, a signed link) is the
    expected one, in constant time. Any text is accepted: ``hmac.compare_digest`` raises on a
    ``str`` that is not ASCII, so both sides are compared as UTF-8 (lone surrogates, which only
    JSON can carry, kept as they are)."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
