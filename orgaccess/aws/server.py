"""A local IAM endpoint for the two report operations (``orgaccess serve``).

``boto3.client("iam", endpoint_url=...)``, the AWS CLI with
``--endpoint-url`` and other SDKs talk to it unchanged: it speaks IAM's
Query protocol (form-encoded ``POST``, or ``GET`` with a query string) and
answers with IAM's XML and ``ErrorResponse`` (:mod:`orgaccess.aws.query`),
each with an ``x-amzn-RequestId`` header.

The HTTP layer is Werkzeug's threaded WSGI server (install the ``server``
extra); the application (:class:`QueryApp`) is plain WSGI, so any WSGI
server can host it. The :class:`~orgaccess.aws.client.ReportClient` behind
it is thread-safe. Bounds and refusals, each an IAM-style ``ErrorResponse``
that never stops the server: a body over ``max_body`` bytes (413
``RequestEntityTooLarge``), a body that is not form encoding or not UTF-8
(400 ``MalformedQueryString``), a ``POST`` that is not
``application/x-www-form-urlencoded`` (its body is not read, so 400
``MissingAction``), an unknown ``Action`` (400 ``InvalidAction``).

**Who is calling.** Without principals every request is the
ReportClient's caller (by default the management account's root). With
:class:`Principal` entries (``--principals FILE``, see
:func:`load_principals`) the access key id of the request's SigV4
``Authorization`` header picks the caller: no header is
``MissingAuthenticationToken``, an unknown key ``InvalidClientTokenId``
(both 403), a malformed header ``IncompleteSignature`` (400). Where an
entry has a secret, botocore's signer recomputes the signature and a
mismatch is ``SignatureDoesNotMatch`` (403). The request time is not
compared with the clock (the server's clock may be ``--clock``).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any

import attrs

from ..errors import ConfigurationError, InputFileError
from ..formats.jsonfile import read_json_file
from .client import ReportClient, parse_caller
from .query import QueryResponse, error_response, handle, new_request_id

__all__ = [
    "DEFAULT_MAX_BODY",
    "Principal",
    "QueryApp",
    "is_loopback",
    "load_principals",
    "make_server",
]

#: The largest request body read, in bytes (the biggest valid request is under 2 KiB).
DEFAULT_MAX_BODY = 64 * 1024
#: The largest principals file read.
MAX_PRINCIPALS_BYTES = 1 << 20
_FORM = "application/x-www-form-urlencoded"
_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/,\s]+)/"
    r"(?P<service>[^/,\s]+)/aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;._-]+),"
    r"\s*Signature=(?P<signature>[0-9a-f]{64})"
)
_log = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class Principal:
    """One access key id's principal: its ARN, an optional secret, its Organizations reads."""

    access_key_id: str
    arn: str
    secret_access_key: str | None = None
    organizations_read: bool = True


def load_principals(path: str | os.PathLike[str]) -> tuple[Principal, ...]:
    """Read a principals file: a JSON list of objects with ``access_key_id``, ``arn`` and
    optionally ``secret_access_key`` and ``organizations_read`` (``false``: the caller lacks
    the Organizations read permissions, so its jobs FAIL with
    ``ORGANIZATIONS_REPORT_ACCESS_DENIED``).

    Every problem is reported at once in a :class:`~orgaccess.errors.ConfigurationError`.
    """
    try:
        data = read_json_file(path, max_bytes=MAX_PRINCIPALS_BYTES)
    except InputFileError as exc:
        raise ConfigurationError(f"--principals {exc}") from None
    problems: list[str] = []
    principals: list[Principal] = []
    if not isinstance(data, list):
        raise ConfigurationError(f"--principals {path}: expected a JSON list of objects")
    seen: set[str] = set()
    known = {"access_key_id", "arn", "secret_access_key", "organizations_read"}
    for n, entry in enumerate(data):
        where = f"{path}: [{n}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected an object")
            continue
        if set(entry) - known:
            problems.append(f"{where}: unknown keys {sorted(set(entry) - known)}")
        key: Any = entry.get("access_key_id")
        arn: Any = entry.get("arn")
        secret, reads = entry.get("secret_access_key"), entry.get("organizations_read", True)
        if not isinstance(key, str) or not re.fullmatch(r"[A-Z0-9]{16,128}", key):
            problems.append(f"{where}: access_key_id {key!r} is not an access key id")
        elif key in seen:
            problems.append(f"{where}: access_key_id {key} appears twice")
        else:
            seen.add(key)
        try:
            arn = parse_caller(arn)[0]
        except Exception as exc:
            problems.append(f"{where}: {exc}")
        if secret is not None and (not isinstance(secret, str) or not secret):
            problems.append(f"{where}: secret_access_key must be a non-empty string")
        if not isinstance(reads, bool):
            problems.append(f"{where}: organizations_read must be true or false")
        if not problems:
            principals.append(
                Principal(
                    access_key_id=key, arn=arn, secret_access_key=secret, organizations_read=reads
                )
            )
    if problems:
        raise ConfigurationError(
            f"{len(problems)} problem(s) in --principals:\n" + "\n".join(problems)
        )
    return tuple(principals)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback name or address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _signature_matches(
    match: re.Match[str], secret: str, method: str, url: str, headers: Any, body: bytes
) -> bool:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    names = match["signed"].split(";")
    if "x-amz-date" not in names or any(headers.get(name) is None for name in names):
        return False
    signed = {name: headers[name] for name in names}
    request = AWSRequest(method=method, url=url, data=body, headers=signed)
    request.context["timestamp"] = headers["x-amz-date"]
    if not request.context["timestamp"].startswith(match["date"]):
        return False
    auth = SigV4Auth(Credentials(match["key"], secret), match["service"], match["region"])
    canonical = auth.canonical_request(request)
    expected: str = auth.signature(auth.string_to_sign(request, canonical), request)
    return hmac.compare_digest(expected, match["signature"])


class QueryApp:
    """The WSGI application: authenticate, parse the form, answer with :func:`query.handle`."""

    def __init__(
        self,
        report_client: ReportClient,
        *,
        principals: Iterable[Principal] | None = None,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        if not isinstance(max_body, int) or max_body < 1024:
            raise ConfigurationError(f"max_body must be at least 1024 bytes, got {max_body!r}")
        self.report_client = report_client
        self.principals = None if principals is None else {p.access_key_id: p for p in principals}
        self.max_body = max_body

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        request_id = new_request_id()
        try:
            response = self._answer(environ, request_id)
        except Exception:  # a bug must cost one request, never the server
            _log.exception("request %s failed", request_id)
            response = error_response(
                "ServiceFailure", "Request processing has failed.", 500,
                request_id=request_id, sender=False,
            )  # fmt: skip
        phrase = HTTPStatus(response.status).phrase
        headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        start_response(f"{response.status} {phrase}", headers)
        return [response.body]

    def _answer(self, environ: Mapping[str, Any], request_id: str) -> QueryResponse:
        from werkzeug.wrappers import Request

        def refuse(code: str, message: str, status: int) -> QueryResponse:
            return error_response(code, message, status, request_id=request_id)

        request = Request(dict(environ))
        if request.method not in ("POST", "GET"):
            return refuse("InvalidAction", f"Method {request.method} is not supported.", 405)
        body = b""
        if request.method == "POST":
            if request.content_length is not None and request.content_length > self.max_body:
                return refuse("RequestEntityTooLarge", self._too_large(), 413)
            if request.mimetype != _FORM:
                return refuse(
                    "MissingAction",
                    f"Missing Action (the body must be {_FORM}, not {request.mimetype!r})",
                    400,
                )
            body = request.stream.read(self.max_body + 1)
            if len(body) > self.max_body:
                return refuse("RequestEntityTooLarge", self._too_large(), 413)
        text = body if request.method == "POST" else request.query_string
        try:
            pairs = urllib.parse.parse_qsl(
                text.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(text),
                errors="strict", max_num_fields=64,
            )  # fmt: skip
        except (ValueError, UnicodeError) as exc:
            return refuse("MalformedQueryString", f"The request could not be parsed: {exc}", 400)
        form: dict[str, str] = {}
        for key, value in pairs:
            form.setdefault(key, value)
        caller = self._caller(request, body)
        if isinstance(caller, tuple):
            return refuse(*caller)
        client = self.report_client if caller is None else self.report_client.as_caller(caller)
        return handle(form, client, request_id=request_id)

    def _too_large(self) -> str:
        return f"Request body is larger than {self.max_body} bytes."

    def _caller(self, request: Any, body: bytes) -> str | tuple[str, str, int] | None:
        """The caller's ARN (``None``: the client's own caller), or a refusal."""
        if self.principals is None:
            return None
        header = request.headers.get("Authorization")
        if not header:
            return ("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
        match = _AUTH_RE.fullmatch(header.strip())
        if match is None:
            return (
                "IncompleteSignature",
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
                "of AWS4-HMAC-SHA256.",
                400,
            )
        principal = self.principals.get(match["key"])
        if principal is None:
            return (
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
                403,
            )
        if principal.secret_access_key is not None:
            url = request.host_url.rstrip("/") + request.full_path.rstrip("?")
            if not _signature_matches(
                match, principal.secret_access_key, request.method, url, request.headers, body
            ):
                return (
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you "
                    "provided. Check your AWS Secret Access Key and signing method. Consult the "
                    "service documentation for details.",
                    403,
                )
        return principal.arn


def make_server(
    report_client: ReportClient,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    principals: Iterable[Principal] | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    allow_unverified_remote: bool = False,
    log: Callable[[str], object] | None = None,
) -> Any:
    """A threaded Werkzeug server for :class:`QueryApp` (``port=0``: an ephemeral port).

    Binding beyond loopback unless every principal's signature is verified
    raises :class:`~orgaccess.errors.ConfigurationError`, unless
    ``allow_unverified_remote`` is set. ``serve_forever()`` runs it and
    ``shutdown()`` (from another thread) stops it; ``server_port`` is the port.
    """
    from werkzeug.serving import WSGIRequestHandler
    from werkzeug.serving import make_server as werkzeug_server

    principals = None if principals is None else tuple(principals)
    verified = principals is not None and all(p.secret_access_key for p in principals)
    if not is_loopback(host) and not verified and not allow_unverified_remote:
        raise ConfigurationError(
            f"refusing to bind {host}, beyond loopback, without verified principals "
            "(--principals entries with secrets); pass --allow-unverified-remote to do it anyway"
        )
    app = QueryApp(report_client, principals=principals, max_body=max_body)

    class Handler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if log is not None:
                log(f"{self.address_string()} {self.command} {self.path} {code}")

        def log_error(self, format: str, *args: Any) -> None:
            if log is not None:
                log(format % args)

    return werkzeug_server(host, port, app, threaded=True, request_handler=Handler)
