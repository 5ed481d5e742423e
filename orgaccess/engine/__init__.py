"""Pure computation: SCP evaluation with explanations, the report, its sort orders, change impact.

This package only re-exports; each name lives in the module named in its import.
"""

from .arnmatch import (
    MAX_SEARCH_STEPS,
    ResourceSpec,
    SearchResult,
    find_surviving_arn,
    search_surviving_arn,
    some_arn_survives,
)
from .change_impact import (
    DEFAULT_WINDOW_DAYS,
    AccessChange,
    EntityImpact,
    Impact,
    impact,
)
from .evaluation import (
    Basis,
    Evaluator,
    Explanation,
    LevelExplanation,
    ResourceMode,
    StatementRef,
    check_evaluation_options,
)
from .explain import (
    Combination,
    explain_combination,
    explain_unlimited,
)
from .report import (
    DEFAULT_TRACKING_DAYS,
    MAX_TRACKING_DAYS,
    AccessDetail,
    PolicyScope,
    Report,
    ReportOptions,
    build_report,
    counted_accounts,
)
from .sorting import (
    SortKey,
    sort_details,
)

__all__ = [
    "AccessChange",
    "AccessDetail",
    "Basis",
    "Combination",
    "DEFAULT_TRACKING_DAYS",
    "DEFAULT_WINDOW_DAYS",
    "EntityImpact",
    "MAX_TRACKING_DAYS",
    "Evaluator",
    "Explanation",
    "Impact",
    "LevelExplanation",
    "MAX_SEARCH_STEPS",
    "PolicyScope",
    "Report",
    "ReportOptions",
    "ResourceMode",
    "ResourceSpec",
    "SearchResult",
    "SortKey",
    "StatementRef",
    "build_report",
    "check_evaluation_options",
    "counted_accounts",
    "explain_combination",
    "explain_unlimited",
    "find_surviving_arn",
    "impact",
    "search_surviving_arn",
    "some_arn_survives",
    "sort_details",
]
