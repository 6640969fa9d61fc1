"""Fixes to moto's CloudFormation stack engine, for any resource type.

What moto 5.2.5 does, and what this module makes it do instead (as AWS does):

- UpdateStack on a type without an update handler stores None in place of the
  resource, so later Ref/GetAtt resolve to nothing and stack deletion leaks
  it. -> the resource is kept as it was (and a warning is logged).
- CreateChangeSet without ChangeSetType means CREATE, which makes a second
  stack of the same name. -> it means UPDATE; CREATE for a name that already
  has a stack is refused, unless that stack is still in REVIEW_IN_PROGRESS.
- UpdateStack with nothing changed succeeds. -> "No updates are to be performed."
- Executing a change set leaves the stack's Outputs as they were before (none
  for a stack made by a CREATE change set). -> they follow the new template.
- A resource failing during CreateStack (or a CREATE change set) leaves the
  stack in CREATE_IN_PROGRESS and the half-made resources in place, and the
  caller gets the resource API's raw error (often unparseable as a
  CloudFormation reply). -> the call succeeds, the created resources are
  deleted again and the stack ends in ROLLBACK_COMPLETE, with the failing
  resource and its error in the events.
- A resource failing during UpdateStack (or an UPDATE change set) leaves the
  stack half-updated with the old status. -> the previous template is applied
  again and the stack ends in UPDATE_ROLLBACK_COMPLETE (UPDATE_ROLLBACK_FAILED
  if that fails too).
- Reading a deleted stack (DescribeStacks by id, its Outputs) or a rolled-back
  one re-creates its resources, as moto makes resources lazily on first read.
  -> those stacks forget their resources.
- A resource failing during DeleteStack makes the stack vanish (and the call
  answer HTTP 500). -> the stack stays, in DELETE_FAILED; delete can be retried.
- DescribeChangeSet, ExecuteChangeSet and DeleteChangeSet look a change set
  name up among every stack's change sets, so two stacks with change sets of
  the same name (fleet names them by the millisecond, and creates shards' in
  parallel) get each other's. -> a name is looked up within the stack the
  call names; ListChangeSets lists every stack's. -> only the named stack's.
- Stack events name only the stack. -> resources get CREATE_IN_PROGRESS,
  CREATE_COMPLETE, CREATE_FAILED, UPDATE_COMPLETE, UPDATE_FAILED,
  DELETE_COMPLETE and DELETE_SKIPPED (DeletionPolicy: Retain) events as well.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Callable
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Event, Stack, cloudformation_backends
from moto.cloudformation.parsing import OutputMap
from moto.cloudformation.responses import CloudFormationResponse

log = logging.getLogger("fleet_emulator")


def _wraps(owner: Any, name: str) -> Callable[[Callable[..., Any]], None]:
    """Replace owner.name with the decorated function, which receives the
    original as its first argument (then self, for methods)."""

    def install(wrapper: Callable[..., Any]) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def replacement(*args: Any, **kwargs: Any) -> Any:
            return wrapper(original, *args, **kwargs)

        setattr(owner, name, replacement)

    return install


# --- events --------------------------------------------------------------------


def _stack_of(resources_map: parsing.ResourceMap) -> Stack | None:
    return getattr(resources_map, "fleet_stack", None)  # see _create_resource_map


def _create_resource_map(original, stack):
    # Resource hooks need the stack for events; moto's ResourceMap only has its
    # id, and a stack being deleted is no longer listed in its backend.
    resources_map = original(stack)
    resources_map.fleet_stack = stack
    return resources_map


def _event(
    stack: Stack,
    status: str,
    reason: str | None = None,
    logical_id: str | None = None,
    resource_type: str = "AWS::CloudFormation::Stack",
    physical_id: str | None = None,
) -> None:
    if logical_id is None:  # an event about the stack itself
        stack.status = status
        stack.status_reason = reason  # DescribeStacks' StackStatusReason
        logical_id, physical_id = stack.name, stack.stack_id
    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical_id or "",
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


def _reason(error: BaseException) -> str:
    message = getattr(error, "message", None) or getattr(error, "description", None) or str(error)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


# --- resource-level hooks ------------------------------------------------------------------


def _create_resource(original, logical_id, resource_json, resources_map, account_id, region_name):
    stack = _stack_of(resources_map)
    resource_type = resource_json.get("Type", "")
    if stack is not None:
        _event(stack, "CREATE_IN_PROGRESS", logical_id=logical_id, resource_type=resource_type)
    try:
        resource = original(logical_id, resource_json, resources_map, account_id, region_name)
    except Exception as error:
        # Resources are created lazily, one inside another's Ref; the innermost
        # failure is the one to report.
        if not hasattr(error, "fleet_failed_resource"):
            error.fleet_failed_resource = logical_id  # type: ignore[attr-defined]
            error.fleet_failed_action = "create"  # type: ignore[attr-defined]
            if stack is not None:
                _event(stack, "CREATE_FAILED", _reason(error), logical_id, resource_type)
        raise
    if stack is not None:
        physical = getattr(resource, "physical_resource_id", None)
        _event(stack, "CREATE_COMPLETE", None, logical_id, resource_type, physical)
    return resource


def _update_resource(original, logical_id, resource_json, resources_map, account_id, region_name):
    try:
        updated = original(logical_id, resource_json, resources_map, account_id, region_name)
    except Exception as error:
        # No event yet: moto retries failed updates (for dependency order).
        if not hasattr(error, "fleet_failed_resource"):
            error.fleet_failed_resource = logical_id  # type: ignore[attr-defined]
            error.fleet_failed_action = "update"  # type: ignore[attr-defined]
        raise
    if updated is None:
        log.warning(
            "no update support for %s (%s); left unchanged", resource_json.get("Type"), logical_id
        )
        # _parsed_resources, not resources_map[...]: indexing would create it.
        updated = resources_map._parsed_resources.get(logical_id)
    stack = _stack_of(resources_map)
    if stack is not None:
        physical = getattr(updated, "physical_resource_id", None)
        _event(stack, "UPDATE_COMPLETE", None, logical_id, resource_json.get("Type", ""), physical)
    return updated


def _delete_resource(original, resources_map, resource, resource_json):
    original(resources_map, resource, resource_json)
    stack = _stack_of(resources_map)
    if stack is not None:
        physical = getattr(resource, "physical_resource_id", None)
        logical = getattr(resource, "logical_resource_id", "")
        _event(stack, "DELETE_COMPLETE", None, logical, resource_json.get("Type", ""), physical)


def _delete_resources(original, resources_map):
    original(resources_map)
    stack = _stack_of(resources_map)
    if stack is None:
        return
    for logical_id, resource_json in resources_map._resource_json_map.items():
        resource = resources_map._parsed_resources.get(logical_id)
        if resource_json.get("DeletionPolicy") == "Retain" and resource is not None:
            physical = getattr(resource, "physical_resource_id", None)
            _event(
                stack, "DELETE_SKIPPED", None, logical_id, resource_json.get("Type", ""), physical
            )


# --- rollbacks ------------------------------------------------------------------------


def _failed(error: BaseException) -> str:
    return getattr(error, "fleet_failed_resource", None) or "unknown"


def _roll_back_create(stack: Stack, error: BaseException) -> None:
    log.warning("stack %s failed to create, rolling back: %s", stack.name, _reason(error))
    _event(
        stack,
        "ROLLBACK_IN_PROGRESS",
        f"The following resource(s) failed to create: [{_failed(error)}]. "
        "Rollback requested by user.",
    )
    try:
        stack.resource_map.delete()  # skips DeletionPolicy: Retain, as AWS does
    except Exception as second:
        _event(stack, "ROLLBACK_FAILED", _reason(second))
        return
    backend = cloudformation_backends[stack.account_id][stack.region_name]
    for name, export in list(backend.exports.items()):
        if export.exporting_stack_id == stack.stack_id:
            del backend.exports[name]
    _retire(stack)
    _event(stack, "ROLLBACK_COMPLETE")


def _retire(stack: Stack) -> None:
    """Forget the resources of a deleted or rolled-back stack. moto's resource
    map creates a resource whenever it is read and not yet made, so reading a
    deleted stack's Outputs or resource list would create them all again."""
    stack.resource_map._resource_json_map = {}
    stack.output_map = OutputMap(stack.resource_map, {}, stack.stack_id)


def _roll_back_update(
    stack: Stack, previous: tuple[Any, dict[str, Any], dict[str, Any]], error: BaseException
) -> None:
    log.warning("stack %s failed to update, rolling back: %s", stack.name, _reason(error))
    template, template_dict, parameters = previous
    failed = _failed(error)
    action = getattr(error, "fleet_failed_action", "update")
    if action == "update":  # a failed create has had its CREATE_FAILED event already
        resource_type = stack.resource_map._resource_json_map.get(failed, {}).get("Type", "")
        _event(stack, "UPDATE_FAILED", _reason(error), failed, resource_type)
    _event(
        stack,
        "UPDATE_ROLLBACK_IN_PROGRESS",
        f"The following resource(s) failed to {action}: [{failed}].",
    )
    try:
        stack.resource_map.update(template_dict, parameters)
    except Exception as second:
        _event(stack, "UPDATE_ROLLBACK_FAILED", _reason(second))
        return
    stack.template = template
    stack._parse_template()
    stack.output_map = stack._create_output_map()
    stack.parameters = parameters
    _event(stack, "UPDATE_ROLLBACK_COMPLETE")


def _snapshot(stack: Stack) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    stack._parse_template()
    return stack.template, copy.deepcopy(stack.template_dict), dict(stack.parameters)


# --- stack operations -------------------------------------------------------------------


def _create_resources(original, stack):
    try:
        original(stack)
    except Exception as error:
        _roll_back_create(stack, error)


def _update_stack(original, backend, name, template, role_arn, parameters, tags):
    stack = backend.get_stack(name)
    unchanged = (
        stack.has_template(template)
        and backend._resolve_update_parameters(instance=stack, incoming_params=parameters)
        == stack.parameters
        and (tags is None or tags == stack.tags)
    )
    if unchanged:
        raise ValidationError(stack.stack_id, message="No updates are to be performed.")
    previous = _snapshot(stack)
    try:
        return original(backend, name, template, role_arn, parameters, tags)
    except Exception as error:
        _roll_back_update(stack, previous, error)
        return stack


def _delete(original, stack):
    original(stack)
    _retire(stack)


def _delete_stack(original, backend, name_or_stack_id):
    stacks = [s for s in backend.stacks.values() if name_or_stack_id in (s.name, s.stack_id)]
    try:
        original(backend, name_or_stack_id)
    except Exception as error:
        # moto has already moved the stack out of its live stacks; on AWS it
        # stays, in DELETE_FAILED, and DeleteStack can be retried.
        for stack in stacks:
            backend.deleted_stacks.pop(stack.stack_id, None)
            backend.stacks[stack.stack_id] = stack
            _event(stack, "DELETE_FAILED", _reason(error))


def _create_change_set(
    original, backend, stack_name, change_set_name, *args, change_set_type, **kwargs
):
    if change_set_type == "CREATE":
        for stack in list(backend.stacks.values()):
            if stack.name != stack_name:
                continue
            if stack.status != "REVIEW_IN_PROGRESS":
                raise ValidationError(
                    stack_name,
                    message=f"Stack [{stack_name}] already exists and cannot be created "
                    f"again with the changeSet [{change_set_name}].",
                )
            # A stack still under review takes another CREATE change set; moto
            # would add a second stack of that name, so the empty one goes.
            del backend.stacks[stack.stack_id]
    return original(
        backend, stack_name, change_set_name, *args, change_set_type=change_set_type, **kwargs
    )


def _execute_change_set(original, backend, change_set_name, stack_name=None):
    change_set = backend.describe_change_set(change_set_name)
    if change_set.execution_status != "AVAILABLE":
        raise ValidationError(
            change_set.change_set_id,
            message=f"ChangeSet [{change_set.change_set_id}] cannot be executed in its "
            f"current execution status of [{change_set.execution_status}]",
        )
    stack = backend.stacks[change_set.stack_id]
    previous = _snapshot(stack) if change_set.change_set_type == "UPDATE" else None
    try:
        original(backend, change_set_name, stack_name)
    except Exception as error:
        change_set.execution_status = "EXECUTE_FAILED"
        if change_set.change_set_type == "CREATE":
            _roll_back_create(stack, error)
        else:
            _roll_back_update(stack, previous, error)  # type: ignore[arg-type]
        return
    # moto keeps the outputs (and description) the stack had before: none at
    # all for a stack made by a CREATE change set.
    stack._parse_template()
    stack.description = stack.template_dict.get("Description")
    stack.output_map = stack._create_output_map()
    for export in stack.exports:
        backend.exports[export.name] = export


def _create_change_set_request(original, response):
    # The handler reads ChangeSetType with "CREATE" as its default; AWS's is UPDATE.
    get_param = response._get_param

    def get_param_defaulting_to_update(name: str, if_none: Any = None) -> Any:
        if name == "ChangeSetType":
            return get_param(name) or "UPDATE"
        return get_param(name, if_none)

    response._get_param = get_param_defaulting_to_update
    return original(response)


def _scoped_to_stack(original, response):
    # A change set's name is unique only within its stack: turn a name into
    # the ARN of the change set of that name in the stack the call names.
    name, stack = response._get_param("ChangeSetName"), response._get_param("StackName")
    if name and stack and not name.startswith("arn:"):
        for arn, change_set in response.cloudformation_backend.change_sets.items():
            if change_set.change_set_name == name and stack in (
                change_set.stack_name,
                change_set.stack_id,
            ):
                get_param = response._get_param

                def get_param_by_arn(key: str, if_none: Any = None, arn: str = arn) -> Any:
                    return arn if key == "ChangeSetName" else get_param(key, if_none)

                response._get_param = get_param_by_arn
                break
    return original(response)


def _list_change_sets(original, response):
    stack = response._get_param("StackName")
    backend = response.cloudformation_backend
    every = backend.list_change_sets

    def of_the_stack() -> list[Any]:
        return [c for c in every() if stack in (c.stack_name, c.stack_id)]

    backend.list_change_sets = of_the_stack
    try:
        return original(response)
    finally:
        del backend.list_change_sets


def install() -> None:
    # Module functions are looked up at call time, so replacing them in
    # `parsing` reaches every caller inside moto.
    _wraps(parsing, "parse_and_create_resource")(_create_resource)
    _wraps(parsing, "parse_and_update_resource")(_update_resource)
    _wraps(parsing.ResourceMap, "_delete_resource")(_delete_resource)
    _wraps(parsing.ResourceMap, "delete")(_delete_resources)
    _wraps(Stack, "_create_resource_map")(_create_resource_map)
    _wraps(Stack, "create_resources")(_create_resources)
    _wraps(Stack, "delete")(_delete)
    _wraps(CloudFormationBackend, "update_stack")(_update_stack)
    _wraps(CloudFormationBackend, "delete_stack")(_delete_stack)
    _wraps(CloudFormationBackend, "create_change_set")(_create_change_set)
    _wraps(CloudFormationBackend, "execute_change_set")(_execute_change_set)
    _wraps(CloudFormationResponse, "create_change_set")(_create_change_set_request)
    for action in ("describe_change_set", "execute_change_set", "delete_change_set"):
        _wraps(CloudFormationResponse, action)(_scoped_to_stack)
    _wraps(CloudFormationResponse, "list_change_sets")(_list_change_sets)
