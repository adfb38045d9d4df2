"""Protobuf <-> Python for the fake: batch objects in, search results out (Weaviate's format)."""

from __future__ import annotations

import struct
import uuid as uuid_lib
from typing import Any

import numpy as np
from google.protobuf.json_format import MessageToDict
from weaviate.proto.v1 import base_pb2, batch_pb2, properties_pb2, search_get_pb2

from tests.fakes.weaviate_server.state import ObjectError, StoredObject


def decode_properties(props: batch_pb2.BatchObject.Properties) -> dict[str, Any]:
    """Everything a client can send for one object, as plain Python values."""
    if props.object_properties or props.object_array_properties:
        raise ObjectError("object properties are not supported by this server")
    if props.single_target_ref_props or props.multi_target_ref_props:
        raise ObjectError("cross-references are not supported by this server")
    out: dict[str, Any] = (
        MessageToDict(props.non_ref_properties) if props.HasField("non_ref_properties") else {}
    )
    for text_array in props.text_array_properties:
        out[text_array.prop_name] = list(text_array.values)
    for int_array in props.int_array_properties:
        out[int_array.prop_name] = list(int_array.values)
    for number_array in props.number_array_properties:
        raw = number_array.values_bytes
        out[number_array.prop_name] = (
            list(struct.unpack(f"<{len(raw) // 8}d", raw)) if raw else list(number_array.values)
        )
    for bool_array in props.boolean_array_properties:
        out[bool_array.prop_name] = list(bool_array.values)
    for name in props.empty_list_props:
        out[name] = []
    return out


def _floats(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def decode_vectors(obj: batch_pb2.BatchObject) -> dict[str, np.ndarray]:
    """Vector name -> vector; the legacy unnamed vector is the name ''."""
    vectors: dict[str, np.ndarray] = {}
    if obj.vector_bytes:
        vectors[""] = _floats(obj.vector_bytes)
    elif len(obj.vector):
        vectors[""] = np.asarray(obj.vector, dtype=np.float32)
    for named in obj.vectors:
        if named.type == base_pb2.Vectors.VECTOR_TYPE_MULTI_FP32:
            raise ObjectError("multi-vectors are not supported by this server")
        vectors[named.name] = _floats(named.vector_bytes)
    return vectors


def query_vector(message: Any, name: str) -> np.ndarray | None:
    """The query vector of a NearVector or Hybrid message, in any of the client's encodings."""
    if message.vector_bytes:
        return _floats(message.vector_bytes)
    if len(message.vector):
        return np.asarray(message.vector, dtype=np.float32)
    for named in message.vectors:
        if named.type == base_pb2.Vectors.VECTOR_TYPE_MULTI_FP32:
            raise ObjectError("multi-vector queries are not supported by this server")
        return _floats(named.vector_bytes)
    for target in getattr(message, "vector_for_targets", []):
        if target.name == name:
            if target.vector_bytes:
                return _floats(target.vector_bytes)
            for named in target.vectors:
                return _floats(named.vector_bytes)
    per_target = getattr(message, "vector_per_target", {})
    if name in per_target:
        return _floats(per_target[name])
    return None


def _value(kind: str, value: Any) -> properties_pb2.Value:
    if kind.endswith("[]"):
        base = kind[:-2]
        if base == "text":
            lst = properties_pb2.ListValue(text_values=properties_pb2.TextValues(values=value))
        elif base == "int":
            packed = struct.pack(f"<{len(value)}q", *value)
            lst = properties_pb2.ListValue(int_values=properties_pb2.IntValues(values=packed))
        elif base == "number":
            packed = struct.pack(f"<{len(value)}d", *value)
            lst = properties_pb2.ListValue(number_values=properties_pb2.NumberValues(values=packed))
        elif base == "boolean":
            lst = properties_pb2.ListValue(bool_values=properties_pb2.BoolValues(values=value))
        elif base == "date":
            lst = properties_pb2.ListValue(date_values=properties_pb2.DateValues(values=value))
        else:
            lst = properties_pb2.ListValue(uuid_values=properties_pb2.UuidValues(values=value))
        return properties_pb2.Value(list_value=lst)
    if kind == "text":
        return properties_pb2.Value(text_value=value)
    if kind == "int":
        return properties_pb2.Value(int_value=value)
    if kind == "number":
        return properties_pb2.Value(number_value=value)
    if kind == "boolean":
        return properties_pb2.Value(bool_value=value)
    if kind == "date":
        return properties_pb2.Value(date_value=value)
    if kind == "uuid":
        return properties_pb2.Value(uuid_value=value)
    return properties_pb2.Value(blob_value=value)


def encode_properties(
    obj: StoredObject, types: dict[str, str], wanted: list[str] | None
) -> properties_pb2.Properties:
    names = list(types) if wanted is None else [n for n in wanted if n in types]
    return properties_pb2.Properties(
        fields={n: _value(types[n], obj.properties[n]) for n in names if n in obj.properties}
    )


def _vector_bytes(vector: np.ndarray) -> bytes:
    return vector.astype("<f4").tobytes()


def encode_metadata(
    obj: StoredObject,
    request: search_get_pb2.MetadataRequest | None,
    *,
    score: float | None = None,
    explain: str | None = None,
    distance: float | None = None,
    certainty: float | None = None,
) -> search_get_pb2.MetadataResult:
    """The id always; everything else only when the request asked for it (as Weaviate does)."""
    meta = search_get_pb2.MetadataResult(id=obj.uuid, id_as_bytes=uuid_lib.UUID(obj.uuid).bytes)
    if request is None:
        return meta
    if request.creation_time_unix:
        meta.creation_time_unix, meta.creation_time_unix_present = obj.created_ms, True
    if request.last_update_time_unix:
        meta.last_update_time_unix, meta.last_update_time_unix_present = obj.updated_ms, True
    if request.score and score is not None:
        meta.score, meta.score_present = score, True
    if request.explain_score and explain is not None:
        meta.explain_score, meta.explain_score_present = explain, True
    if request.distance and distance is not None:
        meta.distance, meta.distance_present = distance, True
    if request.certainty and certainty is not None:
        meta.certainty, meta.certainty_present = certainty, True
    names = set(request.vectors)
    for name, vector in obj.vectors.items():
        if name == "" and request.vector:
            meta.vector_bytes = _vector_bytes(vector)
        elif name and (request.vector or name in names):
            meta.vectors.append(
                base_pb2.Vectors(
                    name=name,
                    vector_bytes=_vector_bytes(vector),
                    type=base_pb2.Vectors.VECTOR_TYPE_SINGLE_FP32,
                )
            )
    return meta
