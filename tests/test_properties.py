"""Property-based: any array either gives results or raises the documented error, never a crash."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fer_sdk import EmotionRecognizer, FaceEmotion, InvalidImageError

DTYPES = st.sampled_from([np.uint8, np.int8, np.uint16, np.int32, np.float32, np.float64, np.bool_])
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arr=hnp.arrays(dtype=DTYPES, shape=SHAPES), transpose=st.booleans())
def test_predict_gives_results_or_invalid_image_error(
    recognizer: EmotionRecognizer, arr: np.ndarray, transpose: bool
) -> None:
    if transpose and arr.ndim >= 2:
        arr = arr.swapaxes(0, 1)  # non-contiguous
    try:
        faces = recognizer.predict(arr)
    except InvalidImageError as exc:
        assert "expected" in str(exc)
        valid = arr.dtype == np.uint8 and (
            (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (1, 3, 4))) and arr.size > 0
        )
        assert not valid, f"a valid frame was refused: {arr.dtype} {arr.shape}"
    else:
        assert arr.dtype == np.uint8
        assert isinstance(faces, list) and all(isinstance(f, FaceEmotion) for f in faces)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sizes=st.lists(st.tuples(st.integers(1, 90), st.integers(1, 90), st.sampled_from([0, 1, 3, 4])), max_size=4),
    seed=st.integers(0, 2**16),
)
def test_classify_any_sizes(recognizer: EmotionRecognizer, sizes: list[tuple[int, int, int]], seed: int) -> None:
    rng = np.random.default_rng(seed)
    faces = [rng.integers(0, 256, (h, w) if c == 0 else (h, w, c), dtype=np.uint8) for h, w, c in sizes]
    preds = recognizer.classify(faces)
    assert len(preds) == len(faces)
    for p in preds:
        assert abs(sum(p.scores.values()) - 1.0) < 1e-6 and p.emotion in recognizer.labels
