"""A botocore-style waiter: ``organizations_access_report_complete``.

botocore has no waiter for the access report, so every consumer wrote a
polling loop. :class:`Waiter` polls ``get_organizations_access_report`` the
way botocore's waiters poll (``WaiterConfig``: ``Delay`` seconds between
calls, ``MaxAttempts`` calls at most) and returns ``None`` once the job is
``COMPLETED``. A ``FAILED`` job, an error from the call, or running out of
attempts raises :class:`~orgaccess.errors.WaiterError` (also a
``botocore.exceptions.WaiterError`` when botocore is installed) with
``reason`` and ``last_response``.

``sleep`` is injected (default :func:`time.sleep`), so tests advance a fake
clock instead of waiting:

>>> from datetime import UTC, datetime, timedelta
>>> from orgaccess import ReportClient, ServiceCatalog, example_organization
>>> now = [datetime(2026, 11, 1, tzinfo=UTC)]
>>> def advance(seconds):
...     now[0] += timedelta(seconds=seconds)
>>> client = ReportClient(example_organization(), clock=lambda: now[0],
...                       catalog=ServiceCatalog.from_mapping({"s3": {"actions": ["Get"]}}),
...                       job_duration=timedelta(seconds=3))
>>> job_id = client.generate_organizations_access_report(EntityPath="o-exampleorg1/r-ex12")["JobId"]
>>> waiter = client.get_waiter("organizations_access_report_complete", sleep=advance)
>>> waiter.wait(JobId=job_id, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
>>> now[0].second, client.get_organizations_access_report(JobId=job_id)["JobStatus"]
(3, 'COMPLETED')
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ConfigurationError, WaiterError

__all__ = ["DEFAULT_DELAY", "DEFAULT_MAX_ATTEMPTS", "WAITER_NAME", "Waiter", "waiter_error"]

WAITER_NAME = "organizations_access_report_complete"
#: Seconds between polls, and polls at most (jobs take 0.5 to 11 s on AWS: aws-facts 6).
DEFAULT_DELAY = 2
DEFAULT_MAX_ATTEMPTS = 60


@functools.cache
def _waiter_error_class() -> type[WaiterError]:
    try:
        from botocore.exceptions import WaiterError as BotocoreWaiterError
    except ImportError:  # pragma: no cover - botocore is installed wherever tests run
        return WaiterError

    class _WaiterError(WaiterError, BotocoreWaiterError):  # type: ignore[misc]
        __doc__ = WaiterError.__doc__
        __module__ = WaiterError.__module__

        def __init__(self, name: str, reason: str, last_response: object) -> None:
            # Both bases' __init__ chain through super() with other signatures: set it all here.
            self.message = f"Waiter {name} failed: {reason}"
            self.code = "WaiterError"
            self.name = name
            self.reason = reason
            self.last_response = last_response
            self.kwargs = {"name": name, "reason": reason}
            Exception.__init__(self, self.message)

    _WaiterError.__name__ = _WaiterError.__qualname__ = "WaiterError"
    return _WaiterError


def waiter_error(name: str, reason: str, last_response: object) -> WaiterError:
    """A :class:`~orgaccess.errors.WaiterError` (and botocore's, when installed)."""
    return _waiter_error_class()(name, reason, last_response)


def _config_value(config: Mapping[str, Any], key: str, default: int) -> int | float:
    value = config.get(key, default)
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or value < (1 if key == "MaxAttempts" else 0)
    ):
        raise ConfigurationError(
            f"WaiterConfig {key} must be a {'positive' if key == 'MaxAttempts' else 'non-negative'}"
            f" number, got {value!r}",
            code="InvalidWaiterConfig",
        )
    return value


class Waiter:
    """Waits for a report job to complete, polling the bound ``get_organizations_access_report``."""

    name = WAITER_NAME

    def __init__(
        self,
        method: Callable[..., Mapping[str, Any]],
        *,
        sleep: Callable[[float], object] = time.sleep,
        delay: int | float = DEFAULT_DELAY,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        if not callable(method):
            raise TypeError(f"Waiter needs the bound operation method, got {method!r}")
        self._method = method
        self._sleep = sleep
        self.delay = delay
        self.max_attempts = max_attempts

    def wait(self, *, WaiterConfig: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        """Poll until the job is COMPLETED; ``kwargs`` are the operation's (``JobId``)."""
        config = dict(WaiterConfig or {})
        unknown = set(config) - {"Delay", "MaxAttempts"}
        if unknown:
            raise ConfigurationError(
                f"unknown WaiterConfig keys {sorted(unknown)}", code="InvalidWaiterConfig"
            )
        delay = _config_value(config, "Delay", self.delay)  # type: ignore[arg-type]
        attempts = int(_config_value(config, "MaxAttempts", self.max_attempts))
        last: Mapping[str, Any] = {}
        for attempt in range(1, attempts + 1):
            try:
                last = self._method(**kwargs)
            except Exception as exc:
                response = getattr(exc, "response", None)
                if not isinstance(response, Mapping) or "Error" not in response:
                    raise
                error = response["Error"]
                raise waiter_error(
                    self.name,
                    f"An error occurred ({error.get('Code')}): {error.get('Message')}",
                    response,
                ) from exc
            status = last.get("JobStatus")
            if status == "COMPLETED":
                return
            if status == "FAILED":
                raise waiter_error(
                    self.name,
                    'Waiter encountered a terminal failure state: For expression "JobStatus" '
                    'we matched expected path: "FAILED"',
                    last,
                )
            if attempt < attempts:
                self._sleep(delay)
        raise waiter_error(self.name, "Max attempts exceeded", last)
