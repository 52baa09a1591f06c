"""The recommendation workflow: apply, reject, postpone, rollback, bulk apply (decision 004)."""

from data.settings import Role
from data.workflow.outcome import Outcome
from data.workflow.policy import ROLES, WorkflowPolicy
from data.workflow.service import Workflow

__all__ = ["ROLES", "Outcome", "Role", "Workflow", "WorkflowPolicy"]
