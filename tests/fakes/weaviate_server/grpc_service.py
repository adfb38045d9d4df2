"""The fake's gRPC API: weaviate.v1.Weaviate (Search, BatchObjects, BatchDelete, Aggregate, ...)."""

from __future__ import annotations

import time
import uuid as uuid_lib
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
from weaviate.proto.v1 import (
    aggregate_pb2,
    batch_delete_pb2,
    batch_pb2,
    health_weaviate_pb2,
    search_get_pb2,
    tenants_pb2,
    weaviate_pb2_grpc,
)

from tests.fakes.weaviate_server.codec import (
    decode_properties,
    decode_vectors,
    encode_metadata,
    encode_properties,
    query_vector,
)
from tests.fakes.weaviate_server.faults import Faults, Timer
from tests.fakes.weaviate_server.filters import FilterError, compile_filter
from tests.fakes.weaviate_server.query import (
    Accept,
    Found,
    QueryError,
    Unsupported,
    allowed_ids,
    fetch,
    hybrid_search,
    keyword_search,
    target_vector,
    vector_search,
)
from tests.fakes.weaviate_server.schema import SchemaError, property_types
from tests.fakes.weaviate_server.state import Collection, Database, NotFound, ObjectError

T = TypeVar("T")

DEFAULT_LIMIT = 10  # QUERY_DEFAULTS_LIMIT
MAXIMUM_RESULTS = 10_000  # QUERY_MAXIMUM_RESULTS: caps offset + limit and one batch delete


class WeaviateService(weaviate_pb2_grpc.WeaviateServicer):
    """Answers the real client's gRPC calls from the in-memory database."""

    def __init__(self, db: Database, faults: Faults, api_key: str | None) -> None:
        self.db = db
        self.faults = faults
        self.api_key = api_key

    # --- plumbing ----------------------------------------------------------------------
    def _run(self, endpoint: str, context: grpc.ServicerContext, work: Callable[[], T]) -> T:
        if self.api_key is not None:
            metadata = dict(context.invocation_metadata())
            if metadata.get("authorization") != f"Bearer {self.api_key}":
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid api key")
        if self.faults.enter(endpoint):
            context.abort(grpc.StatusCode.UNAVAILABLE, "injected transient failure")
        with Timer(self.faults):
            try:
                return work()
            except NotFound as exc:
                context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
            except (QueryError, FilterError, ObjectError, SchemaError) as exc:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            except Unsupported as exc:
                context.abort(grpc.StatusCode.UNIMPLEMENTED, str(exc))
        raise AssertionError("unreachable: abort raises")

    def health(
        self, request: health_weaviate_pb2.WeaviateHealthCheckRequest, context: grpc.ServicerContext
    ) -> health_weaviate_pb2.WeaviateHealthCheckResponse:
        return health_weaviate_pb2.WeaviateHealthCheckResponse(
            status=health_weaviate_pb2.WeaviateHealthCheckResponse.SERVING
        )

    # --- writes ------------------------------------------------------------------------
    def BatchObjects(
        self, request: batch_pb2.BatchObjectsRequest, context: grpc.ServicerContext
    ) -> batch_pb2.BatchObjectsReply:
        def work() -> batch_pb2.BatchObjectsReply:
            start = time.perf_counter()
            errors = []
            for index, obj in enumerate(request.objects):
                if self.faults.object_arrives():
                    context.abort(grpc.StatusCode.UNAVAILABLE, "Socket closed")
                try:
                    self.db.put_object(
                        obj.collection,
                        obj.tenant,
                        obj.uuid,
                        decode_properties(obj.properties),
                        decode_vectors(obj),
                    )
                except ObjectError as exc:
                    errors.append(
                        batch_pb2.BatchObjectsReply.BatchError(index=index, error=str(exc))
                    )
            return batch_pb2.BatchObjectsReply(took=time.perf_counter() - start, errors=errors)

        return self._run("BatchObjects", context, work)

    def BatchReferences(self, request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "references are not supported by this server")

    def BatchStream(self, request_iterator: Any, context: grpc.ServicerContext) -> Any:
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "server-side batching is not supported here")

    def BatchDelete(
        self, request: batch_delete_pb2.BatchDeleteRequest, context: grpc.ServicerContext
    ) -> batch_delete_pb2.BatchDeleteReply:
        def work() -> batch_delete_pb2.BatchDeleteReply:
            start = time.perf_counter()
            if not request.HasField("filters"):
                raise QueryError("batch delete: filters are required")
            with self.db.lock:
                collection = self.db.collection(request.collection)
                shard = _shard(collection, request.tenant if request.HasField("tenant") else "")
                predicate = compile_filter(request.filters, collection.definition)
                matches = sorted(allowed_ids(shard, predicate) or ())[:MAXIMUM_RESULTS]
                if not request.dry_run:
                    for uuid in matches:
                        shard.remove(uuid)
            objects = [
                batch_delete_pb2.BatchDeleteObject(
                    uuid=uuid_lib.UUID(u).bytes, successful=not request.dry_run
                )
                for u in matches
            ]
            return batch_delete_pb2.BatchDeleteReply(
                took=time.perf_counter() - start,
                matches=len(matches),
                successful=0 if request.dry_run else len(matches),
                failed=0,
                objects=objects if request.verbose else [],
            )

        return self._run("BatchDelete", context, work)

    # --- reads -------------------------------------------------------------------------
    def Search(
        self, request: search_get_pb2.SearchRequest, context: grpc.ServicerContext
    ) -> search_get_pb2.SearchReply:
        return self._run("Search", context, lambda: self._search(request))

    def _search(self, request: search_get_pb2.SearchRequest) -> search_get_pb2.SearchReply:
        start = time.perf_counter()
        for unsupported in ("group_by", "generative", "rerank", "boost"):
            if request.HasField(unsupported):
                raise Unsupported(f"{unsupported} is not supported by this server")
        if request.autocut:
            raise Unsupported("autocut is not supported by this server")
        limit = request.limit or DEFAULT_LIMIT
        if request.offset + limit > MAXIMUM_RESULTS:
            raise QueryError(f"query maximum results exceeded: offset + limit > {MAXIMUM_RESULTS}")
        with self.db.lock:
            # One lock for the whole query: an alias swap lands before or after it, never inside.
            collection = self.db.collection(request.collection)
            shard = _shard(collection, request.tenant)
            predicate = (
                compile_filter(request.filters, collection.definition)
                if request.HasField("filters")
                else None
            )
            accept = Accept(shard, predicate)
            found = self._rank(request, collection, shard, accept, request.offset + limit)
            page = found[request.offset : request.offset + limit]
            types = property_types(collection.definition)
            wanted = _wanted_properties(request)
            meta_request = request.metadata if request.HasField("metadata") else None
            results = []
            for hit in page:
                obj = shard.objects[hit.uuid]
                results.append(
                    search_get_pb2.SearchResult(
                        properties=search_get_pb2.PropertiesResult(
                            non_ref_props=encode_properties(obj, types, wanted),
                            target_collection=collection.name,
                        ),
                        metadata=encode_metadata(
                            obj,
                            meta_request,
                            score=hit.score,
                            explain=hit.explain,
                            distance=hit.distance,
                            certainty=hit.certainty,
                        ),
                    )
                )
        return search_get_pb2.SearchReply(took=time.perf_counter() - start, results=results)

    def _rank(
        self,
        request: search_get_pb2.SearchRequest,
        collection: Collection,
        shard: Any,
        accept: Accept,
        limit: int,
    ) -> list[Found]:
        searches = ("hybrid_search", "bm25_search", "near_vector")
        if request.sort_by and any(request.HasField(field) for field in searches):
            raise Unsupported("sorting the results of a search is not supported by this server")
        if request.HasField("hybrid_search"):
            hybrid = request.hybrid_search
            name = target_vector(
                collection, list(hybrid.targets.target_vectors or hybrid.target_vectors)
            )
            source = hybrid.near_vector if hybrid.HasField("near_vector") else hybrid
            if hybrid.HasField("near_text"):
                raise Unsupported("hybrid near_text needs a vectorizer module")
            if hybrid.use_alpha_param:
                alpha = hybrid.alpha_param if hybrid.HasField("alpha_param") else 0.75
            else:
                alpha = hybrid.alpha
            return hybrid_search(
                collection,
                shard,
                query=hybrid.query,
                alpha=alpha,
                vector=query_vector(source, name),
                vector_name=name,
                properties=list(hybrid.properties),
                accept=accept,
                limit=limit,
                ranked=hybrid.fusion_type == hybrid.FUSION_TYPE_RANKED,
                max_distance=hybrid.vector_distance if hybrid.HasField("vector_distance") else None,
            )[:limit]
        if request.HasField("bm25_search"):
            bm25 = request.bm25_search
            operator = bm25.search_operator
            return keyword_search(
                collection,
                shard,
                bm25.query,
                list(bm25.properties),
                accept,
                limit,
                require_all=operator.operator == operator.OPERATOR_AND,
                minimum_match=operator.minimum_or_tokens_match,
            )
        if request.HasField("near_vector"):
            near = request.near_vector
            name = target_vector(
                collection, list(near.targets.target_vectors or near.target_vectors)
            )
            vector = query_vector(near, name)
            if vector is None:
                raise QueryError("near_vector: no vector given")
            max_distance = near.distance if near.HasField("distance") else None
            if near.HasField("certainty"):
                max_distance = (1 - near.certainty) * 2
            return vector_search(
                collection, shard, name, vector, accept, limit, max_distance=max_distance
            )
        for other in ("near_object", "near_text", "near_image", "near_audio", "near_video"):
            if request.HasField(other):
                raise Unsupported(f"{other} is not supported by this server")
        return fetch(request, collection, shard, accept.all(), limit)

    def Aggregate(
        self, request: aggregate_pb2.AggregateRequest, context: grpc.ServicerContext
    ) -> aggregate_pb2.AggregateReply:
        def work() -> aggregate_pb2.AggregateReply:
            start = time.perf_counter()
            if request.WhichOneof("search") is not None or request.aggregations:
                raise Unsupported("only objects_count and group_by aggregations are supported")
            with self.db.lock:
                collection = self.db.collection(request.collection)
                shard = _shard(collection, request.tenant)
                predicate = (
                    compile_filter(request.filters, collection.definition)
                    if request.HasField("filters")
                    else None
                )
                ids = allowed_ids(shard, predicate)
                members = list(shard.objects) if ids is None else list(ids)
                if not request.HasField("group_by"):
                    return aggregate_pb2.AggregateReply(
                        took=time.perf_counter() - start,
                        single_result=aggregate_pb2.AggregateReply.Single(
                            objects_count=len(members)
                        ),
                    )
                prop = request.group_by.property
                kind = property_types(collection.definition).get(prop)
                if kind is None:
                    raise QueryError(f"group by: no such property {prop!r}")
                values: Counter[Any] = Counter()
                for uuid in members:
                    value = shard.objects[uuid].properties.get(prop)
                    for item in value if isinstance(value, list) else [value]:
                        if item is not None:
                            values[item] += 1
            groups = [
                aggregate_pb2.AggregateReply.Group(
                    objects_count=count, grouped_by=_grouped_by(prop, kind, value)
                )
                for value, count in sorted(values.items(), key=lambda kv: (-kv[1], str(kv[0])))
            ]
            if request.HasField("limit"):
                groups = groups[: request.limit]
            return aggregate_pb2.AggregateReply(
                took=time.perf_counter() - start,
                grouped_results=aggregate_pb2.AggregateReply.Grouped(groups=groups),
            )

        return self._run("Aggregate", context, work)

    def TenantsGet(
        self, request: tenants_pb2.TenantsGetRequest, context: grpc.ServicerContext
    ) -> tenants_pb2.TenantsGetReply:
        def work() -> tenants_pb2.TenantsGetReply:
            with self.db.lock:
                collection = self.db.collection(request.collection)
                if not collection.multi_tenant:
                    raise QueryError(f"multi-tenancy is not enabled for class {collection.name}")
                names = list(request.names.values) or sorted(collection.tenants)
                tenants = [
                    tenants_pb2.Tenant(
                        name=n, activity_status=tenants_pb2.TENANT_ACTIVITY_STATUS_ACTIVE
                    )
                    for n in names
                    if n in collection.tenants
                ]
            return tenants_pb2.TenantsGetReply(took=0.0, tenants=tenants)

        return self._run("TenantsGet", context, work)


def _shard(collection: Collection, tenant: str) -> Any:
    try:
        return collection.shard(tenant)
    except ObjectError as exc:
        raise QueryError(str(exc)) from exc


def _wanted_properties(request: search_get_pb2.SearchRequest) -> list[str] | None:
    """None means every non-reference property (also when the request names none)."""
    if not request.HasField("properties") or request.properties.return_all_nonref_properties:
        return None
    return list(request.properties.non_ref_properties)


def _grouped_by(prop: str, kind: str, value: Any) -> aggregate_pb2.AggregateReply.Group.GroupedBy:
    group = aggregate_pb2.AggregateReply.Group.GroupedBy(path=[prop])
    base = kind.removesuffix("[]")
    if base == "int":
        group.int = int(value)
    elif base == "number":
        group.number = float(value)
    elif base == "boolean":
        group.boolean = bool(value)
    else:
        group.text = str(value)
    return group


def health_handler(service: WeaviateService) -> grpc.GenericRpcHandler:
    """grpc.health.v1.Health/Check with Weaviate's own message types (what the client pings)."""
    return grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health",
        {
            "Check": grpc.unary_unary_rpc_method_handler(
                service.health,
                request_deserializer=health_weaviate_pb2.WeaviateHealthCheckRequest.FromString,
                response_serializer=health_weaviate_pb2.WeaviateHealthCheckResponse.SerializeToString,
            )
        },
    )
