"""The photo (and data set) fixtures of fer_sdk.testing, fer_sdk's helpers for plugin tests."""

from fer_sdk.testing import astronaut, fer2013, hopper

__all__ = ["astronaut", "fer2013", "hopper"]
