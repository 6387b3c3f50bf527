"""``python -m fer_sdk.train``: train a classifier from the command line (the flags of ``fer-sdk train``)."""

from __future__ import annotations

import sys

from fer_sdk.cli.train import main

if __name__ == "__main__":
    sys.exit(main())
