"""The photo (and data set) fixtures of fer_sdk.testing, fer_sdk's helpers for plugin tests."""

from fer_sdk.testing import astronaut, hopper, two_faces

__all__ = ["astronaut", "hopper", "two_faces"]
