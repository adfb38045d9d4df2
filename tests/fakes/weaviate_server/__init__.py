"""An in-process Weaviate for tests: the real weaviate-client talks to it over REST and gRPC.

Supported: /v1/meta, readiness/liveness, schema create/get/list/delete with the server's
defaults filled in, tenants (create/get/list, auto-creation), aliases (create/get/list/update/
delete, followed by object operations), gRPC BatchObjects (per-object errors: unknown property,
wrong type, wrong vector length, unknown collection or tenant), Search (fetch with filters/sort/
cursor, bm25, near_vector, hybrid with relative-score or ranked fusion and Weaviate's explain
strings, metadata score/explain_score/distance/certainty/vectors/timestamps), BatchDelete,
Aggregate (objects_count, group_by), TenantsGet and the gRPC health check. Filters: Equal,
NotEqual, comparisons, Like, ContainsAny/All/None, IsNull, And/Or/Not on properties and _id.

Not supported (answered UNIMPLEMENTED or 422 rather than answered wrongly): vectorizer modules,
near_text/near_object/media, generative, rerank, group_by in search, autocut, cross-references,
object properties, multi-vectors, aggregations other than counts, GraphQL, REST object CRUD.
Rankings follow Weaviate's formulas (BM25 per property summed, exact kNN) but not its exact
numbers.
"""

from tests.fakes.weaviate_server.faults import Faults
from tests.fakes.weaviate_server.server import DEFAULT_VERSION, Endpoint, FakeWeaviateServer

__all__ = ["DEFAULT_VERSION", "Endpoint", "FakeWeaviateServer", "Faults"]
