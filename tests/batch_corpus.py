"""A small corpus for the batch tests: real photos, a photo without a face, broken files, a short video."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from conftest import write_video

VIDEO_FRAMES = 12


def make_corpus(root: Path, astronaut: np.ndarray, hopper: np.ndarray) -> Path:
    """``root`` with photos (one in a sub-folder), a photo without a face, a corrupt and an empty file, a video.

    Also an empty sub-folder and a text file that is not an image (skipped: folders keep image and video suffixes).
    """
    (root / "people" / "more").mkdir(parents=True)
    (root / "nobody").mkdir()
    cv2.imwrite(str(root / "people" / "astronaut.png"), astronaut)
    cv2.imwrite(str(root / "people" / "more" / "hopper.jpg"), hopper)
    cv2.imwrite(str(root / "people" / "no_face.jpg"), astronaut[300:, :])
    (root / "people" / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" * 20)
    (root / "people" / "empty.png").write_bytes(b"")
    (root / "people" / "notes.md").write_text("not an image\n", encoding="utf-8")
    write_video(root / "clip.mp4", astronaut, hopper, frames=VIDEO_FRAMES)
    return root


# each source's expected status, relative to the corpus root
STATUS = {
    "clip.mp4": "ok",
    "people/astronaut.png": "ok",
    "people/corrupt.jpg": "error",
    "people/empty.png": "error",
    "people/more/hopper.jpg": "ok",
    "people/no_face.jpg": "no_face",
}
