"""uvicorn's access log without the secrets three addresses carry.

A link that sets a password (``/password/reset/{secret}``: 30 minutes, a newcomer's invitation 7
days), a person's calendar feed (``/calendar/{secret}.ics``, until renewed) and a meeting's
answer link (``/meetings/{id}/answer/{invitee}/{signature}``, answering for someone without
logging in) are keys in themselves: whoever reads the log, often more people than the account's
owner, could use them. The line keeps the route, the method and the status; the secret reads
``[hidden]``.

uvicorn logs the path as the client sent it, not decoded: the path is decoded and its repeated
slashes collapsed before it is matched (``/password%2Freset/…`` and ``//`` reach the same
route), and what follows a route's prefix is hidden whole (a trailing slash or ``%2Eics`` too)."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote

from uvicorn.config import LOGGING_CONFIG

HIDDEN = "[hidden]"
SECRET_AFTER = (
    re.compile(r"/password/reset/"),
    re.compile(r"/calendar/(?!revoke/?$)"),
    re.compile(r"/meetings/[^/]+/answer/[^/]+/"),
)


def hide_secrets(path: str) -> str:
    """The request's path as logged (its query string, which carries no secret, as sent)."""
    raw, mark, query = path.partition("?")
    decoded = re.sub(r"/{2,}", "/", unquote(raw))
    for prefix in SECRET_AFTER:
        found = prefix.match(decoded)
        if found and len(decoded) > found.end():
            return f"{found.group()}{HIDDEN}{mark}{query}"
    return path


class HideSecrets(logging.Filter):
    """Rewrites the path of uvicorn's access line (``'%s - "%s %s HTTP/%s" %d'``, the path third)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], hide_secrets(args[2]), *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, its access handler filtered (each worker process
    configures its logging from it)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"hide_secrets": {"()": HideSecrets}}
    config["handlers"]["access"]["filters"] = ["hide_secrets"]
    return config
