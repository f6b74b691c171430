"""Password strength: a password that zxcvbn finds easy to guess (score below 3: common
passwords, words alone, keyboard rows, dates, the person's own name) is refused wherever one is
set, with the reason in the reader's language."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

from zxcvbn import zxcvbn  # type: ignore[import-untyped]

from veille.errors import InvalidInput
from veille.i18n import N_

MIN_SCORE = 3
# zxcvbn looks at this much of a password (its limit: longer, it raises, a long passphrase was a
# 500 wherever a password is set); what is longer is not easier to guess for it.
_CHECKED = 72
PERSONAL = N_("This password is made of your name or e-mail address. Use several uncommon words.")
TOO_EASY = N_("This password is too easy to guess. Use a longer one, made of several uncommon words.")
# zxcvbn's warnings (English, fixed), each as one message that says why and what to do instead.
_REASONS = {
    "This is a top-10 common password.": N_(
        "This password is one of the ten most used. Use a longer one, made of several uncommon words."
    ),
    "This is a top-100 common password.": N_(
        "This password is one of the hundred most used. Use a longer one, made of several uncommon words."
    ),
    "This is a very common password.": N_(
        "This password is among the most used. Use a longer one, made of several uncommon words."
    ),
    "This is similar to a commonly used password.": N_(
        "This password is close to a commonly used one. Use a longer one, made of several uncommon words."
    ),
    "A word by itself is easy to guess.": N_("A word by itself is easy to guess. Add other uncommon words."),
    "Names and surnames by themselves are easy to guess.": N_(
        "Names and surnames by themselves are easy to guess (yours included). Add uncommon words."
    ),
    "Common names and surnames are easy to guess.": N_(
        "Common names and surnames are easy to guess (yours included). Add uncommon words."
    ),
    "Straight rows of keys are easy to guess.": N_(
        "Rows of keys (such as azerty or 12345) are easy to guess. Use several uncommon words."
    ),
    "Short keyboard patterns are easy to guess.": N_(
        "Keyboard patterns are easy to guess. Use several uncommon words."
    ),
    'Repeats like "aaa" are easy to guess.': N_(
        "Repeated characters (such as aaa) are easy to guess. Use several uncommon words."
    ),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': N_(
        "Repeated groups (such as abcabc) are easy to guess. Use several uncommon words."
    ),
    'Sequences like "abc" or "6543" are easy to guess.': N_(
        "Sequences (such as abc or 6543) are easy to guess. Use several uncommon words."
    ),
    "Recent years are easy to guess.": N_("Recent years are easy to guess. Use several uncommon words."),
    "Dates are often easy to guess.": N_("Dates are easy to guess. Use several uncommon words."),
}


def weakness(password: str, personal: Iterable[str] = ()) -> str | None:
    """Why the password is too easy to guess (a message id), or None when it is strong enough.
    ``personal``: the person's name and address, which a password must not lean on."""
    leaned = set(_leaned_on(personal))
    # zxcvbn scores a sequence of known words by its length, so that words apart (helene.garnier@
    # valmont.example scored 4 of 4) pass: a password of the person's own words and digits does not.
    runs = re.findall(r"[^\W\d_]+|\d+", _unaccented(password.lower()))
    if any(run in leaned for run in runs) and all(run in leaned or run.isdigit() for run in runs):
        return PERSONAL
    result = zxcvbn(password[:_CHECKED], user_inputs=sorted(leaned))
    if result["score"] >= MIN_SCORE:
        return None
    return _REASONS.get(result["feedback"]["warning"], TOO_EASY)


def _leaned_on(personal: Iterable[str]) -> Iterator[str]:
    """What zxcvbn guesses at once, from the person's name and address: each whole (with and
    without accents), the address's local part, its words run together, and each word. Words
    alone let the address itself pass: its dots and at sign scored as random characters."""
    for text in personal:
        for variant in {text.lower().strip(), _unaccented(text.lower().strip())}:
            words = [w for w in re.split(r"[\s@.\-_]+", variant) if w]
            yield from (variant, variant.split("@")[0], "".join(words))
            yield from (w for w in words if len(w) > 2)


def _unaccented(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def require_strong(password: str, personal: Iterable[str] = (), *, field: str = "password") -> None:
    """Refuses a weak password, with its reason beside ``field``."""
    reason = weakness(password, personal)
    if reason is not None:
        raise InvalidInput({field: reason})
