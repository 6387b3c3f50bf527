"""The photo fixtures of fer_sdk.testing, fer_sdk's helpers for plugin tests."""

from fer_sdk.testing import astronaut

__all__ = ["astronaut"]
