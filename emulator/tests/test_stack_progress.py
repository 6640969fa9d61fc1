"""Stack operations that take time (`--stack-seconds`): what a client polling
the stack sees while an operation runs, and what it may not do meanwhile.

One emulator process runs with SECONDS for the whole module; each test
watches real operations through DescribeStacks, ListStacks and
DescribeStackEvents, as fleet's progress display and waiting do.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import Emulator, body, outputs, reset, status

SECONDS = 2.0
SLACK = 5.0  # how much later than SECONDS a loaded machine may show the end


@pytest.fixture(scope="module")
def slow_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    log = tmp_path_factory.mktemp("slow-emulator") / "server.log"
    server = Emulator(log, "--stack-seconds", str(SECONDS))
    yield server
    server.stop()


@pytest.fixture
def aws(slow_emulator: Emulator) -> Callable[[str], Any]:
    """aws("cloudformation") -> a client of the slow emulator, emptied first."""
    reset(slow_emulator.url)
    return slow_emulator.client


def thing(name: str, **attributes: str) -> dict[str, Any]:
    return {
        "Type": "AWS::IoT::Thing",
        "Properties": {"ThingName": name, "AttributePayload": {"Attributes": attributes}},
    }


BROKEN_GROUP = {
    "Type": "AWS::IoT::ThingGroup",
    "Properties": {"ThingGroupName": "g", "ParentGroupName": "missing"},
}


def template(outputs_: dict[str, Any] | None = None, **resources: Any) -> str:
    return body({"Resources": resources, **({"Outputs": outputs_} if outputs_ else {})})


def watch(cfn: Any, stack: str, started: float) -> list[tuple[float, str, int]]:
    """Polls the stack until it leaves *_IN_PROGRESS: (seconds since started,
    status, events shown) after each poll. Bounded by SECONDS + SLACK."""
    seen = []
    while time.monotonic() - started < SECONDS + SLACK:
        current = status(cfn, stack)
        shown = len(cfn.describe_stack_events(StackName=stack)["StackEvents"])
        seen.append((time.monotonic() - started, current, shown))
        if not current.endswith("_IN_PROGRESS"):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"{stack} still in progress after {SECONDS + SLACK} s: {seen[-1]}")


def statuses(seen: list[tuple[float, str, int]]) -> list[str]:
    """The distinct statuses, in the order they were seen."""
    order: list[str] = []
    for _, current, _ in seen:
        if not order or order[-1] != current:
            order.append(current)
    return order


def refused(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    return caught.value.response["Error"]["Message"]


def test_create_is_in_progress_for_the_configured_time(aws):
    cfn = aws("cloudformation")
    started = time.monotonic()
    stack_id = cfn.create_stack(
        StackName="s",
        TemplateBody=template({"Name": {"Value": {"Ref": "A"}}}, A=thing("a"), B=thing("b")),
    )["StackId"]
    described = cfn.describe_stacks(StackName="s")["Stacks"][0]
    assert described["StackStatus"] == "CREATE_IN_PROGRESS"
    assert "Outputs" not in described  # none until the stack is created
    listed = cfn.list_stacks()["StackSummaries"]
    assert [(s["StackId"], s["StackStatus"]) for s in listed] == [(stack_id, "CREATE_IN_PROGRESS")]
    assert cfn.list_stacks(StackStatusFilter=["CREATE_COMPLETE"])["StackSummaries"] == []
    # The resources themselves exist at once.
    assert sorted(t["thingName"] for t in aws("iot").list_things()["things"]) == ["a", "b"]

    seen = watch(cfn, "s", started)
    assert statuses(seen) == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert SECONDS <= seen[-1][0] < SECONDS + SLACK
    counts = [shown for _, _, shown in seen]
    assert counts == sorted(counts)
    assert len(set(counts)) >= 3, f"events did not appear gradually: {seen}"
    assert outputs(cfn, "s") == {"Name": "a"}
    listed = cfn.list_stacks(StackStatusFilter=["CREATE_COMPLETE"])["StackSummaries"]
    assert [s["StackId"] for s in listed] == [stack_id]

    events = cfn.describe_stack_events(StackName="s")["StackEvents"][::-1]
    assert [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events] == [
        ("s", "CREATE_IN_PROGRESS"),
        ("A", "CREATE_IN_PROGRESS"),
        ("A", "CREATE_COMPLETE"),
        ("B", "CREATE_IN_PROGRESS"),
        ("B", "CREATE_COMPLETE"),
        ("s", "CREATE_COMPLETE"),
    ]
    times = [e["Timestamp"].timestamp() for e in events]
    assert times[-1] - times[0] == pytest.approx(SECONDS, abs=0.01)
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    assert max(gaps) - min(gaps) < 0.01  # spread evenly


def test_a_stack_in_progress_refuses_other_operations(aws):
    cfn = aws("cloudformation")
    started = time.monotonic()
    stack_id = cfn.create_stack(
        StackName="s", TemplateBody=template({"V": {"Value": "1"}}, A=thing("a", v="1"))
    )["StackId"]
    busy = f"Stack:{stack_id} is in CREATE_IN_PROGRESS state and can not be updated."
    assert refused(
        lambda: cfn.update_stack(StackName="s", TemplateBody=template(A=thing("a", v="2")))
    ) == busy
    assert refused(
        lambda: cfn.create_change_set(
            StackName="s", ChangeSetName="c", TemplateBody=template(A=thing("a", v="2"))
        )
    ) == busy
    watch(cfn, "s", started)

    change_set = cfn.create_change_set(
        StackName="s", ChangeSetName="later", TemplateBody=template(A=thing("a", v="3"))
    )["Id"]
    started = time.monotonic()
    cfn.update_stack(
        StackName="s", TemplateBody=template({"V": {"Value": "2"}}, A=thing("a", v="2"))
    )
    assert status(cfn, "s") == "UPDATE_IN_PROGRESS"
    assert outputs(cfn, "s") == {"V": "1"}  # the outputs of before, until the update is done
    assert aws("iot").describe_thing(thingName="a")["attributes"] == {"v": "2"}
    busy = f"Stack:{stack_id} is in UPDATE_IN_PROGRESS state and can not be updated."
    assert refused(lambda: cfn.execute_change_set(ChangeSetName=change_set)) == busy
    assert refused(
        lambda: cfn.update_stack(StackName="s", TemplateBody=template(A=thing("a", v="4")))
    ) == busy
    assert (
        refused(lambda: cfn.delete_stack(StackName="s"))
        == "Stack [s] cannot be deleted while in status UPDATE_IN_PROGRESS"
    )

    assert statuses(watch(cfn, "s", started)) == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"]
    assert outputs(cfn, "s") == {"V": "2"}
    # Nothing that was refused ran.
    assert aws("iot").describe_thing(thingName="a")["attributes"] == {"v": "2"}


def test_a_stack_being_deleted_keeps_its_name_until_done(aws):
    cfn = aws("cloudformation")
    started = time.monotonic()
    stack_id = cfn.create_stack(StackName="s", TemplateBody=template(A=thing("a")))["StackId"]
    watch(cfn, "s", started)

    started = time.monotonic()
    cfn.delete_stack(StackName="s")
    assert status(cfn, "s") == "DELETE_IN_PROGRESS"  # still found by name
    assert aws("iot").list_things()["things"] == []  # the resources are gone at once
    with pytest.raises(ClientError, match=r"AlreadyExistsException.*Stack \[s\] already exists"):
        cfn.create_stack(StackName="s", TemplateBody=template(A=thing("a")))
    assert (
        refused(lambda: cfn.update_stack(StackName="s", TemplateBody=template(A=thing("b"))))
        == f"Stack:{stack_id} is in DELETE_IN_PROGRESS state and can not be updated."
    )
    cfn.delete_stack(StackName="s")  # deleting again while deleting: accepted, as on AWS
    shown = cfn.describe_stack_events(StackName="s")["StackEvents"]
    assert shown[0]["ResourceStatus"] == "DELETE_IN_PROGRESS"

    seen = []
    while time.monotonic() - started < SECONDS + SLACK:
        try:
            seen.append(status(cfn, "s"))
        except ClientError as error:
            assert error.response["Error"]["Message"] == "Stack with id s does not exist"
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"still found by name after {SECONDS + SLACK} s")
    assert time.monotonic() - started >= SECONDS
    assert set(seen) == {"DELETE_IN_PROGRESS"}
    assert status(cfn, stack_id) == "DELETE_COMPLETE"
    listed = cfn.list_stacks()["StackSummaries"]
    assert [(s["StackId"], s["StackStatus"]) for s in listed] == [(stack_id, "DELETE_COMPLETE")]
    cfn.create_stack(StackName="s", TemplateBody=template(A=thing("a")))  # the name is free again


def test_delete_during_create_is_accepted(aws):
    cfn = aws("cloudformation")
    stack_id = cfn.create_stack(StackName="s", TemplateBody=template(A=thing("a"), B=thing("b")))[
        "StackId"
    ]
    started = time.monotonic()
    cfn.delete_stack(StackName="s")
    assert status(cfn, "s") == "DELETE_IN_PROGRESS"
    assert aws("iot").list_things()["things"] == []
    while status(cfn, stack_id) != "DELETE_COMPLETE":
        assert time.monotonic() - started < SECONDS + SLACK
        time.sleep(0.05)
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"][::-1]
    of_the_stack = [e["ResourceStatus"] for e in events if e["LogicalResourceId"] == "s"]
    # The creation never reports an outcome: the deletion took over.
    assert of_the_stack == ["CREATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"]
    resource_events = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events]
    assert ("B", "CREATE_COMPLETE") in resource_events  # shown at once, not dropped


def test_failed_create_shows_its_rollback_in_progress(aws):
    cfn = aws("cloudformation")
    started = time.monotonic()
    cfn.create_stack(StackName="bad", TemplateBody=template(A=thing("a"), G=BROKEN_GROUP))
    assert statuses(watch(cfn, "bad", started)) == [
        "CREATE_IN_PROGRESS",
        "ROLLBACK_IN_PROGRESS",
        "ROLLBACK_COMPLETE",
    ]
    reason = cfn.describe_stacks(StackName="bad")["Stacks"][0]
    assert "StackStatusReason" not in reason  # as without --stack-seconds


def test_failed_update_shows_its_rollback_in_progress(aws):
    cfn = aws("cloudformation")
    started = time.monotonic()
    cfn.create_stack(StackName="s", TemplateBody=template(A=thing("a", v="1")))
    watch(cfn, "s", started)
    started = time.monotonic()
    cfn.update_stack(
        StackName="s", TemplateBody=template(A=thing("a", v="2"), B=thing("b"), G=BROKEN_GROUP)
    )
    seen = watch(cfn, "s", started)
    assert statuses(seen) == [
        "UPDATE_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    ]
    rolling_back = cfn.describe_stack_events(StackName="s")["StackEvents"]
    reasons = [
        e.get("ResourceStatusReason")
        for e in rolling_back
        if e["ResourceStatus"] == "UPDATE_ROLLBACK_IN_PROGRESS"
    ]
    assert reasons == ["The following resource(s) failed to create: [G]."]
    assert aws("iot").describe_thing(thingName="a")["attributes"] == {"v": "1"}


def test_change_set_execution_takes_time(aws):
    cfn = aws("cloudformation")
    created = cfn.create_change_set(
        StackName="new",
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=template(A=thing("a")),
    )
    assert status(cfn, "new") == "REVIEW_IN_PROGRESS"  # not an operation: nothing to wait for
    started = time.monotonic()
    cfn.execute_change_set(ChangeSetName=created["Id"])
    assert status(cfn, "new") == "CREATE_IN_PROGRESS"
    described = cfn.describe_change_set(ChangeSetName=created["Id"])
    assert (described["Status"], described["ExecutionStatus"]) == (
        "CREATE_COMPLETE",
        "EXECUTE_IN_PROGRESS",
    )
    listed = cfn.list_change_sets(StackName="new")["Summaries"]
    assert [c["ExecutionStatus"] for c in listed] == ["EXECUTE_IN_PROGRESS"]
    assert statuses(watch(cfn, "new", started)) == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    described = cfn.describe_change_set(ChangeSetName=created["Id"])
    assert described["ExecutionStatus"] == "EXECUTE_COMPLETE"
    with pytest.raises(ClientError, match="cannot be executed"):
        cfn.execute_change_set(ChangeSetName=created["Id"])


def test_every_way_of_describing_shows_the_same_moment(aws):
    cfn = aws("cloudformation")
    stack_id = cfn.create_stack(StackName="s", TemplateBody=template(A=thing("a")))["StackId"]
    assert status(cfn, stack_id) == "CREATE_IN_PROGRESS"
    everything = cfn.describe_stacks()["Stacks"]
    assert [(s["StackId"], s["StackStatus"]) for s in everything] == [
        (stack_id, "CREATE_IN_PROGRESS")
    ]
    cfn.delete_stack(StackName=stack_id)
    assert status(cfn, stack_id) == "DELETE_IN_PROGRESS"
    everything = cfn.describe_stacks()["Stacks"]  # AWS lists a stack until it is deleted
    assert [(s["StackId"], s["StackStatus"]) for s in everything] == [
        (stack_id, "DELETE_IN_PROGRESS")
    ]
