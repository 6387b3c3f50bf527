"""The model preset format (fer_sdk.model/1): one schema read and written by every part."""

from __future__ import annotations

import json
import shutil
from contextlib import ExitStack
from pathlib import Path

import pytest

from fer_sdk import ModelLoadError
from fer_sdk.preset import (
    METADATA_FILE,
    MODEL_FILE,
    PresetMetadata,
    RuntimeFile,
    bundled_presets,
    find_preset,
    looks_like_path,
    names_a_model,
    preset_dir,
    sha256_file,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted([*ROOT.glob("fer_sdk/presets/*/metadata.json"), *ROOT.glob("plugins/*/src/*/models/*/metadata.json")])


def test_every_shipped_metadata_is_found() -> None:
    names = {path.parent.name for path in SHIPPED}
    assert {"fernet_fer7", "fernet_fer7_fer2013", "int8"} <= names
    assert set(bundled_presets()) <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.parent.name)
def test_shipped_metadata_round_trips_byte_for_byte(path: Path, tmp_path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    meta = PresetMetadata.load(path)
    assert meta.to_json() == text
    assert list(meta.to_dict()) == list(json.loads(text))  # the file's own key order
    assert meta.save(tmp_path).read_text(encoding="utf-8") == text
    assert PresetMetadata.from_dict(json.loads(text)).to_json() == text
    assert meta.labels == tuple(json.loads(text)["labels"]) and meta.input_shape == (48, 48, 1)


def test_typed_fields_of_the_default_preset() -> None:
    with ExitStack() as stack:
        meta = PresetMetadata.load(preset_dir("fernet_fer7", stack) / METADATA_FILE)
    assert meta.decision == "calibrated" and meta.class_prior is not None and meta.runtime_files is not None
    entry = meta.runtime_files["tflite"]
    assert isinstance(entry, RuntimeFile) and entry.exported_from_sha256 == meta.sha256
    assert meta["training"]["config"]["label_mode"] == "crossentropy"  # a key the schema does not type
    assert meta.get("no_such_key", 1) == 1 and "labels" in meta and "runtime" not in meta


def test_unknown_keys_are_kept_in_place(tmp_path: Path) -> None:
    data = {"format": "fer_sdk.model/1", "labels": ["a", "b"], "from_the_future": {"x": 1}, "input_size": [8, 8]}
    data["preprocessing"] = {"name": "standard", "size": 8}
    (tmp_path / METADATA_FILE).write_text(json.dumps(data))
    meta = PresetMetadata.load(tmp_path / METADATA_FILE)
    assert meta.get("from_the_future") == {"x": 1}
    meta.decision = "balanced"
    assert list(meta.to_dict()) == [*data, "decision"]


def test_constructed_metadata_is_written_in_field_order() -> None:
    meta = PresetMetadata(
        labels=("happy", "sad"),
        input_size=(48, 48),
        channels=1,
        preprocessing={"name": "standard", "size": 48, "scale": "unit", "margin": 0.0},
        metrics={},
        class_prior={"happy": 0.5, "sad": 0.5},
        training={"epochs_run": 1},
        model_file=MODEL_FILE,
        sha256="0" * 64,
    )
    assert list(meta.to_dict()) == [
        "format",
        "labels",
        "input_size",
        "channels",
        "preprocessing",
        "metrics",
        "class_prior",
        "training",
        "model_file",
        "sha256",
    ]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"labels": []}, "labels"),
        ({"labels": [1, 2]}, "labels"),
        ({"input_size": [48]}, "input_size"),
        ({"decision": "sometimes"}, "decision"),
        ({"runtime_files": {"tflite": {"sha256": "x"}}}, "runtime_files.tflite.model_file"),
    ],
)
def test_metadata_that_does_not_fit_is_a_model_load_error(change: dict, said: str, tmp_path: Path) -> None:  # type: ignore[type-arg]
    with ExitStack() as stack:
        data = json.loads((preset_dir("fernet_fer7", stack) / METADATA_FILE).read_text())
    (tmp_path / METADATA_FILE).write_text(json.dumps({**data, **change}))
    with pytest.raises(ModelLoadError, match=said):
        PresetMetadata.load(tmp_path / METADATA_FILE)
    (tmp_path / METADATA_FILE).write_text("[1, 2]")
    with pytest.raises(ModelLoadError, match="JSON object"):
        PresetMetadata.load(tmp_path / METADATA_FILE)


def test_verify_catches_a_changed_checksum_or_file(tmp_path: Path) -> None:
    with ExitStack() as stack:
        folder = preset_dir("fernet_fer7_fer2013", stack)
        shutil.copy(folder / MODEL_FILE, tmp_path / MODEL_FILE)
        shutil.copy(folder / METADATA_FILE, tmp_path / METADATA_FILE)
    meta = PresetMetadata.load(tmp_path / METADATA_FILE)
    meta.verify(tmp_path / MODEL_FILE)
    changed = meta.model_copy(update={"sha256": "0" * 64})
    with pytest.raises(ModelLoadError, match="SHA-256"):
        changed.verify(tmp_path / MODEL_FILE)
    with pytest.raises(ModelLoadError, match="no sha256"):
        meta.model_copy(update={"sha256": None}).verify(tmp_path / MODEL_FILE)
    data = bytearray((tmp_path / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="truncated, corrupted or was replaced"):
        meta.verify(tmp_path / MODEL_FILE)
    assert meta.runtime_files is not None
    tflite = meta.runtime_files["tflite"]
    with ExitStack() as stack:
        meta.verify(preset_dir("fernet_fer7_fer2013", stack) / tflite.model_file, expected=tflite.sha256)
    assert sha256_file(tmp_path / MODEL_FILE) != meta.sha256


def test_names_and_paths(tmp_path: Path) -> None:
    assert looks_like_path("a/b") and looks_like_path("x.keras") and looks_like_path("x.tflite")
    assert not looks_like_path("fernet_fer7")
    assert names_a_model("fernet_fer7") and names_a_model(str(tmp_path)) and not names_a_model("keras")
    with ExitStack() as stack:
        assert find_preset("no-such-preset", stack) is None
        folder, file = find_preset("fernet_fer7", stack) or (None, None)
        assert folder is not None and (folder / MODEL_FILE).is_file() and file is None
        (tmp_path / "m.keras").write_bytes(b"")
        assert find_preset(str(tmp_path / "m.keras"), stack) == (tmp_path, tmp_path / "m.keras")
        assert find_preset(str(tmp_path), stack) == (tmp_path, None)
