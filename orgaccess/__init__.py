"""orgaccess: a model of the AWS IAM Organizations access report."""

from .errors import OrgAccessError
from .events import AccessEvent, ActivityIndex
from .ids import EntityPath

__all__ = ["AccessEvent", "ActivityIndex", "EntityPath", "OrgAccessError"]
