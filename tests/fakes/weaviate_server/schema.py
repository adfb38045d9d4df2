"""Collection definitions as the Weaviate server keeps them: validation and default filling."""

from __future__ import annotations

import copy
import re
from typing import Any

CLASS_NAME = re.compile(r"^[A-Z][_0-9A-Za-z]*$")
PROPERTY_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")

TEXT_TYPES = {"text", "text[]"}
DATA_TYPES = {
    "text",
    "text[]",
    "int",
    "int[]",
    "number",
    "number[]",
    "boolean",
    "boolean[]",
    "date",
    "date[]",
    "uuid",
    "uuid[]",
    "blob",
}
TOKENIZATIONS = {"word", "lowercase", "whitespace", "field", "trigram"}
DISTANCES = {"cosine", "dot", "l2-squared", "hamming", "manhattan"}
INDEX_TYPES = {"hnsw", "flat", "dynamic"}


class SchemaError(ValueError):
    """A definition Weaviate refuses with 422 Unprocessable Entity."""


# The defaults Weaviate fills in and returns from GET /v1/schema; the client parses every one.
_INVERTED_INDEX = {
    "bm25": {"b": 0.75, "k1": 1.2},
    "cleanupIntervalSeconds": 60,
    "stopwords": {"preset": "en", "additions": None, "removals": None},
    "indexNullState": False,
    "indexPropertyLength": False,
    "indexTimestamps": False,
    "usingBlockMaxWAND": True,
}
_QUANTIZERS = {
    "pq": {
        "enabled": False,
        "bitCompression": False,
        "segments": 0,
        "centroids": 256,
        "trainingLimit": 100000,
        "encoder": {"type": "kmeans", "distribution": "log-normal"},
    },
    "bq": {"enabled": False},
    "sq": {"enabled": False, "trainingLimit": 100000, "rescoreLimit": 20},
    "rq": {"enabled": False, "bits": 8, "rescoreLimit": 20},
}
_HNSW = {
    "skip": False,
    "cleanupIntervalSeconds": 300,
    "maxConnections": 32,
    "efConstruction": 128,
    "ef": -1,
    "dynamicEfMin": 100,
    "dynamicEfMax": 500,
    "dynamicEfFactor": 8,
    "vectorCacheMaxObjects": 1000000000000,
    "flatSearchCutoff": 40000,
    "distance": "cosine",
    "filterStrategy": "sweeping",
    "multivector": {"enabled": False, "aggregation": "maxSim"},
    **_QUANTIZERS,
}
_FLAT = {"distance": "cosine", "vectorCacheMaxObjects": 1000000000000, **_QUANTIZERS}
_REPLICATION = {"factor": 1, "asyncEnabled": False, "deletionStrategy": "NoAutomatedResolution"}
_SHARDING = {
    "virtualPerPhysical": 128,
    "desiredCount": 1,
    "actualCount": 1,
    "desiredVirtualCount": 128,
    "actualVirtualCount": 128,
    "key": "_id",
    "strategy": "hash",
    "function": "murmur3",
}
_MULTI_TENANCY = {"enabled": False, "autoTenantCreation": False, "autoTenantActivation": False}


def _merge(defaults: dict[str, Any], given: dict[str, Any] | None) -> dict[str, Any]:
    """Deep-merge what the client sent over the server defaults."""
    merged = copy.deepcopy(defaults)
    for key, value in (given or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _vector_index(index_type: str | None, config: dict[str, Any] | None) -> tuple[str, dict]:
    index_type = index_type or "hnsw"
    if index_type not in INDEX_TYPES:
        raise SchemaError(f"unrecognized or unsupported vectorIndexType {index_type!r}")
    if index_type == "flat":
        filled = _merge(_FLAT, config)
    elif index_type == "dynamic":
        given = dict(config or {})
        filled = {
            "distance": given.get("distance", "cosine"),
            "threshold": given.get("threshold", 10000),
            "hnsw": _merge(_HNSW, given.get("hnsw")),
            "flat": _merge(_FLAT, given.get("flat")),
        }
    else:
        filled = _merge(_HNSW, config)
    if filled["distance"] not in DISTANCES:
        raise SchemaError(f"invalid vectorIndexConfig: unsupported distance {filled['distance']!r}")
    return index_type, filled


def _property(prop: dict[str, Any], class_name: str) -> dict[str, Any]:
    name = prop.get("name", "")
    if not PROPERTY_NAME.match(name):
        raise SchemaError(f"'{name}' is not a valid property name")
    if name in {"id", "_id", "_additional"}:
        raise SchemaError(f"'{name}' is a reserved property name")
    data_type = prop.get("dataType") or []
    if len(data_type) != 1 or data_type[0] not in DATA_TYPES:
        raise SchemaError(
            f"property '{name}' of class '{class_name}': data type {data_type!r} is not "
            "supported by this server (object and cross-reference properties included)"
        )
    kind = data_type[0]
    tokenization = prop.get("tokenization")
    if kind in TEXT_TYPES:
        tokenization = tokenization or "word"
        if tokenization not in TOKENIZATIONS:
            raise SchemaError(f"tokenization '{tokenization}' is not allowed")
    elif tokenization:
        raise SchemaError(f"tokenization is not allowed for data type '{kind}'")
    searchable = prop.get("indexSearchable", kind in TEXT_TYPES)
    if searchable and kind not in TEXT_TYPES:
        raise SchemaError("`indexSearchable` is not allowed for other than text/text[] data types")
    filled: dict[str, Any] = {
        "name": name,
        "dataType": [kind],
        "description": prop.get("description"),
        "indexFilterable": prop.get("indexFilterable", kind != "blob"),
        "indexSearchable": searchable,
        "indexRangeFilters": prop.get("indexRangeFilters", False),
    }
    if tokenization:
        filled["tokenization"] = tokenization
    if prop.get("moduleConfig"):
        filled["moduleConfig"] = copy.deepcopy(prop["moduleConfig"])
    return filled


def normalise_class(given: dict[str, Any], enabled_modules: set[str]) -> dict[str, Any]:
    """Validate a POST /v1/schema body and return the class with every default filled in."""
    name = given.get("class", "")
    if not CLASS_NAME.match(name):
        raise SchemaError(f"'{name}' is not a valid class name")
    props = [_property(p, name) for p in given.get("properties") or []]
    seen: set[str] = set()
    for prop in props:
        if prop["name"].lower() in seen:
            raise SchemaError(f"class '{name}' has a duplicate property '{prop['name']}'")
        seen.add(prop["name"].lower())
    out: dict[str, Any] = {
        "class": name,
        "description": given.get("description"),
        "properties": props,
        "invertedIndexConfig": _merge(_INVERTED_INDEX, given.get("invertedIndexConfig")),
        "multiTenancyConfig": _merge(_MULTI_TENANCY, given.get("multiTenancyConfig")),
        "replicationConfig": _merge(_REPLICATION, given.get("replicationConfig")),
        "shardingConfig": _merge(_SHARDING, given.get("shardingConfig")),
    }
    if given.get("moduleConfig"):
        out["moduleConfig"] = copy.deepcopy(given["moduleConfig"])
    if given.get("vectorConfig"):
        if given.get("vectorizer") not in (None, "none") or given.get("vectorIndexConfig"):
            raise SchemaError(
                "class-level vectorizer/vectorIndexConfig cannot be combined with vectorConfig"
            )
        out["vectorConfig"] = {}
        for vector_name, spec in given["vectorConfig"].items():
            vectorizer = spec.get("vectorizer") or {"none": {}}
            if len(vectorizer) != 1:
                raise SchemaError(f"vector {vector_name!r} must name exactly one vectorizer")
            _check_module(next(iter(vectorizer)), enabled_modules)
            index_type, index_config = _vector_index(
                spec.get("vectorIndexType"), spec.get("vectorIndexConfig")
            )
            out["vectorConfig"][vector_name] = {
                "vectorizer": copy.deepcopy(vectorizer),
                "vectorIndexType": index_type,
                "vectorIndexConfig": index_config,
            }
    else:
        # The legacy single unnamed vector: what a class without vectorConfig gets.
        vectorizer = given.get("vectorizer") or "none"
        _check_module(vectorizer, enabled_modules)
        index_type, index_config = _vector_index(
            given.get("vectorIndexType"), given.get("vectorIndexConfig")
        )
        out["vectorizer"] = vectorizer
        out["vectorIndexType"] = index_type
        out["vectorIndexConfig"] = index_config
        if vectorizer != "none":
            out.setdefault("moduleConfig", {}).setdefault(vectorizer, {})
    return out


def _check_module(vectorizer: str, enabled_modules: set[str]) -> None:
    if vectorizer != "none" and vectorizer not in enabled_modules:
        raise SchemaError(f'vectorizer: no module with name "{vectorizer}" present')


def property_types(class_def: dict[str, Any]) -> dict[str, str]:
    """Property name -> its single data type, e.g. {'version': 'int'}."""
    return {p["name"]: p["dataType"][0] for p in class_def["properties"]}


def vector_names(class_def: dict[str, Any]) -> dict[str, str]:
    """Named vector -> distance metric; the legacy unnamed vector is the name ''."""
    if "vectorConfig" in class_def:
        return {
            name: spec["vectorIndexConfig"]["distance"]
            for name, spec in class_def["vectorConfig"].items()
        }
    return {"": class_def["vectorIndexConfig"]["distance"]}
