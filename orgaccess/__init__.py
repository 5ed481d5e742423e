"""orgaccess: a model of the AWS IAM Organizations access report.

The package only re-exports; each name lives in its own module.
"""

from .activity_input import read_activity
from .catalog import AWS_REPORT_SERVICE_NAMES, Service, ServiceCatalog, default_catalog
from .client import ReportClient, iter_access_details, paginate_access_report
from .cloudtrail import read_cloudtrail
from .errors import (
    OrgAccessError,
    PolicyDocumentError,
    ServiceError,
    SnapshotError,
    UnknownEntityError,
    UnknownPolicyError,
    UnknownServiceError,
)
from .evaluation import Evaluator, Explanation
from .events import AccessEvent, ActivityIndex
from .ids import (
    AccountId,
    EntityKind,
    EntityPath,
    OrganizationId,
    OuId,
    PolicyId,
    RootId,
)
from .organization import (
    Account,
    Organization,
    OrganizationalUnit,
    OrganizationBuilder,
    Policy,
    Root,
)
from .paging import SortKey, sort_details
from .policy import PolicyDocument, parse_policy_document
from .report import (
    AccessDetail,
    PolicyScope,
    Report,
    ReportFailedError,
    ReportOptions,
    build_report,
)
from .rows import read_aggregated_rows
from .snapshot import dump_organization, example_organization, load_organization, to_snapshot

__version__ = "0.1.0"

__all__ = [
    "AWS_REPORT_SERVICE_NAMES",
    "AccessDetail",
    "AccessEvent",
    "Account",
    "AccountId",
    "ActivityIndex",
    "EntityKind",
    "EntityPath",
    "Evaluator",
    "Explanation",
    "OrgAccessError",
    "Organization",
    "OrganizationBuilder",
    "OrganizationId",
    "OrganizationalUnit",
    "OuId",
    "Policy",
    "PolicyDocument",
    "PolicyDocumentError",
    "PolicyId",
    "PolicyScope",
    "Report",
    "ReportClient",
    "ReportFailedError",
    "ReportOptions",
    "Root",
    "RootId",
    "Service",
    "ServiceCatalog",
    "ServiceError",
    "SnapshotError",
    "SortKey",
    "UnknownEntityError",
    "UnknownPolicyError",
    "UnknownServiceError",
    "__version__",
    "build_report",
    "default_catalog",
    "dump_organization",
    "example_organization",
    "iter_access_details",
    "load_organization",
    "paginate_access_report",
    "parse_policy_document",
    "read_activity",
    "read_aggregated_rows",
    "read_cloudtrail",
    "sort_details",
    "to_snapshot",
]
