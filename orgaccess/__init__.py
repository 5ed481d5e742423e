"""orgaccess: a model of the AWS IAM Organizations access report.

The package only re-exports; each name lives in its own module.
"""

from .aws.client import ReportClient, iter_access_details, paginate_access_report
from .aws.mock import attach, mock_iam
from .aws.shapes import access_detail_from_aws, access_detail_to_aws
from .engine.change_impact import AccessChange, EntityImpact, Impact, impact
from .engine.evaluation import Evaluator, Explanation
from .engine.report import (
    AccessDetail,
    PolicyScope,
    Report,
    ReportOptions,
    build_report,
)
from .engine.sorting import SortKey, sort_details
from .errors import (
    ChangeSetError,
    ConfigurationError,
    IngestError,
    InvalidTimeError,
    JobInProgressError,
    OrgAccessError,
    PolicyDocumentError,
    ReportFailedError,
    ServiceError,
    SnapshotError,
    UnknownEntityError,
    UnknownPolicyError,
    UnknownServiceError,
)
from .formats.activity import read_activity
from .formats.cloudtrail import read_cloudtrail
from .formats.rows import read_aggregated_rows
from .formats.snapshot import (
    dump_organization,
    example_organization,
    load_organization,
    to_snapshot,
)
from .model.catalog import AWS_REPORT_SERVICE_NAMES, Service, ServiceCatalog, default_catalog
from .model.changes import (
    AttachPolicy,
    DetachPolicy,
    MoveAccount,
    ProposedPolicy,
    ReplacePolicy,
    apply_changes,
)
from .model.events import AccessEvent, ActivityIndex
from .model.ids import (
    AccountId,
    EntityKind,
    EntityPath,
    OrganizationId,
    OuId,
    PolicyId,
    RootId,
)
from .model.organization import (
    Account,
    Organization,
    OrganizationalUnit,
    OrganizationBuilder,
    Policy,
    Root,
)
from .model.policy import PolicyDocument, parse_policy_document

__version__ = "0.1.0"

__all__ = [
    "AWS_REPORT_SERVICE_NAMES",
    "AccessChange",
    "AccessDetail",
    "AccessEvent",
    "Account",
    "AccountId",
    "ActivityIndex",
    "AttachPolicy",
    "ChangeSetError",
    "DetachPolicy",
    "EntityImpact",
    "EntityKind",
    "EntityPath",
    "Evaluator",
    "Explanation",
    "Impact",
    "MoveAccount",
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
    "ProposedPolicy",
    "ReplacePolicy",
    "Report",
    "ReportClient",
    "ReportFailedError",
    "ConfigurationError",
    "IngestError",
    "InvalidTimeError",
    "JobInProgressError",
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
    "access_detail_from_aws",
    "access_detail_to_aws",
    "attach",
    "apply_changes",
    "impact",
    "iter_access_details",
    "load_organization",
    "mock_iam",
    "paginate_access_report",
    "parse_policy_document",
    "read_activity",
    "read_aggregated_rows",
    "read_cloudtrail",
    "sort_details",
    "to_snapshot",
]
