"""Generated activity for the built-in example organization (used by ``orgaccess demo``).

Deterministic: the same events every run (a seeded generator, a fixed
``DEMO_AS_OF``), so the demo's output can be compared across versions.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from ..model.events import AccessEvent
from ..model.organization import Organization

__all__ = ["DEMO_AS_OF", "demo_events"]

#: The creation time of every demo report.
DEMO_AS_OF = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

_POPULAR = ("s3", "ec2", "sts", "iam", "cloudwatch", "logs", "lambda", "dynamodb", "kms", "sqs")
_OCCASIONAL = ("rds", "sns", "ecr", "ecs", "cloudformation", "secretsmanager", "ssm", "athena")
_REGIONS = ("us-east-1", "us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2")
_TYPES = ("AssumedRole", "AssumedRole", "AssumedRole", "IAMUser", "Root")


def demo_events(
    organization: Organization, *, seed: int = 2019, per_account: int = 60
) -> Iterator[AccessEvent]:
    """Plausible access events for every account of ``organization``.

    Most attempts fall in the last 90 days; some are older than the 400-day
    tracking period (they must not show), a few are denied.
    """
    rng = random.Random(seed)
    for account in organization.accounts:
        services = list(_POPULAR[: rng.randint(3, len(_POPULAR))])
        services += rng.sample(_OCCASIONAL, rng.randint(0, 3))
        for _ in range(per_account):
            namespace = rng.choice(services)
            if rng.random() < 0.9:
                age = timedelta(minutes=rng.randint(5, 90 * 24 * 60))
            else:
                age = timedelta(days=rng.randint(91, 520))
            kind = rng.choice(_TYPES)
            session = rng.randint(1, 9)
            yield AccessEvent(
                account_id=account.id,
                service_namespace=namespace,
                region=rng.choice(_REGIONS),
                time=DEMO_AS_OF - age,
                principal_type=kind,
                principal_arn=(
                    f"arn:aws:iam::{account.id}:root"
                    if kind == "Root"
                    else f"arn:aws:sts::{account.id}:assumed-role/Developer/s{session}"
                ),
                denied=rng.random() < 0.05,
            )
