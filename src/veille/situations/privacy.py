"""Hints that a text names a person (docs/confidentiality.md, rule 3): the form warns before posting.

Heuristics, not proof: they catch the usual slips (a civility followed by a name, a phone
number, a number plate, an e-mail address) and say which, so that the author can rephrase or
choose a confidentiality class that allows it.
"""

from __future__ import annotations

import re

from veille.i18n import N_

_UPPER = r"[A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ]"
_NAME = rf"{_UPPER}[a-zàâäçéèêëîïôöùûüÿ'’-]+|{_UPPER}{{2,}}"
PATTERNS: dict[str, re.Pattern[str]] = {
    # "M. Dupont", "Mme Martin", "monsieur Karim B.", "le jeune Kevin D."
    "name": re.compile(
        rf"\b(?:M\.|Mr\.?|Mme|Mlle|[Mm]onsieur|[Mm]adame|[Mm]ademoiselle|[Ll]e (?:jeune|nommé)|"
        rf"[Ll]a (?:jeune|nommée)|[Ff]amille)\s+(?:{_NAME})"
    ),
    # 06 12 34 56 78, 06.12.34.56.78, +33 6 12 34 56 78
    "phone": re.compile(r"(?<!\d)(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)"),
    # AB-123-CD (since 2009) and 1234 AB 56 (before)
    "plate": re.compile(
        r"\b[A-HJ-NP-TV-Z]{2}[\s-]?\d{3}[\s-]?[A-HJ-NP-TV-Z]{2}\b|\b\d{1,4}\s?[A-Z]{2,3}\s?\d{2}\b"
    ),
    "email": re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b"),
}
HINTS = {
    "name": N_("a person's name"),
    "phone": N_("a phone number"),
    "plate": N_("a number plate"),
    "email": N_("an e-mail address"),
}


def personal_data_hints(*texts: str) -> list[str]:
    """The kinds of personal data the texts seem to hold, in a stable order."""
    joined = "\n".join(texts)
    return [kind for kind, pattern in PATTERNS.items() if pattern.search(joined)]
