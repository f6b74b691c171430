"""``python -m veille.cli``: the ``veille`` command."""

import sys

from veille.cli import main

sys.exit(main())
