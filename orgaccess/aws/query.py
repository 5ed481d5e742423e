"""IAM's Query protocol for the two operations: form parameters in, IAM's XML out.

Shared by :func:`orgaccess.aws.mock.mock_iam` (botocore's parser reads the
XML in process) and :mod:`orgaccess.aws.server` (the XML goes over HTTP).
:func:`handle` takes the decoded form of one request and the
:class:`~orgaccess.aws.client.ReportClient` of its caller, and returns the
HTTP status, headers and body IAM would send:

.. code-block:: xml

    <GetOrganizationsAccessReportResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
      <GetOrganizationsAccessReportResult>...</GetOrganizationsAccessReportResult>
      <ResponseMetadata><RequestId>...</RequestId></ResponseMetadata>
    </GetOrganizationsAccessReportResponse>

Errors are IAM's ``ErrorResponse`` (``Type``, ``Code``, ``Message``, then
``RequestId``) with the error's HTTP status. Any other ``Action`` gets
``InvalidAction`` (400), as AWS's Query services answer an operation they
do not have.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

import attrs

from ..errors import OrgAccessError, ServiceError
from ._errors import CODES
from ._validation import GENERATE, GET, from_query
from .client import ReportClient

__all__ = [
    "API_VERSION",
    "IAM_XMLNS",
    "OPERATIONS",
    "QueryResponse",
    "error_response",
    "handle",
    "new_request_id",
]

API_VERSION = "2010-05-08"
IAM_XMLNS = f"https://iam.amazonaws.com/doc/{API_VERSION}/"
#: Query ``Action`` -> the ReportClient method that answers it.
OPERATIONS: Mapping[str, str] = {
    GENERATE: "generate_organizations_access_report",
    GET: "get_organizations_access_report",
}
# Characters XML 1.0 cannot carry, even as references.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@attrs.frozen(kw_only=True)
class QueryResponse:
    """What IAM sends back: status, headers (``x-amzn-RequestId``, ``Content-Type``) and XML."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    request_id: str


def new_request_id() -> str:
    """A request id in AWS's form (a UUID)."""
    return str(uuid.uuid4())


def _text(value: str) -> str:
    return escape(_NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", value))


def _timestamp(value: datetime) -> str:
    value = value.astimezone(UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _xml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, Mapping):
        return "".join(f"<{key}>{_xml(item)}</{key}>" for key, item in value.items())
    if isinstance(value, list | tuple):
        return "".join(f"<member>{_xml(item)}</member>" for item in value)
    raise TypeError(f"cannot write {type(value).__name__} as Query XML")  # pragma: no cover


def _response(status: int, body: str, request_id: str) -> QueryResponse:
    return QueryResponse(
        status=status,
        headers=(("x-amzn-RequestId", request_id), ("Content-Type", "text/xml")),
        body=('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8"),
        request_id=request_id,
    )


def error_response(
    code: str, message: str, status: int, *, request_id: str | None = None, sender: bool = True
) -> QueryResponse:
    """IAM's ``ErrorResponse`` XML for an error."""
    request_id = request_id or new_request_id()
    body = (
        f'<ErrorResponse xmlns="{IAM_XMLNS}">\n'
        f"  <Error>\n    <Type>{'Sender' if sender else 'Receiver'}</Type>\n"
        f"    <Code>{_text(code)}</Code>\n    <Message>{_text(message)}</Message>\n  </Error>\n"
        f"  <RequestId>{request_id}</RequestId>\n</ErrorResponse>"
    )
    return _response(status, body, request_id)


def handle(
    form: Mapping[str, str], client: ReportClient, *, request_id: str | None = None
) -> QueryResponse:
    """Answer one Query request (its decoded form parameters) as ``client``'s caller."""
    request_id = request_id or new_request_id()
    action = form.get("Action")
    if not action:
        return error_response("MissingAction", "Missing Action", 400, request_id=request_id)
    version = form.get("Version", API_VERSION)
    if action not in OPERATIONS or version != API_VERSION:
        return error_response(
            "InvalidAction",
            f"Could not find operation {action} for version {version}",
            400,
            request_id=request_id,
        )
    try:
        params = from_query(action, form)
        result = getattr(client, OPERATIONS[action])(**params)
    except ServiceError as exc:
        code = exc.code or "ValidationError"
        status = CODES.get(code) or exc.http_status
        return error_response(code, exc.message, status, request_id=request_id)
    except OrgAccessError as exc:  # a fault of this server (clock, id_factory), not the caller's
        return error_response("ServiceFailure", str(exc), 500, request_id=request_id, sender=False)
    body = (
        f'<{action}Response xmlns="{IAM_XMLNS}">\n'
        f"  <{action}Result>{_xml(result)}</{action}Result>\n"
        f"  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n"
        f"  </ResponseMetadata>\n</{action}Response>"
    )
    return _response(200, body, request_id)
