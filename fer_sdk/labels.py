"""Label schemes: the FER2013 emotions, the article's six-class merge and FER+'s eight."""

from __future__ import annotations

FER7: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
"""The seven FER2013 emotions, in the order of the original ``fer2013.csv`` ids."""

FER6: tuple[str, ...] = ("angry", "fear", "happy", "sad", "surprise", "neutral")
"""The article's six classes: ``disgust`` merged into ``angry``."""

FER7_TO_FER6: dict[str, str] = {name: ("angry" if name == "disgust" else name) for name in FER7}
"""Maps each FER7 label to its FER6 label."""

FERPLUS8: tuple[str, ...] = (*FER7, "contempt")
"""FER+'s eight emotions: the seven FER2013 ones and ``contempt``."""

SCHEMES: dict[str, tuple[str, ...]] = {"fer7": FER7, "fer6": FER6, "ferplus8": FERPLUS8}
