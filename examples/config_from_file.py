"""Configure the recognizer from a YAML or JSON file.

    python examples/config_from_file.py docs/snippets/config/recognizer.yaml [IMAGE]

The file holds the three parts by name (``detector``, ``preprocessor``,
``classifier``) and the keyword options of ``EmotionRecognizer``
(:class:`fer_sdk.RecognizerOptions`). It is validated before anything is built:
a misspelled key or a bad value is an error that names it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import yaml
from pydantic import ValidationError

from fer_sdk import EmotionRecognizer, FerSdkError, RecognizerOptions

IMAGE = Path(__file__).resolve().parent / "images" / "astronaut.png"


class RecognizerSettings(RecognizerOptions):
    """RecognizerOptions plus the names of the three parts (unknown keys are errors)."""

    detector: str = "haar"
    preprocessor: str | None = None  # None: the preprocessing the classifier declares
    # a registered name, a bundled preset or a model folder; auto: the default
    classifier: str = "auto"

    @classmethod
    def from_file(cls, path: str | Path) -> RecognizerSettings:
        """Read and validate a ``.yaml``/``.yml`` or ``.json`` file."""
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        raw = (
            yaml.safe_load(text)
            if path.suffix.lower() in {".yaml", ".yml"}
            else json.loads(text)
        )
        return cls.model_validate(raw or {})

    def build(self) -> EmotionRecognizer:
        """The recognizer these settings describe."""
        options = self.model_dump(include=set(RecognizerOptions.model_fields))
        return EmotionRecognizer(
            self.detector, self.preprocessor, self.classifier, **options
        )


def main(argv: list[str]) -> int:
    """Load the settings of ``argv[1]``, build the recognizer and run it on an image."""
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        settings = RecognizerSettings.from_file(argv[1])
        recognizer = settings.build()
    except (
        ValidationError,
        FerSdkError,
    ) as exc:  # bad file contents, unknown component or option
        print(f"{argv[1]}: {exc}", file=sys.stderr)
        return 2
    print(f"settings: {settings.model_dump(exclude_defaults=True)}")
    print(recognizer)
    image = argv[2] if len(argv) > 2 else str(IMAGE)
    for face in recognizer.predict(cv2.imread(image)):
        print(
            f"{Path(image).name}: {face.emotion} ({face.confidence:.2f}) "
            f"at {face.box.xyxy}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
