"""Turn plugin autoloading off from Python: for the whole process, or one registry."""

from __future__ import annotations

import os

# For the whole process: set the variable before fer_sdk looks up its first component.
os.environ["FER_SDK_DISABLE_PLUGIN_AUTOLOAD"] = "1"

import fer_sdk
from fer_sdk.plugins import Registry

names = [d["name"] for d in fer_sdk.available_components()["detectors"]]
print("process registry, detectors:", ", ".join(names))

# For one recognizer: a registry of its own that never reads entry points,
# plus the plugins you register yourself.
registry = Registry(autoload=False)
recognizer = fer_sdk.EmotionRecognizer(detector="haar", registry=registry)
print(
    "own registry, detectors:",
    ", ".join(info.name for info in registry.infos("detectors")),
)
