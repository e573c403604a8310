"""Lossless conversion between the model's dataclasses and JSON-compatible values.

One generic codec driven by the dataclasses' type hints, so a field added to the model is saved
and loaded without touching this file. Floats keep their exact value (JSON text of a Python float
is its shortest round-tripping repr); NaN and infinities are written as JSON's common extension.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin

T = TypeVar("T")


class DecodeError(ValueError):
    """A value does not have the shape its field's type asks for."""


def encode(value: Any) -> Any:
    """Turn a model value (dataclass, enum, datetime, set, dict, list, scalar) into JSON data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; the model uses UTC-aware ones")
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(encode(item) for item in value)
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    return value


def decode(cls: type[T], data: Any) -> T:
    """Build an instance of dataclass ``cls`` from :func:`encode`'s output."""
    result: T = _decode(cls, data, cls.__name__)
    return result


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(tp: Any, data: Any, where: str) -> Any:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        return _decode_union(tp, data, where)
    if origin in (list, set, frozenset, tuple):
        if not isinstance(data, list):
            raise DecodeError(f"{where}: expected a list")
        (item_type, *_) = get_args(tp)
        items = [_decode(item_type, item, f"{where}[{i}]") for i, item in enumerate(data)]
        return origin(items)
    if origin is dict:
        if not isinstance(data, dict):
            raise DecodeError(f"{where}: expected an object")
        _, value_type = get_args(tp)
        return {k: _decode(value_type, v, f"{where}.{k}") for k, v in data.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise DecodeError(f"{where}: expected an object")
        cls: Any = tp  # keep mypy from narrowing to a non-hashable protocol
        hints = _hints(cls)
        kwargs = {
            f.name: _decode(hints[f.name], data[f.name], f"{where}.{f.name}")
            for f in dataclasses.fields(tp)
            if f.name in data
        }
        try:
            return cls(**kwargs)
        except TypeError as exc:  # a required field is missing
            raise DecodeError(f"{where}: {exc}") from None
    return _decode_scalar(tp, data, where)


def _decode_union(tp: Any, data: Any, where: str) -> Any:
    options = get_args(tp)
    if data is None:
        if type(None) in options:
            return None
        raise DecodeError(f"{where}: unexpected null")
    # Scalar unions (str | int | float | bool) keep the JSON type that was written.
    for option in options:
        if option is type(None):
            continue
        if option in (str, int, float, bool) and type(data) is option:
            return data
    errors = []
    for option in options:
        if option is type(None):
            continue
        try:
            return _decode(option, data, where)
        except DecodeError as exc:
            errors.append(str(exc))
    raise DecodeError(errors[0] if errors else f"{where}: no matching type")


def _decode_scalar(tp: Any, data: Any, where: str) -> Any:
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(data)
        except ValueError:
            raise DecodeError(f"{where}: unknown value {data!r}") from None
    if tp is datetime:
        if not isinstance(data, str):
            raise DecodeError(f"{where}: expected an ISO 8601 time")
        try:
            parsed = datetime.fromisoformat(data)
        except ValueError:
            raise DecodeError(f"{where}: not an ISO 8601 time: {data!r}") from None
        if parsed.tzinfo is None:
            raise DecodeError(f"{where}: time without a timezone")
        return parsed
    if tp is float:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return float(data)
        raise DecodeError(f"{where}: expected a number")
    if tp in (str, int, bool):
        if type(data) is tp:
            return data
        raise DecodeError(f"{where}: expected {tp.__name__}")
    if tp is Any:
        return data
    raise DecodeError(f"{where}: cannot decode type {tp!r}")
