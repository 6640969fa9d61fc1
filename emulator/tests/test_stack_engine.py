"""Stack-level behaviour a deploy tool relies on: change sets, no-op updates,
rollbacks and the events that report them."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import body, outputs, status


def thing(name: str, **attributes: str) -> dict[str, Any]:
    return {
        "Type": "AWS::IoT::Thing",
        "Properties": {"ThingName": name, "AttributePayload": {"Attributes": attributes}},
    }


BROKEN_GROUP = {
    "Type": "AWS::IoT::ThingGroup",
    "Properties": {"ThingGroupName": "g", "ParentGroupName": "missing"},
}


def template(**resources: Any) -> str:
    return body({"Resources": resources})


def events(cfn: Any, stack: str) -> list[tuple[str, str]]:
    """(logical id, status), oldest first."""
    listed = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    return [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(listed)]


def test_change_set_without_type_updates_the_existing_stack(aws):
    cfn = aws("cloudformation")
    cfn.create_stack(StackName="s", TemplateBody=template(A=thing("a", v="1")))
    created = cfn.create_change_set(
        StackName="s", ChangeSetName="next", TemplateBody=template(A=thing("a", v="2"))
    )
    assert created["StackId"] == cfn.describe_stacks(StackName="s")["Stacks"][0]["StackId"]
    described = cfn.describe_change_set(ChangeSetName=created["Id"])
    assert described["Status"] == "CREATE_COMPLETE"
    assert [c["ResourceChange"]["Action"] for c in described["Changes"]] == ["Modify"]
    assert status(cfn, "s") == "CREATE_COMPLETE"  # nothing applied before execution

    cfn.execute_change_set(ChangeSetName=created["Id"])
    assert status(cfn, "s") == "UPDATE_COMPLETE"
    assert aws("iot").describe_thing(thingName="a")["attributes"] == {"v": "2"}
    assert len(cfn.list_stacks()["StackSummaries"]) == 1

    with pytest.raises(ClientError, match="cannot be executed"):
        cfn.execute_change_set(ChangeSetName=created["Id"])


def test_change_set_without_type_for_a_missing_stack_is_refused(aws):
    with pytest.raises(ClientError, match="does not exist"):
        aws("cloudformation").create_change_set(
            StackName="nope", ChangeSetName="c", TemplateBody=template(A=thing("a"))
        )


def test_create_change_set_flow(aws):
    cfn = aws("cloudformation")

    def with_output(name: str) -> str:
        resources = {"A": thing(name)}
        return body({"Resources": resources, "Outputs": {"Thing": {"Value": {"Ref": "A"}}}})

    created = cfn.create_change_set(
        StackName="new",
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=with_output("a"),
    )
    assert status(cfn, "new") == "REVIEW_IN_PROGRESS"
    assert aws("iot").list_things()["things"] == []
    cfn.execute_change_set(ChangeSetName=created["Id"])
    assert status(cfn, "new") == "CREATE_COMPLETE"
    assert [t["thingName"] for t in aws("iot").list_things()["things"]] == ["a"]
    assert outputs(cfn, "new") == {"Thing": "a"}

    updated = cfn.create_change_set(
        StackName="new", ChangeSetName="second", TemplateBody=with_output("b")
    )
    cfn.execute_change_set(ChangeSetName=updated["Id"])
    assert outputs(cfn, "new") == {"Thing": "b"}

    with pytest.raises(ClientError, match="already exists"):
        cfn.create_change_set(
            StackName="new",
            ChangeSetName="again",
            ChangeSetType="CREATE",
            TemplateBody=template(A=thing("b")),
        )


def test_stack_under_review_takes_another_create_change_set(aws):
    cfn = aws("cloudformation")
    create = {"StackName": "r", "ChangeSetType": "CREATE"}
    cfn.create_change_set(ChangeSetName="one", TemplateBody=template(A=thing("a")), **create)
    second = cfn.create_change_set(
        ChangeSetName="two", TemplateBody=template(B=thing("b")), **create
    )
    cfn.execute_change_set(ChangeSetName=second["Id"])
    assert [s["StackStatus"] for s in cfn.describe_stacks()["Stacks"]] == ["CREATE_COMPLETE"]
    assert [t["thingName"] for t in aws("iot").list_things()["things"]] == ["b"]


def test_update_without_changes_is_refused(aws):
    cfn = aws("cloudformation")
    cfn.create_stack(StackName="same", TemplateBody=template(A=thing("a")))
    with pytest.raises(ClientError, match="No updates are to be performed"):
        cfn.update_stack(StackName="same", TemplateBody=template(A=thing("a")))
    change_set = cfn.create_change_set(
        StackName="same",
        ChangeSetName="noop",
        ChangeSetType="UPDATE",
        TemplateBody=template(A=thing("a")),
    )
    described = cfn.describe_change_set(ChangeSetName=change_set["Id"])
    assert described["Status"] == "FAILED"
    assert "didn't contain changes" in described["StatusReason"]


def test_failed_create_rolls_back(aws):
    cfn = aws("cloudformation")
    stack_id = cfn.create_stack(
        StackName="bad", TemplateBody=template(A=thing("a"), G=BROKEN_GROUP)
    )["StackId"]
    assert status(cfn, "bad") == "ROLLBACK_COMPLETE"
    assert aws("iot").list_things()["things"] == []  # A was made, then removed again
    assert "StackStatusReason" not in cfn.describe_stacks(StackName="bad")["Stacks"][0]
    seen = events(cfn, "bad")
    assert seen[0] == ("bad", "CREATE_IN_PROGRESS")
    assert ("G", "CREATE_FAILED") in seen
    assert seen[-3:] == [
        ("bad", "ROLLBACK_IN_PROGRESS"),
        ("A", "DELETE_COMPLETE"),
        ("bad", "ROLLBACK_COMPLETE"),
    ]
    listed = cfn.describe_stack_events(StackName="bad")["StackEvents"]
    reasons = {e["ResourceStatus"]: e.get("ResourceStatusReason", "") for e in listed}
    assert "[G]" in reasons["ROLLBACK_IN_PROGRESS"]
    assert "ResourceNotFoundException" in reasons["CREATE_FAILED"]

    with pytest.raises(ClientError, match="ROLLBACK_COMPLETE"):
        cfn.update_stack(StackName="bad", TemplateBody=template(A=thing("a")))
    cfn.delete_stack(StackName="bad")
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"


def test_failed_create_change_set_rolls_back(aws):
    cfn = aws("cloudformation")
    created = cfn.create_change_set(
        StackName="bad",
        ChangeSetName="c",
        ChangeSetType="CREATE",
        TemplateBody=template(A=thing("a"), G=BROKEN_GROUP),
    )
    cfn.execute_change_set(ChangeSetName=created["Id"])
    assert status(cfn, "bad") == "ROLLBACK_COMPLETE"
    assert aws("iot").list_things()["things"] == []
    assert (
        cfn.describe_change_set(ChangeSetName=created["Id"])["ExecutionStatus"] == "EXECUTE_FAILED"
    )


def test_failed_update_rolls_back_to_the_previous_template(aws):
    cfn = aws("cloudformation")
    cfn.create_stack(
        StackName="s",
        TemplateBody=template(A=thing("a", v="1")),
    )
    cfn.update_stack(
        StackName="s", TemplateBody=template(A=thing("a", v="2"), B=thing("b"), G=BROKEN_GROUP)
    )
    assert status(cfn, "s") == "UPDATE_ROLLBACK_COMPLETE"
    iot = aws("iot")
    assert iot.describe_thing(thingName="a")["attributes"] == {"v": "1"}
    assert [t["thingName"] for t in iot.list_things()["things"]] == ["a"]
    assert [e for e in events(cfn, "s") if e[1].endswith("FAILED")] == [("G", "CREATE_FAILED")]
    reasons = [
        e.get("ResourceStatusReason", "")
        for e in cfn.describe_stack_events(StackName="s")["StackEvents"]
        if e["ResourceStatus"] == "UPDATE_ROLLBACK_IN_PROGRESS"
    ]
    assert reasons == ["The following resource(s) failed to create: [G]."]
    # The rolled-back stack takes further updates.
    cfn.update_stack(StackName="s", TemplateBody=template(A=thing("a", v="3")))
    assert status(cfn, "s") == "UPDATE_COMPLETE"
    assert iot.describe_thing(thingName="a")["attributes"] == {"v": "3"}


def test_failed_update_change_set_rolls_back(aws):
    cfn = aws("cloudformation")
    cfn.create_stack(StackName="s", TemplateBody=template(A=thing("a", v="1")))
    created = cfn.create_change_set(
        StackName="s", ChangeSetName="c", TemplateBody=template(A=thing("a", v="2"), G=BROKEN_GROUP)
    )
    cfn.execute_change_set(ChangeSetName=created["Id"])
    assert status(cfn, "s") == "UPDATE_ROLLBACK_COMPLETE"
    assert aws("iot").describe_thing(thingName="a")["attributes"] == {"v": "1"}


def test_resource_events_on_success(aws):
    cfn = aws("cloudformation")
    cfn.create_stack(StackName="ok", TemplateBody=template(A=thing("a")))
    seen = events(cfn, "ok")
    assert seen == [
        ("ok", "CREATE_IN_PROGRESS"),
        ("A", "CREATE_IN_PROGRESS"),
        ("A", "CREATE_COMPLETE"),
        ("ok", "CREATE_COMPLETE"),
    ]
    listed = cfn.describe_stack_events(StackName="ok")["StackEvents"]
    assert listed[1]["PhysicalResourceId"] == "a"  # newest first: A's CREATE_COMPLETE
    cfn.update_stack(StackName="ok", TemplateBody=template(A=thing("a", v="2")))
    assert events(cfn, "ok")[-3:] == [
        ("ok", "UPDATE_IN_PROGRESS"),
        ("A", "UPDATE_COMPLETE"),
        ("ok", "UPDATE_COMPLETE"),
    ]


def test_type_without_update_support_is_kept(aws):
    """moto cannot update AWS::KMS::Key; the stack must still know the key."""
    cfn = aws("cloudformation")

    def key(description: str) -> str:
        properties = {
            "Description": description,
            "KeyPolicy": {"Version": "2012-10-17", "Statement": []},
        }
        resources = {"Key": {"Type": "AWS::KMS::Key", "Properties": properties}}
        return body({"Resources": resources, "Outputs": {"Id": {"Value": {"Ref": "Key"}}}})

    cfn.create_stack(StackName="k", TemplateBody=key("v1"))
    key_id = outputs(cfn, "k")["Id"]
    cfn.update_stack(StackName="k", TemplateBody=key("v2"))
    assert status(cfn, "k") == "UPDATE_COMPLETE"
    assert outputs(cfn, "k")["Id"] == key_id
    cfn.delete_stack(StackName="k")
    assert aws("kms").list_keys()["Keys"] == []  # deleted with the stack, not leaked


def test_deleted_stack_stays_deleted_when_described(aws):
    cfn = aws("cloudformation")
    resources = {"A": thing("a")}
    outputs_ = {"Name": {"Value": {"Ref": "A"}}}
    stack_id = cfn.create_stack(
        StackName="gone", TemplateBody=body({"Resources": resources, "Outputs": outputs_})
    )["StackId"]
    cfn.delete_stack(StackName="gone")
    described = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
    assert described["StackStatus"] == "DELETE_COMPLETE"
    cfn.list_stack_resources(StackName=stack_id)
    assert aws("iot").list_things()["things"] == []  # reading it did not bring A back


def test_failed_delete_keeps_the_stack(aws):
    cfn = aws("cloudformation")
    group = {"Type": "AWS::IoT::ThingGroup", "Properties": {"ThingGroupName": "parent"}}
    cfn.create_stack(StackName="s", TemplateBody=template(G=group))
    iot = aws("iot")
    # A child made outside the stack: AWS (and moto) refuse to delete its parent.
    iot.create_thing_group(thingGroupName="child", parentGroupName="parent")
    cfn.delete_stack(StackName="s")
    assert status(cfn, "s") == "DELETE_FAILED"
    reason = cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatusReason"]
    assert "child groups" in reason
    iot.delete_thing_group(thingGroupName="child")
    cfn.delete_stack(StackName="s")
    assert iot.list_thing_groups()["thingGroups"] == []


def test_change_set_names_are_scoped_to_their_stack(aws):
    # Two stacks with a change set of the same name: each call that names the
    # stack reaches that stack's change set, as on AWS.
    cfn = aws("cloudformation")
    for stack, thing_name in (("one", "a"), ("two", "b")):
        cfn.create_change_set(
            StackName=stack,
            ChangeSetName="same",
            ChangeSetType="CREATE",
            TemplateBody=template(T=thing(thing_name)),
        )

    described = cfn.describe_change_set(StackName="two", ChangeSetName="same")
    assert described["StackName"] == "two"
    cfn.execute_change_set(StackName="two", ChangeSetName="same")
    assert status(cfn, "two") == "CREATE_COMPLETE"
    assert status(cfn, "one") == "REVIEW_IN_PROGRESS"

    assert [c["StackName"] for c in cfn.list_change_sets(StackName="one")["Summaries"]] == ["one"]
    cfn.delete_change_set(StackName="one", ChangeSetName="same")
    assert cfn.list_change_sets(StackName="one")["Summaries"] == []
    assert [c["StackName"] for c in cfn.list_change_sets(StackName="two")["Summaries"]] == ["two"]
    assert aws("iot").describe_thing(thingName="b")["thingName"] == "b"
