"""The fake's data: collections, aliases, tenants and objects in memory, behind one lock."""

from __future__ import annotations

import threading
import time
import uuid as uuid_lib
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import numpy as np

from tests.fakes.weaviate_server.filters import FilterError, parse_date
from tests.fakes.weaviate_server.keyword_index import KeywordIndex, tokens_of
from tests.fakes.weaviate_server.schema import (
    SchemaError,
    normalise_class,
    property_types,
    vector_names,
)


class NotFound(LookupError):
    """A collection, alias or tenant that does not exist."""


class ObjectError(ValueError):
    """One object of a batch that Weaviate refuses; the rest of the batch still goes in."""


@dataclass
class StoredObject:
    uuid: str
    properties: dict[str, Any]
    vectors: dict[str, np.ndarray]
    created_ms: int
    updated_ms: int
    cache: dict[Any, Any] = field(default_factory=dict)
    """Derived data (filter tokens); a replaced object is a new StoredObject, so never stale."""


@dataclass
class Shard:
    """The objects of one collection (and one tenant, with multi-tenancy)."""

    objects: dict[str, StoredObject] = field(default_factory=dict)
    keyword: KeywordIndex = field(default_factory=KeywordIndex)
    tokens: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    dimensions: dict[str, int] = field(default_factory=dict)
    _matrices: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = field(default_factory=dict)

    def put(self, obj: StoredObject, searchable: dict[str, str]) -> None:
        if obj.uuid in self.objects:
            obj.created_ms = self.objects[obj.uuid].created_ms
            self.remove(obj.uuid)
        self.objects[obj.uuid] = obj
        indexed = {p: tokens_of(obj.properties.get(p), tok) for p, tok in searchable.items()}
        self.tokens[obj.uuid] = indexed
        for prop, tokens in indexed.items():
            self.keyword.add(obj.uuid, prop, tokens)
        self._matrices.clear()

    def remove(self, uuid: str) -> bool:
        if self.objects.pop(uuid, None) is None:
            return False
        for prop, tokens in self.tokens.pop(uuid, {}).items():
            self.keyword.remove(uuid, prop, tokens)
        self._matrices.clear()
        return True

    def matrix(self, name: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """uuids, their stacked vectors and the vectors' norms for one vector name (cached
        until the next write)."""
        if name not in self._matrices:
            # uuid order, so a stable sort by distance breaks ties by uuid (deterministic).
            ids = sorted(u for u, o in self.objects.items() if name in o.vectors)
            dim = self.dimensions.get(name, 0)
            stacked = (
                np.stack([self.objects[u].vectors[name] for u in ids])
                if ids
                else np.zeros((0, dim), dtype=np.float32)
            )
            self._matrices[name] = (ids, stacked, np.linalg.norm(stacked, axis=1))
        return self._matrices[name]


@dataclass
class Collection:
    definition: dict[str, Any]
    shards: dict[str, Shard] = field(default_factory=dict)
    tenants: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.definition["class"])

    @property
    def multi_tenant(self) -> bool:
        return bool(self.definition["multiTenancyConfig"]["enabled"])

    def searchable(self) -> dict[str, str]:
        """Searchable text properties -> their tokenization."""
        return {
            p["name"]: p["tokenization"]
            for p in self.definition["properties"]
            if p["indexSearchable"] and p["dataType"][0] in ("text", "text[]")
        }

    def shard(self, tenant: str, *, create: bool = False) -> Shard:
        if not self.multi_tenant:
            if tenant:
                raise ObjectError(
                    f"class {self.name} has multi-tenancy disabled, but request was with tenant"
                )
            return self.shards.setdefault("", Shard())
        if not tenant:
            raise ObjectError(
                f"class {self.name} has multi-tenancy enabled, but request was without tenant"
            )
        if tenant not in self.tenants:
            auto = self.definition["multiTenancyConfig"].get("autoTenantCreation")
            if not (create and auto):
                raise ObjectError(f'tenant not found: "{tenant}"')
            self.tenants[tenant] = "ACTIVE"
        return self.shards.setdefault(tenant, Shard())


class Database:
    """Everything the fake server stores. Every access holds `lock`."""

    def __init__(self, enabled_modules: set[str]) -> None:
        self.lock = threading.RLock()
        self.enabled_modules = enabled_modules
        self.collections: dict[str, Collection] = {}
        self.aliases: dict[str, str] = {}

    # --- schema ------------------------------------------------------------------------
    def create_collection(self, body: dict[str, Any]) -> dict[str, Any]:
        definition = normalise_class(body, self.enabled_modules)
        name = definition["class"]
        with self.lock:
            if name.lower() in {n.lower() for n in self.collections}:
                raise SchemaError(f"class name {name} already exists")
            if name in self.aliases:
                raise SchemaError(f"class name {name} already used as an alias")
            self.collections[name] = Collection(definition)
        return definition

    def drop_collection(self, name: str) -> None:
        with self.lock:
            self.collections.pop(name, None)
            # An alias cannot outlive its target collection.
            for alias in [a for a, target in self.aliases.items() if target == name]:
                del self.aliases[alias]

    def collection(self, name: str, *, follow_alias: bool = True) -> Collection:
        """A collection by name, or by alias for object operations (as Weaviate routes them)."""
        with self.lock:
            if follow_alias and name in self.aliases:
                name = self.aliases[name]
            if name not in self.collections:
                raise NotFound(f"could not find class {name} in schema")
            return self.collections[name]

    # --- aliases -----------------------------------------------------------------------
    def create_alias(self, alias: str, target: str) -> None:
        with self.lock:
            if alias in self.aliases:
                raise SchemaError(f"alias {alias} already exists")
            if alias in self.collections:
                raise SchemaError(f"create alias: class {alias} already exists")
            if target not in self.collections:
                raise SchemaError(f"create alias: class {target} does not exist")
            self.aliases[alias] = target

    def replace_alias(self, alias: str, target: str) -> None:
        with self.lock:
            if alias not in self.aliases:
                raise NotFound(f"alias {alias} not found")
            if target not in self.collections:
                raise SchemaError(f"replace alias: class {target} does not exist")
            self.aliases[alias] = target

    # --- objects -----------------------------------------------------------------------
    def put_object(
        self,
        collection_name: str,
        tenant: str,
        uuid: str,
        properties: dict[str, Any],
        vectors: dict[str, np.ndarray],
    ) -> None:
        """Insert or replace one object (batch semantics: the whole object is replaced)."""
        with self.lock:
            try:
                collection = self.collection(collection_name)
            except NotFound as exc:
                raise ObjectError(str(exc)) from exc
            try:
                key = str(uuid_lib.UUID(uuid))
            except ValueError as exc:
                raise ObjectError(f"invalid UUID {uuid!r}") from exc
            shard = collection.shard(tenant, create=True)
            clean = coerce_properties(properties, collection.definition)
            checked = _check_vectors(vectors, collection, shard)
            now = int(time.time() * 1000)
            shard.put(StoredObject(key, clean, checked, now, now), collection.searchable())
            for name, vector in checked.items():
                shard.dimensions.setdefault(name, len(vector))


def _check_vectors(
    vectors: dict[str, np.ndarray], collection: Collection, shard: Shard
) -> dict[str, np.ndarray]:
    configured = vector_names(collection.definition)
    checked: dict[str, np.ndarray] = {}
    for name, vector in vectors.items():
        if len(vector) == 0:
            continue
        if name == "" and "" not in configured:
            # An unnamed vector goes to the collection's only named vector (as in Weaviate);
            # with several named vectors it is ambiguous.
            if len(configured) != 1:
                raise ObjectError(
                    f"collection {collection.name} has several named vectors; "
                    f"name one of {sorted(configured)}"
                )
            name = next(iter(configured))
        if name not in configured:
            raise ObjectError(
                f"collection {collection.name} does not have configuration for vector {name}"
            )
        expected = shard.dimensions.get(name)
        if expected is not None and expected != len(vector):
            raise ObjectError(
                f"insert vector {name or 'default'}: new node has a vector with length "
                f"{len(vector)}. Existing nodes have vectors with length {expected}"
            )
        checked[name] = vector
    return checked


def _normalise_date(value: Any, name: str, class_name: str) -> str:
    if not isinstance(value, str):
        raise ObjectError(f"invalid date property '{name}' on class '{class_name}': not a string")
    try:
        parsed = parse_date(value)
    except FilterError as exc:
        raise ObjectError(
            f"invalid date property '{name}' on class '{class_name}': requires a string with "
            f"a RFC3339 formatted date, but the given value is '{value}'"
        ) from exc
    return parsed.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _scalar(kind: str, value: Any, name: str, class_name: str) -> Any:
    def refuse() -> ObjectError:
        return ObjectError(
            f"invalid {kind} property '{name}' on class '{class_name}': "
            f"requires {kind}, got {type(value).__name__}"
        )

    if kind in ("text", "blob"):
        if not isinstance(value, str):
            raise refuse()
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise refuse()
        return int(value)
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise refuse()
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise refuse()
        return value
    if kind == "date":
        return _normalise_date(value, name, class_name)
    if kind == "uuid":
        try:
            return str(uuid_lib.UUID(str(value)))
        except ValueError as exc:
            raise refuse() from exc
    raise refuse()


def coerce_properties(properties: dict[str, Any], definition: dict[str, Any]) -> dict[str, Any]:
    """Check each value against the declared data type (auto-schema is off: no new props)."""
    types = property_types(definition)
    class_name = definition["class"]
    clean: dict[str, Any] = {}
    for name, value in properties.items():
        if name not in types:
            raise ObjectError(
                f"no such prop with name '{name}' found in class '{class_name}' in the schema. "
                "Check your schema files for which properties in this class are available"
            )
        if value is None:
            continue
        kind = types[name]
        if kind.endswith("[]"):
            if not isinstance(value, list):
                raise ObjectError(
                    f"invalid {kind} property '{name}' on class '{class_name}': not a list"
                )
            clean[name] = [_scalar(kind[:-2], item, name, class_name) for item in value]
        else:
            clean[name] = _scalar(kind, value, name, class_name)
    return clean
