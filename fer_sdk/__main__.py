"""``python -m fer_sdk``: the same as the ``fer-sdk`` command."""

import sys

from fer_sdk.cli import main

sys.exit(main())
