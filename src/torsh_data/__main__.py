"""``python -m torsh_data``: the ``torsh-data`` command."""

import sys

from ._cli import main

sys.exit(main())
