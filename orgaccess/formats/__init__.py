"""Files in and out: organization snapshots, CloudTrail logs, aggregated rows, read_activity.

This package only re-exports; each name lives in the module named in its import.
"""

from .activity import (
    ActivityLoad,
    is_rows_file,
    read_activity,
)
from .cloudtrail import (
    CHUNK_CHARS,
    EVENT_SOURCE_NAMESPACES,
    CloudTrailIngest,
    IngestSummary,
    SkipReason,
    namespace_for_event_source,
    read_cloudtrail,
)
from .jsonfile import (
    read_json_file,
)
from .rows import (
    ROW_COLUMNS,
    ROW_SUFFIXES,
    RowsResult,
    read_aggregated_rows,
)
from .snapshot import (
    EXAMPLE_ORGANIZATION_RESOURCE,
    MAX_SNAPSHOT_BYTES,
    POLICY_TYPE_STATUSES,
    SCP_ENABLED_STATUS,
    dump_organization,
    example_organization,
    example_snapshot,
    load_organization,
    to_snapshot,
)
from .sql import DIALECTS, Dialect, aggregation_sql
from .store import (
    SCHEMA_VERSION,
    STORE_APPLICATION_ID,
    ActivityStore,
    FileChange,
    StoredFile,
    StoreInfo,
    StoreIngest,
    StoreLoad,
    StorePrune,
)

__all__ = [
    "ActivityLoad",
    "ActivityStore",
    "CHUNK_CHARS",
    "CloudTrailIngest",
    "DIALECTS",
    "Dialect",
    "EVENT_SOURCE_NAMESPACES",
    "EXAMPLE_ORGANIZATION_RESOURCE",
    "FileChange",
    "IngestSummary",
    "MAX_SNAPSHOT_BYTES",
    "POLICY_TYPE_STATUSES",
    "ROW_COLUMNS",
    "ROW_SUFFIXES",
    "RowsResult",
    "SCHEMA_VERSION",
    "SCP_ENABLED_STATUS",
    "STORE_APPLICATION_ID",
    "SkipReason",
    "aggregation_sql",
    "StoreInfo",
    "StoreIngest",
    "StoreLoad",
    "StorePrune",
    "StoredFile",
    "dump_organization",
    "example_organization",
    "example_snapshot",
    "is_rows_file",
    "load_organization",
    "namespace_for_event_source",
    "read_activity",
    "read_aggregated_rows",
    "read_cloudtrail",
    "read_json_file",
    "to_snapshot",
]
