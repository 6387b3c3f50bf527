"""The repository's shared fixtures (tests/fer_sdk_fixtures.py), not a copy."""

from fer_sdk_fixtures import astronaut, hopper, two_faces

__all__ = ["astronaut", "hopper", "two_faces"]
