"""The boto3-shaped surface: ReportClient, pages and markers, the AWS dict shapes.

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
from .paging import (
    DEFAULT_MAX_ITEMS,
    MAX_ITEMS_LIMIT,
    MarkerCodec,
    Page,
    page_of,
)
from .shapes import (
    access_detail_from_aws,
    access_detail_to_aws,
    make_converter,
)

__all__ = [
    "DEFAULT_MAX_ITEMS",
    "DEFAULT_REUSE_WINDOW",
    "JOB_ID_LENGTH",
    "MAX_ITEMS_LIMIT",
    "MarkerCodec",
    "Page",
    "ReportClient",
    "access_detail_from_aws",
    "access_detail_to_aws",
    "iter_access_details",
    "make_converter",
    "page_of",
    "paginate_access_report",
    "parse_caller",
]
