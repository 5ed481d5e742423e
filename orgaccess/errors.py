"""Every error orgaccess raises, each with one meaning.

One base class, :class:`OrgAccessError`, with a ``code`` attribute that holds
the AWS error code where one applies (``None`` otherwise). The tree (checked
against the classes by ``tests/test_errors_tree.py``):

.. code-block:: text

    OrgAccessError
    ├── ConfigurationError           (also ValueError)   a bad option value (tracking_days=-1, ...)
    ├── InvalidIdError               (also ValueError)   bad id text
    │   └── InvalidEntityPathError                        bad entity path text
    ├── InvalidTimeError             (also ValueError)   no usable instant (text, datetime)
    ├── PolicyDocumentError          (also ValueError)   an SCP document failing the parser's checks
    ├── SnapshotError                (also ValueError)   an invalid snapshot; ``.problems``
    ├── UnknownEntityError           (also LookupError)  an id that is not in the organization
    ├── UnknownPolicyError           (also LookupError)  a policy id that is not in the organization
    ├── UnknownServiceError          (also LookupError)  a namespace the catalog does not have
    ├── CatalogError                 (also ValueError)   a service catalog that cannot be used
    ├── EventError                   (also ValueError)   an access event that cannot be built
    │   └── ActivityHorizonError                          a report needs a dropped attempt
    ├── IngestError                  (also ValueError)   unreadable activity input (strict mode)
    ├── IngestIncompleteError        (also RuntimeError) a summary asked for before a pass ended
    ├── StoreError                                       an activity store that cannot be used
    │   └── StoreBusyError                                another process holds the store's lock
    ├── ShapeError                   (also ValueError)   a dict that is not the AWS shape expected
    ├── InputFileError               (also ValueError)   a small JSON input file that cannot be read
    ├── MissingExtraError            (also ImportError)  an optional extra is not installed
    ├── PaginationError              (also ValueError)   a bad PaginationConfig / StartingToken,
    │                                                     or a job with no pages to walk
    ├── WaiterError                                      a waiter gave up (``reason``)
    ├── ReportFailedError                                a report AWS would end as a FAILED job
    ├── SearchLimitError                                 a resource search reached its step bound
    ├── JobInProgressError                               a job's report asked for before it is due
    ├── ChangeSetError               (also ValueError)   SCP edits AWS would refuse; ``.problems``
    └── ServiceError                                     an error the IAM API would return
        (codes ValidationError, InvalidInput, NoSuchEntity,
         ReportGenerationLimitExceeded, AccessDenied, ParamValidationError;
         the client raises them as botocore ``ClientError`` subclasses
         when botocore is installed, see ``orgaccess.aws.client``)

Passing an object of the wrong Python type to a function may raise
``TypeError`` naming the parameter; everything else a user can trigger is
an :class:`OrgAccessError`. Library code never prints or exits; only the
command line does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import ClassVar, Final

import attrs

__all__ = [
    "ActivityHorizonError",
    "CatalogError",
    "ChangeSetError",
    "ConfigurationError",
    "EventError",
    "IngestError",
    "IngestIncompleteError",
    "JobInProgressError",
    "InvalidEntityPathError",
    "InvalidIdError",
    "InvalidTimeError",
    "OrgAccessError",
    "InputFileError",
    "MissingExtraError",
    "PaginationError",
    "PolicyDocumentError",
    "Problem",
    "ReportFailedError",
    "SearchLimitError",
    "ServiceError",
    "ShapeError",
    "SnapshotError",
    "StoreBusyError",
    "StoreError",
    "UnknownEntityError",
    "UnknownPolicyError",
    "UnknownServiceError",
    "WaiterError",
]


class OrgAccessError(Exception):
    """Base class of every error orgaccess raises.

    ``code`` is the AWS error code where one applies, else ``None``.
    """

    code: str | None = None

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class ConfigurationError(OrgAccessError, ValueError):
    """An option, constructor argument or setting that cannot be used (a value out of
    range, a bad principals file, an unsafe bind), naming it and its value."""


class InvalidTimeError(OrgAccessError, ValueError):
    """Text that names no instant, a naive datetime, or one outside years 1-9999 in UTC."""


class InvalidIdError(OrgAccessError, ValueError):
    """Text that is not a valid id of the kind asked for."""

    code = "ValidationError"


class InvalidEntityPathError(InvalidIdError):
    """Text that is not a valid entity path."""


class PolicyDocumentError(OrgAccessError, ValueError):
    """An SCP document that fails the parser's checks (the list is in
    ``docs/reference/errors.md``, "What the SCP parser checks"; not everything AWS
    rejects is checked); names the statement and field.

    ``problems`` lists every problem found (location = the statement and field).
    """

    code = "MalformedPolicyDocument"

    def __init__(self, message: str, *, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[Problem, ...] = tuple(problems)


@attrs.frozen(kw_only=True)
class Problem:
    """One problem found in an input, with its location (a JSON pointer or a file:line)."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class SnapshotError(OrgAccessError, ValueError):
    """An organization snapshot with one or more problems; ``problems`` lists them all."""

    def __init__(self, problems: Iterable[Problem], *, source: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        where = f" in {source}" if source else ""
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} found{where}"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


class UnknownEntityError(OrgAccessError, LookupError):
    """An entity id that the organization does not have."""

    def __str__(self) -> str:
        return self.message


class UnknownPolicyError(OrgAccessError, LookupError):
    """A policy id that the organization does not have."""

    def __str__(self) -> str:
        return self.message


class UnknownServiceError(OrgAccessError, LookupError):
    """A service namespace that the catalog does not have."""

    def __str__(self) -> str:
        return self.message


class CatalogError(OrgAccessError, ValueError):
    """A service catalog that cannot be built or read."""


class EventError(OrgAccessError, ValueError):
    """An access event with a bad field (for example a naive datetime)."""


class ActivityHorizonError(EventError):
    """A report needs an attempt that the activity index did not keep."""


class IngestError(OrgAccessError, ValueError):
    """Activity input that cannot be read (raised in strict mode, or for unreadable files)."""


class IngestIncompleteError(OrgAccessError, RuntimeError):
    """A summary was asked for before a full pass over the input finished."""


class StoreError(OrgAccessError):
    """An activity store that cannot be used: not a store, another schema version, corrupt."""


class StoreBusyError(StoreError):
    """Another process kept the activity store locked longer than the busy timeout."""


class ShapeError(OrgAccessError, ValueError):
    """A dict that is not the AWS shape expected (e.g. an ``AccessDetail``)."""


#: ``ErrorDetails.Message`` of a FAILED job, by ``ErrorDetails.Code``.
FAILURE_MESSAGES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "SERVICE_CONTROL_POLICY_NOT_ENABLED": "Service control policies are not enabled on the "
        "organization root.",
        "INVALID_ORGANIZATIONS_ENTITY_PATH": "The entity with the specified path does not exist "
        "in your organization.",
        "INVALID_ORGANIZATIONS_POLICY": "The policy with the specified ID does not exist in your "
        "organization.",
        "ORGANIZATIONS_REPORT_ACCESS_DENIED": "Requester is not authorized to perform the "
        "required AWS Organizations Describe* and List* actions.",
    }
)


class ReportFailedError(OrgAccessError):
    """The report cannot be made: AWS would end the job as FAILED with ``code``.

    ``aws_message`` is the text AWS puts in ``ErrorDetails.Message``;
    ``detail`` says what orgaccess found (the unknown id, the broken parent chain).
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{FAILURE_MESSAGES[code]} ({detail})", code=code)
        self.aws_message = FAILURE_MESSAGES[code]
        self.detail = detail


class JobInProgressError(OrgAccessError):
    """A job's report was asked for while ``get_organizations_access_report`` still says
    ``IN_PROGRESS`` (``code`` ``IN_PROGRESS``); ``job_id`` and ``completes`` say which job
    and when it is due."""

    code = "IN_PROGRESS"

    def __init__(self, job_id: str, completes: datetime) -> None:
        super().__init__(
            f"Job {job_id} is IN_PROGRESS until {completes.isoformat()}; "
            "its report exists once the job is COMPLETED"
        )
        self.job_id = job_id
        self.completes = completes


class InputFileError(OrgAccessError, ValueError):
    """A small input file (settings, a policy) that cannot be read or is not JSON; ``path``."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class MissingExtraError(OrgAccessError, ImportError):
    """A feature needs an optional extra that is not installed (``orgaccess[aws]`` ...)."""


class PaginationError(OrgAccessError, ValueError):
    """A paginator cannot go on: bad ``PaginationConfig``, a token it did not issue,
    an operation it cannot page, or a job that is not COMPLETED (``code`` says which)."""


class WaiterError(OrgAccessError):
    """A waiter stopped without success: ``name``, ``reason`` and ``last_response``.

    Waiters raise it as a subclass of ``botocore.exceptions.WaiterError`` too
    when botocore is installed (see ``orgaccess.aws.waiter``).
    """

    def __init__(self, name: str, reason: str, last_response: object) -> None:
        super().__init__(f"Waiter {name} failed: {reason}", code="WaiterError")
        self.name = name
        self.reason = reason
        self.last_response = last_response


class SearchLimitError(OrgAccessError):
    """The resource-precision search reached its step bound before deciding.

    Raised by :func:`orgaccess.engine.arnmatch.find_surviving_arn`; ``steps``
    is the bound that was reached. The evaluator does not raise it: it lists
    the action (a documented safe over-approximation, see
    ``docs/explanation/evaluation-bounds.md``).
    """

    def __init__(self, message: str, *, steps: int) -> None:
        super().__init__(message)
        self.steps = steps


class ServiceError(OrgAccessError):
    """An error the IAM API itself would return, with its AWS ``code`` and HTTP status."""

    _STATUS: ClassVar[dict[str, int]] = {
        "ValidationError": 400,
        "InvalidInput": 400,
        "NoSuchEntity": 404,
        "ReportGenerationLimitExceeded": 409,
        "AccessDenied": 403,
    }

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.http_status = self._STATUS.get(code, 400)

    @property
    def response(self) -> dict[str, object]:
        """The error in the shape of ``botocore.exceptions.ClientError.response``."""
        return {
            "Error": {"Code": self.code, "Message": self.message, "Type": "Sender"},
            "ResponseMetadata": {"HTTPStatusCode": self.http_status},
        }


class ChangeSetError(OrgAccessError, ValueError):
    """Proposed SCP changes that AWS Organizations would refuse; ``problems`` lists every one.

    Each problem's location names the edit (``changes[2] (detach p-... from ou-...)``)
    and its message starts with the exception AWS would raise
    (``ConstraintViolationException (POLICY_NUMBER_LIMIT_EXCEEDED): ...``).
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        n = len(self.problems)
        head = f"{n} change{'s' if n != 1 else ''} AWS would refuse"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))
