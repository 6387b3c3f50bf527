"""annotate: readable labels on any background, the score panel inside the frame and off the faces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fer_sdk import Box, FaceEmotion, annotate
from fer_sdk.drawing import EMOTION_COLOURS, Rect, colour_bgr, colour_rgb, layout
from fer_sdk.labels import FER7

SCORES = dict(zip(FER7, (0.02, 0.01, 0.05, 0.7, 0.04, 0.08, 0.1), strict=True))


def face_at(x: int, y: int, size: int, emotion: str = "happy") -> FaceEmotion:
    return FaceEmotion(box=Box(x=x, y=y, w=size, h=size), emotion=emotion, confidence=SCORES[emotion], scores=SCORES)


def positions(width: int, height: int, size: int) -> list[tuple[int, int]]:
    """Corners, edge middles and the centre of the frame."""
    xs, ys = (0, (width - size) // 2, width - size), (0, (height - size) // 2, height - size)
    return [(x, y) for x in xs for y in ys]


@pytest.mark.parametrize(
    ("width", "height", "sizes"), [(640, 480, (24, 40, 62, 100, 160, 240)), (320, 240, (24, 40, 62, 100))]
)
def test_panel_stays_inside_the_frame_and_off_the_face_at_every_edge_and_size(
    width: int, height: int, sizes: tuple[int, ...]
) -> None:
    for size in sizes:
        for x, y in positions(width, height, size):
            [spot] = layout((height, width, 3), [face_at(x, y, size)])
            where = f"{size}px face at ({x}, {y}) in {width}x{height}"
            assert spot.panel is not None and spot.panel.inside(width, height), where
            assert spot.tag.inside(width, height), where
            assert spot.panel.overlap(spot.box) == 0 and spot.panel.overlap(spot.tag) == 0, where


def test_panels_of_several_faces_keep_off_each_other_and_scale_with_the_face() -> None:
    faces = [face_at(0, 0, 62), face_at(578, 418, 62), face_at(290, 210, 62), face_at(440, 150, 200)]
    spots = layout((480, 640, 3), faces)
    rects = [r for s in spots for r in (s.box, s.tag, s.panel) if r is not None]
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert a.overlap(b) == 0, (a, b)
    assert spots[3].row_height > spots[2].row_height >= 14  # a larger face, larger rows; never unreadably small


def test_compact_panel_for_a_small_face_without_room_for_seven_rows() -> None:
    [spot] = layout((90, 400, 3), [face_at(0, 14, 62)])  # 90 pixels high: seven readable rows do not fit
    assert spot.rows == ("happy", "neutral", "surprise")  # the three highest scores, highest first
    assert spot.panel is not None and spot.panel.inside(400, 90) and spot.panel.overlap(spot.box) == 0
    [roomy] = layout((480, 640, 3), [face_at(100, 100, 62)])
    assert roomy.rows == FER7


@pytest.mark.parametrize("background", [0, 128, 255])
def test_drawing_leaves_the_face_and_the_rest_of_the_frame_untouched_and_text_readable(background: int) -> None:
    frame = np.full((300, 400, 3), background, np.uint8)
    frame[100:180, 150:230] = np.arange(80, dtype=np.uint8)[None, :, None]  # "the face"
    face = face_at(150, 100, 80)
    out = annotate(frame, [face])
    [spot] = layout(frame.shape, [face])
    assert spot.panel is not None
    drawn = np.zeros(frame.shape[:2], bool)
    for r in (spot.tag, spot.panel):
        drawn[r.y : r.y + r.h, r.x : r.x + r.w] = True
    b, edge = spot.box, 3  # the box line and its dark edge
    drawn[b.y - edge : b.y + b.h + edge, b.x - edge : b.x + b.w + edge] = True
    drawn[b.y + edge : b.y + b.h - edge, b.x + edge : b.x + b.w - edge] = False  # inside the box: the face
    changed = (out != frame).any(axis=2)
    assert not changed[~drawn].any(), "drawn outside the box, the tag and the panel, or over the face"
    panel = out[spot.panel.y : spot.panel.y + spot.panel.h, spot.panel.x : spot.panel.x + spot.panel.w]
    gray = panel.mean(axis=2)
    assert np.median(gray) < 110 and (gray > 240).sum() > 15  # bright text on a dark panel, whatever is behind


def test_annotate_and_the_plots_use_the_same_emotion_colours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.colors

    import fer_sdk.figures as plots

    assert set(EMOTION_COLOURS) == set(FER7) and len(set(EMOTION_COLOURS.values())) == 7
    for name in FER7:
        r, g, b = (round(255 * c) for c in matplotlib.colors.to_rgb(colour_rgb(name)))
        assert colour_bgr(name) == (b, g, r)
    figures = []
    monkeypatch.setattr(plots, "save", lambda fig, path, **kw: figures.append(fig) or Path(path))
    plots.plot_per_class(dict.fromkeys(FER7, 0.5), tmp_path / "bars.png", counts=dict.fromkeys(FER7, 3))
    frames = [{"index": 0, "faces": [{"track_id": 0, "scores": SCORES}]}]
    plots.plot_timeline(frames, FER7, tmp_path / "timeline.png")
    bars, lines = figures[0].axes[0].patches, figures[1].axes[0].lines
    assert [matplotlib.colors.to_hex(p.get_facecolor()) for p in bars] == [colour_rgb(n) for n in FER7]
    assert [matplotlib.colors.to_hex(line.get_color()) for line in lines] == [colour_rgb(n) for n in FER7]
    labels = [t.get_text() for t in figures[0].axes[0].get_xticklabels()]
    assert labels[3] == "happy\nn=3"  # the counts the tutorial describes


def test_layout_rectangles() -> None:
    assert Rect(0, 0, 10, 10).overlap(Rect(5, 5, 10, 10)) == 25 and Rect(0, 0, 4, 4).overlap(Rect(4, 0, 4, 4)) == 0
    assert Rect(0, 0, 10, 10).inside(10, 10) and not Rect(1, 0, 10, 10).inside(10, 10)


def test_gray_and_bgra_frames_give_bgr_pictures() -> None:
    face = face_at(10, 10, 40)
    assert annotate(np.zeros((120, 200), np.uint8), [face]).shape == (120, 200, 3)
    assert annotate(np.zeros((120, 200, 4), np.uint8), [face]).shape == (120, 200, 3)
