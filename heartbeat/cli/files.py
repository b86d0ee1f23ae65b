"""The files the commands read: training configs, models, beats, confusion matrices.

Readers for the command line only; each raises ValueError with the file's name when
a file is missing or does not hold what the command needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from heartbeat.classifier import BeatClassifier


def read_config(path: str, defaults: Mapping[str, object]) -> dict:
    """Return the options of a ``--config`` TOML file, checked against `defaults`.

    The options may be flat or under one ``[train]`` table; each must be a key of
    `defaults` and have the type of its default (an int is accepted for a float).
    Raises ValueError naming the file when it cannot be read or an option is wrong.
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise ValueError(
                "--config needs Python 3.11+ (tomllib) or the tomli package on Python "
                "3.10 (pip install tomli); or pass the options on the command line"
            ) from None
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ValueError(f"cannot read --config {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"--config {path} is not valid TOML: {exc}") from None
    if set(data) == {"train"} and isinstance(data["train"], dict):
        data = data["train"]
    unknown = sorted(set(data) - set(defaults))
    if unknown:
        raise ValueError(f"--config {path}: unknown option(s) {unknown}; valid: "
                         f"{', '.join(defaults)}")
    for key, value in data.items():
        want = type(defaults[key])
        ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if want is list and ok:
            ok = all(isinstance(v, str) for v in value)
        if not ok:
            raise ValueError(f"--config {path}: {key} = {value!r} must be a "
                             f"{'list of strings' if want is list else want.__name__}")
    return data


def load_model(name_or_path: str | None) -> BeatClassifier:
    """Return a pretrained model by name (default mitbih-all) or one saved in a file."""
    from heartbeat.classifier import PRETRAINED, BeatClassifier

    if name_or_path is None or name_or_path in PRETRAINED:
        return BeatClassifier.pretrained(name_or_path)
    try:
        return BeatClassifier.load(name_or_path)
    except FileNotFoundError:
        raise ValueError(f"model {name_or_path!r} is neither a file nor a pretrained "
                         f"model ({', '.join(PRETRAINED)})") from None
