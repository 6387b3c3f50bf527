"""Distributed training: TF_CONFIG checks, the documented commands, and two local workers on loopback."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from fer_sdk.train import TrainConfig
from fer_sdk.train.distribute import read_tf_config

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = ROOT / "docs" / "snippets"
EXAMPLE = ROOT / "examples" / "train_multiworker.py"


def _commands(name: str) -> list[str]:
    """The commands of a shell snippet (continuation lines joined, comments dropped)."""
    text = (SNIPPETS / name).read_text(encoding="utf-8").replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def _train_command(name: str) -> tuple[dict[str, str], TrainConfig]:
    """Parse a ``[VAR="$(cat FILE)"]... fer-sdk train ...`` snippet as the CLI would: (environment, config)."""
    (command,) = _commands(name)
    words = shlex.split(command)
    env: dict[str, str] = {}
    while "=" in words[0]:
        key, value = words.pop(0).split("=", 1)
        if value.startswith("$(cat ") and value.endswith(")"):
            value = (ROOT / value[len("$(cat ") : -1]).read_text(encoding="utf-8")
        env[key] = value
    assert words[:2] == ["fer-sdk", "train"], command
    import argparse

    from fer_sdk.cli.train import add_train_arguments, config_from_args

    parser = argparse.ArgumentParser()
    add_train_arguments(parser)
    args = parser.parse_args(words[2:])
    assert args.config is None or (ROOT / args.config).is_file(), args.config
    if args.config is not None:
        args.config = ROOT / args.config
    return env, config_from_args(args)


@pytest.mark.parametrize("index", [0, 1])
def test_two_machine_tf_config_files_are_valid(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (SNIPPETS / f"tf_config_machine{index}.json").read_text(encoding="utf-8")
    parsed = read_tf_config(text)
    assert parsed["task"] == {"type": "worker", "index": index}
    # TensorFlow reads it the same way
    import tensorflow as tf

    monkeypatch.setenv("TF_CONFIG", text)
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    assert (resolver.task_type, resolver.task_id) == ("worker", index)
    assert resolver.cluster_spec().as_dict() == {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "needs the TF_CONFIG"),
        ("{not json", "not valid JSON"),
        ('{"task": {"type": "worker", "index": 0}}', '"cluster"'),
        ('{"cluster": {"ps": ["a:1"]}, "task": {"type": "ps", "index": 0}}', "task type 'ps'"),
        ('{"cluster": {"worker": ["a"]}, "task": {"type": "worker", "index": 0}}', "not 'host:port'"),
        ('{"cluster": {"worker": ["a:1"]}}', '"task"'),
        ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}', "not in the cluster"),
        ('{"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 2}}', "out of range"),
    ],
)
def test_bad_tf_config_is_explained(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_tf_config(value)


def test_tf_config_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="needs the TF_CONFIG"):
        read_tf_config()
    sys.path.insert(0, str(EXAMPLE.parent))
    try:
        from train_multiworker import tf_config  # the launcher's TF_CONFIG for each local worker
    finally:
        sys.path.remove(str(EXAMPLE.parent))
    monkeypatch.setenv("TF_CONFIG", tf_config(["localhost:1", "localhost:2"], 1))
    assert read_tf_config()["cluster"] == {"worker": ["localhost:1", "localhost:2"]}


@pytest.mark.parametrize(
    ("name", "distribute", "tf_config"),
    [
        ("train-mirrored.sh", "mirrored", None),
        ("train-gpu.sh", "auto", None),
        ("train-multiworker-machine0.sh", "multi_worker", "tf_config_machine0.json"),
        ("train-multiworker-machine1.sh", "multi_worker", "tf_config_machine1.json"),
    ],
)
def test_documented_train_commands_parse(name: str, distribute: str, tf_config: str | None) -> None:
    env, cfg = _train_command(name)
    assert cfg.distribute == distribute and cfg.arch == "fernet"
    if tf_config is None:
        assert "TF_CONFIG" not in env
    else:
        assert json.loads(env["TF_CONFIG"]) == json.loads((SNIPPETS / tf_config).read_text(encoding="utf-8"))
        read_tf_config(env["TF_CONFIG"])
    if name == "train-gpu.sh":
        assert cfg.xla and cfg.precision == "auto"


def test_distribute_option_is_documented() -> None:
    description = TrainConfig.model_fields["distribute"].description or ""
    for word in ("MirroredStrategy", "MultiWorkerMirroredStrategy", "TF_CONFIG", "chief"):
        assert word in description


@pytest.mark.slow
def test_two_local_workers_train_one_model() -> None:
    """The documented demo, run as written: two worker processes on loopback, checked by the example itself."""
    (command,) = _commands("train-multiworker-local.sh")
    assert command.startswith("python examples/train_multiworker.py")
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("TF_CONFIG", None)
    res = subprocess.run(
        ["bash", "-c", command + " --timeout 150"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    for task in ("worker0", "worker1"):
        assert f"[{task}] 2 replicas in the cluster" in out and f"[{task}] epoch 2:" in out, out
    assert "steps per worker: [18, 18] -> same" in out, out  # 300 images // 32 per global batch, 2 epochs
    assert "-> identical" in out and "loads: True" in out and "OK: two workers trained one model in sync" in out
    # both workers report the same (all-reduced) training metrics for every epoch
    epochs = {
        task: [line.split(" loss ", 1)[1] for line in out.splitlines() if line.startswith(f"[{task}] epoch")]
        for task in ("worker0", "worker1")
    }
    assert len(epochs["worker0"]) == 2 and epochs["worker0"] == epochs["worker1"], epochs
