"""``fer-sdk train`` and ``python -m fer_sdk.train``: the training recipe from the command line.

The flags are derived from :class:`~fer_sdk.train.config.TrainConfig`: every field
marked with a :class:`~fer_sdk.train.config.Flag` becomes ``--field-name``, its
type giving the choices, the conversion or the switch, and its description (or
the flag's own help) the help text. Flags that are not given leave the config
file's values (``--config``) as they are.
"""

from __future__ import annotations

import argparse
import types
import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic.fields import FieldInfo

from fer_sdk.train.config import Flag, TrainConfig

__all__ = ["add_train_arguments", "cmd_train", "config_from_args", "main", "register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``train`` to the subcommands."""
    p = sub.add_parser("train", help="train a classifier (see python -m fer_sdk.train)")
    add_train_arguments(p)
    p.set_defaults(func=cmd_train)


def _flags() -> Iterator[tuple[str, FieldInfo, Flag]]:
    """The fields of :class:`TrainConfig` that are command-line flags, in field order."""
    for name, field in TrainConfig.model_fields.items():
        flag = next((m for m in field.metadata if isinstance(m, Flag)), None)
        if flag is not None:
            yield name, field, flag


def _members(annotation: Any) -> tuple[list[Any], bool]:
    """The types of a (possibly optional) annotation other than None, and whether None is one of them."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        return [a for a in args if a is not type(None)], type(None) in args
    return [annotation], False


def _argument(name: str, field: FieldInfo, flag: Flag) -> tuple[str, dict[str, Any]]:
    """The option string and ``add_argument`` keywords of one field."""
    option = "--" + (flag.name or name.replace("_", "-"))
    text = flag.help if flag.help is not None else field.description or ""
    kwargs: dict[str, Any] = {"dest": name, "default": argparse.SUPPRESS, "help": text.format(default=field.default)}
    if flag.const is not None:
        return option, {**kwargs, "action": "store_const", "const": flag.const}
    (kind, *more), _ = _members(field.annotation)
    if kind is bool:
        return option, {**kwargs, "action": "store_true"}
    if flag.metavar is not None:
        kwargs["metavar"] = flag.metavar
    if flag.type is not None:
        kwargs["type"] = flag.type
    elif typing.get_origin(kind) is Literal:
        kwargs["choices"] = list(typing.get_args(kind))
    elif typing.get_origin(kind) is list:
        kwargs["nargs"] = "+"
    elif kind in (int, float, Path) and not more:
        kwargs["type"] = kind
    return option, kwargs


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The training options of ``python -m fer_sdk.train`` and ``fer-sdk train``: ``--config`` and a flag per field.

    Examples:
        >>> parser = argparse.ArgumentParser()
        >>> add_train_arguments(parser)
        >>> args = parser.parse_args(["--data", "faces", "--epochs", "3", "--val-split", "none", "--no-augment"])
        >>> cfg = config_from_args(args)
        >>> cfg.epochs, cfg.val_split, cfg.augment.enabled, cfg.batch_size
        (3, None, False, 128)
    """
    parser.add_argument("--config", type=Path, metavar="FILE", help="YAML or JSON file with TrainConfig fields")
    for name, field, flag in _flags():
        option, kwargs = _argument(name, field, flag)
        parser.add_argument(option, **kwargs)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """Build a :class:`TrainConfig` from parsed arguments (a config file first, the flags given over it)."""
    given = vars(args)
    overrides: dict[str, Any] = {}
    for name, field, _ in _flags():
        if name not in given:
            continue
        value = given[name]
        if value is None and not _members(field.annotation)[1]:  # e.g. --labels "": as if not given
            continue
        overrides[name] = value
    config = given.get("config")
    if config is not None:
        return TrainConfig.from_file(config, **overrides)
    return TrainConfig.model_validate(overrides)


def cmd_train(args: argparse.Namespace) -> int:
    """Train as the parsed arguments say and print where the model went."""
    from fer_sdk.train.loop import train

    report = train(config_from_args(args))
    print(f"model: {report.model_path}")
    if report.best_epoch is not None:
        print(f"best epoch {report.best_epoch}: validation accuracy {report.best_val_accuracy}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m fer_sdk.train``."""
    parser = argparse.ArgumentParser(prog="python -m fer_sdk.train", description="Train an emotion classifier.")
    add_train_arguments(parser)
    return cmd_train(parser.parse_args(argv))
