"""Stack operations that take time: `python -m fleet_emulator --stack-seconds N`.

moto finishes CreateStack, UpdateStack, DeleteStack and ExecuteChangeSet before
it answers. With N > 0 each of them instead *looks* as if it ran for N seconds,
as on AWS, so that a client's waiting, progress display and Ctrl-C handling
can be tried locally. N = 0 (the default) leaves moto's behaviour as it is.

The pacing is lazy: the work is still done at once, and only what the stack
reports is held back.

- Resources exist, change or are gone as soon as the call returns: the IoT,
  DynamoDB, ... APIs, GetTemplate and ListStackResources show the final state
  at once. Only the stack's own reports below take time.
- The events the operation made get timestamps spread evenly over the N
  seconds: the stack's *_IN_PROGRESS event at once, its final event after N
  seconds. DescribeStackEvents shows an event only once its time has come.
- DescribeStacks and ListStacks report the status (and reason) of the stack's
  latest event shown so far: CREATE_IN_PROGRESS, UPDATE_IN_PROGRESS,
  DELETE_IN_PROGRESS and, for a failure, ROLLBACK_IN_PROGRESS or
  UPDATE_ROLLBACK_IN_PROGRESS before the final status. Outputs stay as they
  were before the operation (none while a stack is being created).
- A stack being deleted is still found by name (DescribeStacks,
  DescribeStackEvents, ...) until its deletion has finished, and its name
  cannot be taken by a new stack before then.
- DescribeChangeSet and ListChangeSets show EXECUTE_IN_PROGRESS for a change
  set whose execution has not finished.
- A stack still in progress refuses new operations as CloudFormation does:
  UpdateStack, CreateChangeSet and ExecuteChangeSet with "Stack:ID is in
  STATUS state and can not be updated.", DeleteStack with "Stack [NAME] cannot
  be deleted while in status STATUS". As on AWS, DeleteStack is accepted while
  a stack is still CREATE_IN_PROGRESS: the creation's remaining resource
  events show at once, its final stack events are dropped, and the deletion
  starts its own N seconds.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from moto.cloudformation.exceptions import AlreadyExistsException, ValidationError
from moto.cloudformation.models import CloudFormationBackend
from moto.cloudformation.models import Stack as MotoStack
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult
from moto.core.utils import utcnow

from .stacks import _wraps

_seconds = 0.0


def configure(stack_seconds: float) -> None:
    """How long each stack operation appears to take from now on."""
    global _seconds
    if stack_seconds < 0:
        raise ValueError(f"stack seconds must be 0 or more, got {stack_seconds}")
    _seconds = stack_seconds


@dataclass
class _Operation:
    ends_at: datetime.datetime
    outputs: list[dict[str, Any]] | None  # what DescribeStacks shows until ends_at


# --- the state of a stack at this moment ---------------------------------------------


def _pending(stack: MotoStack) -> _Operation | None:
    operation: _Operation | None = getattr(stack, "fleet_operation", None)
    if operation is not None and utcnow() < operation.ends_at:
        return operation
    return None


def _is_stack_event(stack: MotoStack, event: Any) -> bool:
    # Events about the stack itself carry its id as their physical id.
    return event.physical_resource_id == stack.stack_id


def _shown(stack: MotoStack) -> tuple[str, str | None]:
    """The status and reason the stack reports now."""
    if _pending(stack) is not None:
        now = utcnow()
        for event in reversed(stack.events):
            if event.timestamp <= now and _is_stack_event(stack, event):
                return event.resource_status, event.resource_status_reason
    return stack.status, getattr(stack, "status_reason", None)


def _busy(stack: MotoStack) -> str | None:
    """The stack's *_IN_PROGRESS status while an operation is still running."""
    return _shown(stack)[0] if _pending(stack) is not None else None


class Stack:
    """A stack whose operation has not finished, as DescribeStacks and
    ListStacks show it: moto's stack with the status, reason and outputs of
    the moment. Named like moto's class because moto's serializer finds some
    fields by stripping the class name from the field name (StackName -> name)."""

    def __init__(self, stack: MotoStack, operation: _Operation):
        self._stack = stack
        self.status, self.status_reason = _shown(stack)
        self.outputs = operation.outputs

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stack, name)


def _as_shown(stack: MotoStack) -> Any:
    """What to show of the stack now: moto's own object unless an operation is pending."""
    operation = _pending(stack)
    return stack if operation is None else Stack(stack, operation)


class ChangeSet:
    """A change set whose execution has not finished, as DescribeChangeSet and
    ListChangeSets show it."""

    def __init__(self, change_set: Any):
        self._change_set = change_set
        self.execution_status = "EXECUTE_IN_PROGRESS"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._change_set, name)


def _change_set_as_shown(change_set: Any) -> Any:
    ends_at = getattr(change_set, "fleet_execution_ends_at", None)
    return ChangeSet(change_set) if ends_at is not None and utcnow() < ends_at else change_set


# --- pacing an operation ---------------------------------------------------------------


def _pace(stack: MotoStack, first_event: int, started: datetime.datetime, outputs: Any) -> None:
    """Spread the events from stack.events[first_event] on over the next N
    seconds, and remember when the operation will be seen to end."""
    events = stack.events[first_event:]
    if _seconds <= 0 or len(events) < 2:
        return
    span = datetime.timedelta(seconds=_seconds)
    last = len(events) - 1
    for index, event in enumerate(events):
        event.timestamp = started + span * (index / last)
    stack.fleet_operation = _Operation(ends_at=started + span, outputs=outputs)


def _cut_short(stack: MotoStack) -> None:
    """End a pending creation now, as a DeleteStack during CREATE_IN_PROGRESS
    does on AWS: resources still being made finish, the stack never reports
    the creation's outcome."""
    now = utcnow()
    kept = []
    for event in stack.events:
        if event.timestamp > now:
            if _is_stack_event(stack, event):
                continue
            event.timestamp = now
        kept.append(event)
    stack.events = kept
    stack.fleet_operation = None


def _refuse_update(stack: MotoStack) -> None:
    status = _busy(stack)
    if status is not None:
        raise ValidationError(
            stack.stack_id,
            message=f"Stack:{stack.stack_id} is in {status} state and can not be updated.",
        )


def _deleting(backend: CloudFormationBackend, name: str) -> MotoStack | None:
    """The stack of that name whose deletion has not finished yet, if any."""
    for stack in reversed(list(backend.deleted_stacks.values())):
        if stack.name == name and _pending(stack) is not None:
            return stack
    return None


# --- the four operations -----------------------------------------------------------------


def _create_stack(original, backend, name, *args, **kwargs):
    if _deleting(backend, name) is not None:
        raise AlreadyExistsException(f"Stack [{name}] already exists")
    started = utcnow()
    stack = original(backend, name, *args, **kwargs)
    _pace(stack, 0, started, outputs=None)
    return stack


def _update_stack(original, backend, name, *args, **kwargs):
    stack = backend.get_stack(name)
    _refuse_update(stack)
    first, outputs, started = len(stack.events), stack.outputs, utcnow()
    updated = original(backend, name, *args, **kwargs)
    _pace(stack, first, started, outputs)
    return updated


def _delete_stack(original, backend, name_or_stack_id):
    stacks = [s for s in backend.stacks.values() if name_or_stack_id in (s.name, s.stack_id)]
    for stack in stacks:  # every refusal before anything is deleted
        status = _busy(stack)
        if status == "CREATE_IN_PROGRESS":
            _cut_short(stack)
        elif status is not None:
            raise ValidationError(
                stack.stack_id,
                message=f"Stack [{name_or_stack_id}] cannot be deleted while in status {status}",
            )
    if name_or_stack_id not in backend.stacks:
        # By name (or nothing to delete): moto deletes each stack of that
        # name by its id, through this wrapper again, which paces it.
        return original(backend, name_or_stack_id)
    stack = backend.stacks[name_or_stack_id]
    first, outputs, started = len(stack.events), stack.outputs, utcnow()
    original(backend, name_or_stack_id)
    _pace(stack, first, started, outputs)


def _create_change_set(original, backend, stack_name, change_set_name, *args, **kwargs):
    if kwargs.get("change_set_type") == "UPDATE":
        _refuse_update(backend.get_stack(stack_name))
    elif _deleting(backend, stack_name) is not None:
        raise ValidationError(
            stack_name,
            message=f"Stack [{stack_name}] already exists and cannot be created "
            f"again with the changeSet [{change_set_name}].",
        )
    return original(backend, stack_name, change_set_name, *args, **kwargs)


def _execute_change_set(original, backend, change_set_name, stack_name=None):
    change_set = backend.describe_change_set(change_set_name)
    stack = backend.get_stack(change_set.stack_id)  # by id: a stack being deleted too
    _refuse_update(stack)
    first, outputs, started = len(stack.events), stack.outputs, utcnow()
    original(backend, change_set_name, stack_name)
    _pace(stack, first, started, outputs)
    operation = getattr(stack, "fleet_operation", None)
    if operation is not None:
        change_set.fleet_execution_ends_at = operation.ends_at


# --- what the stack reports ------------------------------------------------------------------


def _get_stack(original, backend, name_or_stack_id):
    try:
        return original(backend, name_or_stack_id)
    except ValidationError:
        # moto forgets a deleted stack's name at once; AWS answers to it until
        # the deletion has finished.
        deleting = _deleting(backend, name_or_stack_id)
        if deleting is None:
            raise
        return deleting


def _describe_stacks(original, backend, name_or_stack_id):
    try:
        stacks = original(backend, name_or_stack_id)
    except ValidationError:
        deleting = _deleting(backend, name_or_stack_id)
        if deleting is None:
            raise
        stacks = [deleting]
    if not name_or_stack_id:
        stacks = stacks + [s for s in backend.deleted_stacks.values() if _pending(s) is not None]
    return [_as_shown(s) for s in stacks]


def _list_stacks(original, backend, status_filter=None):
    # The filter applies to the status shown, so it is applied here, not by moto.
    shown = [_as_shown(s) for s in original(backend, None)]
    return [s for s in shown if not status_filter or s.status in status_filter]


def _describe_stack_events(original, backend, stack_name):
    now = utcnow()
    return [e for e in original(backend, stack_name) if e.timestamp <= now]


def _describe_change_set_request(original, response):
    # Here and not in the backend: the stack engine reads and changes the
    # real change set through backend.describe_change_set.
    result = original(response)
    return ActionResult(_change_set_as_shown(result.result))


def _list_change_sets_request(original, response):
    result = original(response)
    summaries = [_change_set_as_shown(c) for c in result.result["Summaries"]]
    return ActionResult({"Summaries": summaries})


def install() -> None:
    """Wrap the operations (after stacks.install(), so outside its fixes:
    refusals come before anything else) and the reports."""
    _wraps(CloudFormationBackend, "create_stack")(_create_stack)
    _wraps(CloudFormationBackend, "update_stack")(_update_stack)
    _wraps(CloudFormationBackend, "delete_stack")(_delete_stack)
    _wraps(CloudFormationBackend, "create_change_set")(_create_change_set)
    _wraps(CloudFormationBackend, "execute_change_set")(_execute_change_set)
    _wraps(CloudFormationBackend, "get_stack")(_get_stack)
    _wraps(CloudFormationBackend, "describe_stacks")(_describe_stacks)
    _wraps(CloudFormationBackend, "list_stacks")(_list_stacks)
    _wraps(CloudFormationBackend, "describe_stack_events")(_describe_stack_events)
    _wraps(CloudFormationResponse, "describe_change_set")(_describe_change_set_request)
    _wraps(CloudFormationResponse, "list_change_sets")(_list_change_sets_request)
