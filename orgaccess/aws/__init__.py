"""The boto3-shaped surface: ReportClient, pages, markers, paginator, waiter, mock, server.

This package only re-exports; each name lives in the module named in its import.
"""

from .client import (
    DEFAULT_REUSE_WINDOW,
    JOB_ID_LENGTH,
    ReportClient,
    iter_access_details,
    paginate_access_report,
    parse_caller,
)
from .mock import (
    Attachment,
    attach,
    mock_iam,
)
from .organizations import (
    SNAPSHOT_OPERATIONS,
    organizations_client,
    read_snapshot,
)
from .paginate import (
    NON_AGGREGATE_KEYS,
    PageIterator,
    Paginator,
)
from .paging import (
    DEFAULT_MAX_ITEMS,
    MAX_ITEMS_LIMIT,
    MarkerCodec,
    Page,
    page_of,
)
from .query import (
    API_VERSION,
    IAM_XMLNS,
    OPERATIONS,
    QueryResponse,
    error_response,
    handle,
    new_request_id,
)
from .server import (
    DEFAULT_MAX_BODY,
    Principal,
    QueryApp,
    is_loopback,
    load_principals,
    make_server,
)
from .shapes import (
    access_detail_from_aws,
    access_detail_to_aws,
    make_converter,
)
from .waiter import (
    DEFAULT_DELAY,
    DEFAULT_MAX_ATTEMPTS,
    WAITER_NAME,
    Waiter,
    waiter_error,
)

__all__ = [
    "API_VERSION",
    "Attachment",
    "DEFAULT_DELAY",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_MAX_BODY",
    "DEFAULT_MAX_ITEMS",
    "DEFAULT_REUSE_WINDOW",
    "IAM_XMLNS",
    "JOB_ID_LENGTH",
    "MAX_ITEMS_LIMIT",
    "MarkerCodec",
    "NON_AGGREGATE_KEYS",
    "OPERATIONS",
    "Page",
    "PageIterator",
    "Paginator",
    "Principal",
    "QueryApp",
    "QueryResponse",
    "ReportClient",
    "SNAPSHOT_OPERATIONS",
    "WAITER_NAME",
    "Waiter",
    "access_detail_from_aws",
    "access_detail_to_aws",
    "attach",
    "error_response",
    "handle",
    "is_loopback",
    "iter_access_details",
    "load_principals",
    "make_converter",
    "make_server",
    "mock_iam",
    "new_request_id",
    "organizations_client",
    "page_of",
    "paginate_access_report",
    "parse_caller",
    "read_snapshot",
    "waiter_error",
]
