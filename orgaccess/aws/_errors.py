"""The client's errors as boto3 users catch them, without making botocore a dependency.

The design: the core raises :class:`~orgaccess.errors.ServiceError` (code,
message, HTTP status, a ``.response`` dict shaped like botocore's). At the
boundary of each client operation the error is re-raised as an instance of
a class made here, once per code and cached:

- its name is ``<Code>Exception`` (``NoSuchEntityException``), as botocore
  names the error classes of ``client.exceptions``;
- it derives from :class:`~orgaccess.errors.ServiceError`, so
  ``except ServiceError`` / ``except OrgAccessError`` keep working;
- when botocore can be imported it *also* derives from
  ``botocore.exceptions.ClientError`` (``ParamValidationError`` from
  ``botocore.exceptions.ParamValidationError``), so code written for boto3
  (``except ClientError``, ``exc.response["Error"]["Code"]``) works unchanged.

botocore is imported only when the first error class is made, so
``import orgaccess`` never needs it. Making the classes lazily (rather than
wrapping errors in an adapter only the boto3 layer applies) keeps one error
object per failure: the same instance satisfies both vocabularies.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from ..errors import ServiceError

__all__ = ["CODES", "ClientExceptions", "error_class", "typed"]

#: Every code the client raises, with its HTTP status (``None``: raised client-side).
CODES: Mapping[str, int | None] = {
    "ValidationError": 400,
    "InvalidInput": 400,
    "AccessDenied": 403,
    "NoSuchEntity": 404,
    "ReportGenerationLimitExceeded": 409,
    "ParamValidationError": None,
}


@functools.cache
def _botocore_exceptions() -> Any:
    try:
        import botocore.exceptions
    except ImportError:  # pragma: no cover - botocore is installed wherever tests run
        return None
    return botocore.exceptions


def _client_error_init(self: Any, error_response: Mapping[str, Any], operation_name: str) -> None:
    # ClientError's signature, so that ``client.exceptions.XException(response, op)`` works too.
    error = dict(error_response.get("Error", {}))
    meta = error_response.get("ResponseMetadata", {})
    self.response = dict(error_response)
    self.operation_name = operation_name
    self.message = str(error.get("Message", ""))
    self.code = str(error.get("Code", self._default_code))
    self.http_status = int(meta.get("HTTPStatusCode", CODES.get(self.code) or 400))
    Exception.__init__(self, str(self))


def _client_error_str(self: Any) -> str:
    return (
        f"An error occurred ({self.code}) when calling the {self.operation_name} "
        f"operation: {self.message}"
    )


def _param_error_init(self: Any, *, report: str) -> None:
    # botocore's ParamValidationError(report=...) signature.
    self.kwargs = {"report": report}
    self.message = f"Parameter validation failed:\n{report}"
    self.code = "ParamValidationError"
    self.http_status = 400
    self.operation_name = None
    Exception.__init__(self, self.message)


@functools.cache
def error_class(code: str) -> type[ServiceError]:
    """The ``<Code>Exception`` class for ``code`` (a ``ClientError`` too, if botocore is there)."""
    botocore_exceptions = _botocore_exceptions()
    namespace: dict[str, Any] = {"__module__": __name__, "_default_code": code}
    bases: tuple[type, ...] = (ServiceError,)
    if code == "ParamValidationError":
        name = "ParamValidationError"
        if botocore_exceptions is not None:
            bases += (botocore_exceptions.ParamValidationError,)
        namespace.update(__init__=_param_error_init, __str__=lambda self: self.message)
    else:
        name = f"{code}Exception"
        if botocore_exceptions is not None:
            bases += (botocore_exceptions.ClientError,)
        # A plain attribute here shadows ServiceError.response (a property) for this class.
        namespace.update(response=None, __init__=_client_error_init, __str__=_client_error_str)
    namespace["__doc__"] = f"IAM error {code}: a ServiceError, and botocore's class if installed."
    cls: type[ServiceError] = type(name, bases, namespace)
    return cls


def typed(error: ServiceError, operation_name: str) -> ServiceError:
    """``error`` as an instance of its code's class (unchanged if it already is one)."""
    code = error.code or "ValidationError"
    cls = error_class(code)
    if isinstance(error, cls):
        return error
    if code == "ParamValidationError":
        report = error.message.removeprefix("Parameter validation failed:\n")
        made = cls(report=report)  # type: ignore[call-arg]
    else:
        response = {
            "Error": {"Code": code, "Message": error.message, "Type": "Sender"},
            "ResponseMetadata": {"HTTPStatusCode": CODES.get(code) or error.http_status},
        }
        made = cls(response, operation_name)  # type: ignore[arg-type]
    made.__cause__ = error.__cause__
    return made


class ClientExceptions:
    """``client.exceptions``: ``ClientError``, ``from_code()`` and ``<Code>Exception`` classes.

    ``ClientError`` is botocore's when botocore is installed, else
    :class:`~orgaccess.errors.ServiceError`. Besides the three errors IAM's
    model names (``NoSuchEntityException``, ``InvalidInputException``,
    ``ReportGenerationLimitExceededException``) there are classes for
    ``ValidationError`` and ``AccessDenied``, which real boto3 raises as a
    plain ``ClientError``, and ``ParamValidationError``.
    """

    def __getattr__(self, name: str) -> type[Exception]:
        if name == "ClientError":
            botocore_exceptions = _botocore_exceptions()
            if botocore_exceptions is None:  # pragma: no cover
                return ServiceError
            client_error: type[Exception] = botocore_exceptions.ClientError
            return client_error
        code = "ParamValidationError" if name == "ParamValidationError" else None
        if code is None and name.endswith("Exception"):
            code = name.removesuffix("Exception")
        if code is None or code not in CODES:
            raise AttributeError(f"client.exceptions has no {name!r}")
        return error_class(code)

    def from_code(self, code: str) -> type[Exception]:
        """The class for an error code (``ClientError`` for a code orgaccess never raises)."""
        return error_class(code) if code in CODES else self.ClientError

    def __dir__(self) -> list[str]:
        return ["ClientError", "ParamValidationError"] + [
            f"{code}Exception" for code in CODES if code != "ParamValidationError"
        ]
