"""Answer boto3's IAM client from a ReportClient: :func:`mock_iam` and :func:`attach`.

Code under test keeps calling ``boto3.client("iam")``; inside ``mock_iam``
the two report operations are answered by a
:class:`~orgaccess.aws.client.ReportClient`, with no network (dummy credentials;
no request leaves the process):

>>> import boto3
>>> from orgaccess import ReportClient, ServiceCatalog, example_organization
>>> report_client = ReportClient(
...     example_organization(), catalog=ServiceCatalog.from_mapping({"s3": {"actions": ["Get"]}})
... )
>>> with mock_iam(report_client):
...     iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE",
...                        aws_secret_access_key="not-a-secret")
...     job_id = iam.generate_organizations_access_report(
...         EntityPath="o-exampleorg1/r-ex12")["JobId"]
...     response = iam.get_organizations_access_report(JobId=job_id)
>>> response["JobStatus"], response["AccessDetails"][0]["ServiceNamespace"]
('COMPLETED', 's3')

How, through botocore's extension points only:

- Each IAM client gets a handler for ``before-call.iam.<Operation>`` of the
  two operations. botocore has already validated and serialized the
  parameters (Query protocol form fields); the handler answers them with
  :func:`orgaccess.aws.query.handle`, which writes the XML IAM would send,
  and hands that to botocore's own ``query`` response parser. botocore then
  raises ``ClientError`` (``client.exceptions.NoSuchEntityException`` ...)
  with IAM's code, message and HTTP status, exactly as for a real response.
  ``before-call`` (not ``before-send``) because botocore stops at the first
  ``before-call`` answer, while every ``before-send`` handler runs, and
  moto's would then try the operation itself.
- Every other operation is untouched, so moto's ``mock_aws`` (or the real
  endpoint) answers it: the two compose in either order.
- ``mock_iam`` reaches the clients created inside it through botocore's
  ``creating-client-class.iam`` event, registered for every session created
  inside it (``botocore.handlers.BUILTIN_HANDLERS``) and for boto3's default
  session. A client of a session made *before* entering is not reached: use
  :func:`attach` for it. Clients made inside keep their handlers after exit,
  but these pass every call through once the context is left.
- The client's ``get_waiter("organizations_access_report_complete")`` and
  ``get_paginator("get_organizations_access_report")`` return orgaccess's
  waiter and paginator (botocore has neither for this operation).

The caller is the ReportClient's caller, unless ``principals`` maps the
client's access key id to a principal ARN (a key not in the map gets IAM's
``InvalidClientTokenId``).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ._validation import GENERATE, GET
from .client import ReportClient
from .paginate import Paginator
from .query import QueryResponse, error_response, handle
from .waiter import WAITER_NAME, Waiter

__all__ = ["Attachment", "attach", "mock_iam"]

_IDS = itertools.count()


def _caller_client(
    report_client: ReportClient, principals: Mapping[str, str] | None, signer: Any
) -> ReportClient | QueryResponse:
    if principals is None:
        return report_client
    credentials = getattr(signer, "_credentials", None)  # botocore has no public accessor
    key = None if credentials is None else credentials.get_frozen_credentials().access_key
    if key is None or key not in principals:
        return error_response(
            "InvalidClientTokenId", "The security token included in the request is invalid.", 403
        )
    return report_client.as_caller(principals[key])


def _answer(response: QueryResponse, model: Any, url: str) -> tuple[Any, dict[str, Any]]:
    # The same steps as botocore's endpoint after receiving bytes: its response
    # object, convert_to_response_dict, then the protocol's parser.
    from botocore.awsrequest import AWSResponse
    from botocore.endpoint import convert_to_response_dict
    from botocore.parsers import create_parser

    class _Raw:
        def stream(self, **_: Any) -> Iterator[bytes]:
            yield response.body

    http = AWSResponse(url, response.status, dict(response.headers), _Raw())
    response_dict = convert_to_response_dict(http, model)
    parsed: dict[str, Any] = create_parser(model.metadata["protocol"]).parse(
        response_dict, model.output_shape
    )
    parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
    return http, parsed


class Attachment:
    """The handlers :func:`attach` put on one boto3 client; :meth:`detach` removes them."""

    def __init__(
        self,
        iam_client: Any,
        report_client: ReportClient,
        *,
        principals: Mapping[str, str] | None = None,
        active: Callable[[], bool] = lambda: True,
    ) -> None:
        if not isinstance(report_client, ReportClient):
            raise TypeError(f"report_client must be a ReportClient, got {report_client!r}")
        events = getattr(getattr(iam_client, "meta", None), "events", None)
        if events is None or iam_client.meta.service_model.service_name != "iam":
            raise TypeError(f"attach needs a boto3/botocore IAM client, got {iam_client!r}")
        self._client = iam_client
        self._report_client = report_client
        self._principals = None if principals is None else dict(principals)
        self._active = active
        self._unique = f"orgaccess-{next(_IDS)}"
        for operation in (GENERATE, GET):
            events.register_first(
                f"before-call.iam.{operation}",
                self._before_call,
                unique_id=f"{self._unique}-{operation}",
            )
        self._originals = {
            name: iam_client.__dict__.get(name)
            for name in ("get_waiter", "get_paginator", "can_paginate")
        }
        get_waiter, get_paginator, can_paginate = (
            iam_client.get_waiter,
            iam_client.get_paginator,
            iam_client.can_paginate,
        )

        def waiter(waiter_name: str, *, sleep: Callable[[float], object] | None = None) -> Any:
            if waiter_name != WAITER_NAME or not self._active():
                return get_waiter(waiter_name)
            method = iam_client.get_organizations_access_report
            return Waiter(method) if sleep is None else Waiter(method, sleep=sleep)

        def paginator(operation_name: str) -> Any:
            if operation_name != "get_organizations_access_report" or not self._active():
                return get_paginator(operation_name)
            return Paginator(iam_client.get_organizations_access_report)

        def pageable(operation_name: str) -> bool:
            ours = operation_name == "get_organizations_access_report" and self._active()
            return ours or bool(can_paginate(operation_name))

        iam_client.get_waiter, iam_client.get_paginator = waiter, paginator
        iam_client.can_paginate = pageable

    def _before_call(
        self, *, model: Any, params: Mapping[str, Any], request_signer: Any = None, **_: Any
    ) -> tuple[Any, dict[str, Any]] | None:
        if not self._active():
            return None
        body = params.get("body")
        form = {str(k): str(v) for k, v in body.items()} if isinstance(body, Mapping) else {}
        client = _caller_client(self._report_client, self._principals, request_signer)
        response = client if isinstance(client, QueryResponse) else handle(form, client)
        return _answer(response, model, str(params.get("url", "https://iam.amazonaws.com/")))

    def detach(self) -> None:
        """Remove the handlers and restore the client's waiter and paginator methods."""
        for operation in (GENERATE, GET):
            self._client.meta.events.unregister(
                f"before-call.iam.{operation}", unique_id=f"{self._unique}-{operation}"
            )
        for name, original in self._originals.items():
            if original is None:
                self._client.__dict__.pop(name, None)
            else:  # pragma: no cover - only if someone set them before us
                setattr(self._client, name, original)


def attach(
    iam_client: Any, report_client: ReportClient, *, principals: Mapping[str, str] | None = None
) -> Attachment:
    """Answer the two report operations of one existing boto3 IAM client from ``report_client``.

    Returns an :class:`Attachment`; ``attachment.detach()`` undoes it.
    """
    return Attachment(iam_client, report_client, principals=principals)


class mock_iam(contextlib.ContextDecorator):  # noqa: N801 - named like moto's mock_aws
    """Context manager and decorator: IAM clients created inside answer the report from
    ``report_client`` (see the module docstring for how, and for ``principals``)."""

    def __init__(
        self, report_client: ReportClient, *, principals: Mapping[str, str] | None = None
    ) -> None:
        if not isinstance(report_client, ReportClient):
            raise TypeError(f"report_client must be a ReportClient, got {report_client!r}")
        self.report_client = report_client
        self.principals = principals
        self._active = False
        self._spec = ("creating-client-class.iam", self._creating_client_class)
        self._default_session: Any = None

    def _creating_client_class(self, *, base_classes: list[type], **_: Any) -> None:
        if not self._active:
            return
        mock = self

        class _Attached:
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                Attachment(
                    self,
                    mock.report_client,
                    principals=mock.principals,
                    active=lambda: mock._active,
                )

        base_classes.insert(0, _Attached)

    def __enter__(self) -> mock_iam:
        try:
            from botocore import handlers
        except ImportError as exc:  # pragma: no cover - documented requirement
            raise ImportError("mock_iam needs botocore: pip install 'orgaccess[aws]'") from exc
        if self._active:
            raise RuntimeError("this mock_iam is already active")
        self._active = True
        handlers.BUILTIN_HANDLERS.append(self._spec)
        boto3 = __import__("sys").modules.get("boto3")
        session = getattr(boto3, "DEFAULT_SESSION", None)
        if session is not None:
            self._default_session = session
            session.events.register(
                self._spec[0], self._creating_client_class, unique_id=f"orgaccess-{id(self)}"
            )
        return self

    def __exit__(self, *exc_info: object) -> None:
        from botocore import handlers

        self._active = False
        with contextlib.suppress(ValueError):
            handlers.BUILTIN_HANDLERS.remove(self._spec)
        if self._default_session is not None:
            self._default_session.events.unregister(
                self._spec[0], unique_id=f"orgaccess-{id(self)}"
            )
            self._default_session = None
