"""Where-filters for the fake: compile a gRPC `Filters` message into a predicate over objects."""

from __future__ import annotations

import fnmatch
import operator
from collections.abc import Callable
from datetime import datetime
from typing import Any

from weaviate.proto.v1 import base_pb2

from tests.fakes.weaviate_server.keyword_index import tokenize

Predicate = Callable[[str, dict[str, Any], dict[Any, Any]], bool]
"""(uuid, properties, the object's scratch cache) -> whether the object passes."""

Op = base_pb2.Filters


class FilterError(ValueError):
    """A filter Weaviate refuses (unknown property, wrong value type, unsupported operator)."""


def parse_date(value: str) -> datetime:
    """RFC 3339 -> aware datetime (Weaviate's date format; Z or an offset)."""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise FilterError(f"invalid date {value!r}: not RFC 3339") from exc


def _value(flt: base_pb2.Filters) -> tuple[str, Any]:
    which = flt.WhichOneof("test_value")
    if which is None:
        raise FilterError("filter has no value")
    raw = getattr(flt, which)
    if which.endswith("_array"):
        return which, list(raw.values)
    return which, raw


def _path(flt: base_pb2.Filters) -> str:
    if flt.HasField("target"):
        which = flt.target.WhichOneof("target")
        if which != "property":
            raise FilterError(f"filters on references ({which}) are not supported by this server")
        return flt.target.property
    if len(flt.on) == 1:
        return flt.on[0]
    raise FilterError("filter has no property path")


_ALLOWED = {
    "text": {"value_text", "value_text_array"},
    "int": {"value_int", "value_int_array"},
    "number": {"value_number", "value_number_array"},
    "boolean": {"value_boolean", "value_boolean_array"},
    "date": {"value_text", "value_text_array"},
    "uuid": {"value_text", "value_text_array"},
}


def compile_filter(flt: base_pb2.Filters, class_def: dict[str, Any]) -> Predicate:
    """Validate a filter against the class schema and return a predicate."""
    op = flt.operator
    if op in (Op.OPERATOR_AND, Op.OPERATOR_OR):
        children = [compile_filter(child, class_def) for child in flt.filters]
        combine = all if op == Op.OPERATOR_AND else any
        return lambda uuid, props, cache: combine(child(uuid, props, cache) for child in children)
    if op == Op.OPERATOR_NOT:
        if len(flt.filters) != 1:
            raise FilterError("a Not filter takes exactly one operand")
        inner = compile_filter(flt.filters[0], class_def)
        return lambda uuid, props, cache: not inner(uuid, props, cache)

    path = _path(flt)
    class_name = class_def["class"]
    spec: dict[str, Any] | None
    if path == "_id":
        kind, spec = "uuid", {"tokenization": "field", "indexFilterable": True}
    else:
        spec = next((p for p in class_def["properties"] if p["name"] == path), None)
        if spec is None:
            raise FilterError(
                f"no such prop with name '{path}' found in class '{class_name}' in the schema. "
                "Check your schema files for which properties in this class are available"
            )
        kind = spec["dataType"][0]
    if op == Op.OPERATOR_IS_NULL:
        if not class_def["invertedIndexConfig"].get("indexNullState"):
            raise FilterError(
                "Nullstate must be indexed to be filterable! "
                "add `indexNullState: true` to the invertedIndexConfig"
            )
        want_null = bool(flt.value_boolean)
        return lambda uuid, props, cache: (props.get(path) in (None, [])) == want_null
    if not spec.get("indexFilterable", True):
        raise FilterError(
            f"Filtering by property '{path}' requires inverted index. Is `indexFilterable` "
            f"option of property '{path}' enabled? Set it to `true` or leave empty"
        )
    which, raw = _value(flt)
    base_kind = kind.removesuffix("[]")
    if base_kind not in _ALLOWED or which not in _ALLOWED[base_kind]:
        raise FilterError(f'data type filter cannot use "{which}" on type "{kind}"')
    return _leaf(op, path, base_kind, spec.get("tokenization"), raw)


_ORDER: dict[int, Callable[[Any, Any], bool]] = {
    Op.OPERATOR_GREATER_THAN: operator.gt,
    Op.OPERATOR_GREATER_THAN_EQUAL: operator.ge,
    Op.OPERATOR_LESS_THAN: operator.lt,
    Op.OPERATOR_LESS_THAN_EQUAL: operator.le,
}
_COMPARISONS = {
    Op.OPERATOR_EQUAL,
    Op.OPERATOR_NOT_EQUAL,
    Op.OPERATOR_CONTAINS_ANY,
    Op.OPERATOR_CONTAINS_ALL,
    Op.OPERATOR_CONTAINS_NONE,
    Op.OPERATOR_GREATER_THAN,
    Op.OPERATOR_GREATER_THAN_EQUAL,
    Op.OPERATOR_LESS_THAN,
    Op.OPERATOR_LESS_THAN_EQUAL,
}


def _leaf(op: int, path: str, kind: str, tokenization: str | None, raw: Any) -> Predicate:
    like_on_text = op == Op.OPERATOR_LIKE and kind == "text"
    if op not in _COMPARISONS and not like_on_text:
        raise FilterError(f"operator {Op.Operator.Name(op)} is not supported on type {kind}")
    values = raw if isinstance(raw, list) else [raw]
    if kind == "date":
        values = [parse_date(v) for v in values]

    def stored(uuid: str, props: dict[str, Any]) -> list[Any]:
        value = uuid if path == "_id" else props.get(path)
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        return [parse_date(v) for v in items] if kind == "date" else items

    if kind == "text" and tokenization is not None:
        return _text_leaf(op, path, tokenization, values, stored)

    def holds(uuid: str, props: dict[str, Any], cache: dict[Any, Any]) -> bool:
        items = stored(uuid, props)
        if op == Op.OPERATOR_EQUAL:
            return values[0] in items
        if op == Op.OPERATOR_NOT_EQUAL:
            return values[0] not in items
        if op == Op.OPERATOR_CONTAINS_ANY:
            return any(v in items for v in values)
        if op == Op.OPERATOR_CONTAINS_ALL:
            return all(v in items for v in values)
        if op == Op.OPERATOR_CONTAINS_NONE:
            return not any(v in items for v in values)
        order = _ORDER.get(op)
        if order is None:
            raise FilterError(f"operator {Op.Operator.Name(op)} is not supported on {kind}")
        return any(order(item, values[0]) for item in items)

    return holds


def _text_leaf(
    op: int,
    path: str,
    tokenization: str,
    values: list[Any],
    stored: Callable[[str, dict], list[Any]],
) -> Predicate:
    """Text filters match on tokens of the property's tokenization, as Weaviate's do."""
    wanted = [tokenize(str(v), tokenization) for v in values]

    def contains(tokens: set[str], want: list[str]) -> bool:
        return bool(want) and all(t in tokens for t in want)

    single_tokens = {w[0] for w in wanted if len(w) == 1}
    all_single = len(single_tokens) == len(wanted)

    def holds(uuid: str, props: dict[str, Any], cache: dict[Any, Any]) -> bool:
        items = [str(i) for i in stored(uuid, props)]
        key = (path, tokenization)
        tokens = cache.get(key)
        if tokens is None:  # tokens of a stored value never change: compute them once
            tokens = cache[key] = {t for item in items for t in tokenize(item, tokenization)}
        if op == Op.OPERATOR_CONTAINS_ANY and all_single:  # the common case, kept cheap
            return not tokens.isdisjoint(single_tokens)
        if op == Op.OPERATOR_EQUAL:
            return contains(tokens, wanted[0])
        if op == Op.OPERATOR_NOT_EQUAL:
            return not contains(tokens, wanted[0])
        if op == Op.OPERATOR_CONTAINS_ANY:
            return any(contains(tokens, w) for w in wanted)
        if op == Op.OPERATOR_CONTAINS_ALL:
            return all(contains(tokens, w) for w in wanted)
        if op == Op.OPERATOR_CONTAINS_NONE:
            return not any(contains(tokens, w) for w in wanted)
        if op == Op.OPERATOR_LIKE:
            pattern = str(values[0]) if tokenization == "field" else str(values[0]).lower()
            return any(fnmatch.fnmatchcase(t, pattern) for t in tokens)
        order = _ORDER.get(op)
        if order is None:
            raise FilterError(f"operator {Op.Operator.Name(op)} is not supported on text")
        return any(order(item, values[0]) for item in items)

    return holds
