"""Every error orgaccess raises.

One base class, :class:`OrgAccessError`, with a ``code`` attribute that holds
the AWS error code where one applies (``None`` otherwise)::

    OrgAccessError
    ├── InvalidIdError               (also ValueError)  bad id text
    │   └── InvalidEntityPathError                       bad entity path text
    ├── PolicyDocumentError          (also ValueError)  an SCP document AWS would reject
    ├── SnapshotError                (also ValueError)  an invalid snapshot; ``.problems``
    ├── UnknownEntityError           (also LookupError) an id that is not in the organization
    ├── UnknownPolicyError           (also LookupError) a policy id that is not in the organization
    ├── UnknownServiceError          (also LookupError) a namespace the catalog does not have
    ├── CatalogError                 (also ValueError)  a service catalog that cannot be used
    ├── EventError                   (also ValueError)  an access event that cannot be built
    │   └── ActivityHorizonError                         a report needs an attempt the index dropped
    ├── IngestError                  (also ValueError)  unreadable activity input (strict mode)
    ├── SearchLimitError                                 a resource search reached its step bound
    └── ServiceError                                    an error the IAM API would return
        (codes ValidationError, InvalidInput, NoSuchEntity,
         ReportGenerationLimitExceeded, AccessDenied)

Library code never prints or exits; only the command line does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import attrs

__all__ = [
    "ActivityHorizonError",
    "CatalogError",
    "EventError",
    "IngestError",
    "InvalidEntityPathError",
    "InvalidIdError",
    "OrgAccessError",
    "PolicyDocumentError",
    "Problem",
    "SearchLimitError",
    "ServiceError",
    "SnapshotError",
    "UnknownEntityError",
    "UnknownPolicyError",
    "UnknownServiceError",
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


class InvalidIdError(OrgAccessError, ValueError):
    """Text that is not a valid id of the kind asked for."""

    code = "ValidationError"


class InvalidEntityPathError(InvalidIdError):
    """Text that is not a valid entity path."""


class PolicyDocumentError(OrgAccessError, ValueError):
    """An SCP document that AWS would reject; names the statement and field.

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
