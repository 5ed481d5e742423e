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

__all__ = [
    "ActivityLoad",
    "CHUNK_CHARS",
    "CloudTrailIngest",
    "EVENT_SOURCE_NAMESPACES",
    "EXAMPLE_ORGANIZATION_RESOURCE",
    "IngestSummary",
    "MAX_SNAPSHOT_BYTES",
    "POLICY_TYPE_STATUSES",
    "ROW_COLUMNS",
    "ROW_SUFFIXES",
    "RowsResult",
    "SCP_ENABLED_STATUS",
    "SkipReason",
    "dump_organization",
    "example_organization",
    "example_snapshot",
    "is_rows_file",
    "load_organization",
    "namespace_for_event_source",
    "read_activity",
    "read_aggregated_rows",
    "read_cloudtrail",
    "to_snapshot",
]
