"""The repository's shared fixtures (tests/fer_sdk_fixtures.py), not a copy."""

from fer_sdk_fixtures import astronaut, fer2013, hopper

__all__ = ["astronaut", "fer2013", "hopper"]
