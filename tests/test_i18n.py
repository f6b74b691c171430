"""Every message of the code and templates has its French translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from veille.paths import LOCALES, REPO_DIR


def test_every_message_is_translated_into_french(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "--quiet",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "translate",
            "-o",
            str(pot),
            ".",
        ],
        cwd=REPO_DIR,
        check=True,
    )
    with pot.open("rb") as source:
        extracted = {m.id for m in read_po(source) if m.id}
    with (LOCALES / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale="fr")
    missing = sorted(
        str(m)
        for m in extracted
        if m not in catalogue
        or not all(catalogue[m].string if isinstance(catalogue[m].string, tuple) else [catalogue[m].string])
    )
    assert not missing, f"messages without French translation (run `make messages`): {missing}"
