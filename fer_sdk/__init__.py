"""fer_sdk: facial emotion recognition with replaceable parts.

Examples:
    >>> import cv2
    >>> from fer_sdk import EmotionRecognizer
    >>> rec = EmotionRecognizer()
    >>> [face.emotion for face in rec.predict(cv2.imread("examples/images/astronaut.png"))]
    ['happy']

Importing ``fer_sdk`` does not import TensorFlow; the model loads on first use.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fer_sdk.drawing import annotate
from fer_sdk.errors import (
    ComponentError,
    ConfigError,
    DatasetError,
    ExportError,
    FerSdkError,
    InvalidBoxError,
    InvalidImageError,
    MissingExtraError,
    ModelLoadError,
    PluginError,
    PluginWarning,
    UnknownComponentError,
)
from fer_sdk.frame import Frame
from fer_sdk.hookspecs import hookimpl
from fer_sdk.interfaces import EmotionClassifier, FaceDetector, Preprocessor
from fer_sdk.labels import FER6, FER7, FERPLUS8
from fer_sdk.plugins import available_components
from fer_sdk.recognizer import EmotionRecognizer, RecognizerOptions
from fer_sdk.results import Box, EmotionPrediction, FaceEmotion

try:
    __version__ = version("fer_sdk")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "FER6",
    "FER7",
    "FERPLUS8",
    "Box",
    "ComponentError",
    "ConfigError",
    "DatasetError",
    "EmotionClassifier",
    "EmotionPrediction",
    "EmotionRecognizer",
    "ExportError",
    "FaceDetector",
    "FaceEmotion",
    "FerSdkError",
    "Frame",
    "InvalidBoxError",
    "InvalidImageError",
    "MissingExtraError",
    "ModelLoadError",
    "PluginError",
    "PluginWarning",
    "Preprocessor",
    "RecognizerOptions",
    "UnknownComponentError",
    "__version__",
    "annotate",
    "available_components",
    "hookimpl",
]
