"""The IoT resource types one at a time: naming, property conversion, updates
that replace, and the failures CloudFormation would report."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import body, outputs, status


def stack(aws: Any, name: str, resources: dict[str, Any], **extra: Any) -> str:
    template = {"Resources": resources, **extra}
    aws("cloudformation").create_stack(StackName=name, TemplateBody=body(template))
    return status(aws("cloudformation"), name)


def update(aws: Any, name: str, resources: dict[str, Any], **extra: Any) -> str:
    template = {"Resources": resources, **extra}
    aws("cloudformation").update_stack(StackName=name, TemplateBody=body(template))
    return status(aws("cloudformation"), name)


def thing(name: str | None = None, **attributes: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {"AttributePayload": {"Attributes": attributes}}
    if name:
        properties["ThingName"] = name
    return {"Type": "AWS::IoT::Thing", "Properties": properties}


def rule(payload: dict[str, Any], name: str | None = "r") -> dict[str, Any]:
    properties: dict[str, Any] = {"TopicRulePayload": payload}
    if name:
        properties["RuleName"] = name
    return {"Type": "AWS::IoT::TopicRule", "Properties": properties}


def failure_reasons(aws: Any, name: str) -> list[str]:
    events = aws("cloudformation").describe_stack_events(StackName=name)["StackEvents"]
    return [
        e.get("ResourceStatusReason", "") for e in events if e["ResourceStatus"].endswith("FAILED")
    ]


def test_generated_names_are_valid(aws):
    sql = {"Sql": "SELECT * FROM 'a/b'"}
    outputs_ = {"Rule": {"Value": {"Ref": "My-Rule"}}, "Thing": {"Value": {"Ref": "Collar"}}}
    resources = {"My-Rule": rule(sql, name=None), "Collar": thing(cat="Snowy")}
    assert stack(aws, "gen", resources, Outputs=outputs_) == "CREATE_COMPLETE"
    out = outputs(aws("cloudformation"), "gen")
    assert re.fullmatch(r"[A-Za-z0-9_]+", out["Rule"]), out["Rule"]  # rule names allow no '-'
    assert aws("iot").get_topic_rule(ruleName=out["Rule"])["rule"]["sql"] == "SELECT * FROM 'a/b'"
    assert out["Thing"].startswith("gen-Collar-")
    assert aws("iot").describe_thing(thingName=out["Thing"])["attributes"] == {"cat": "Snowy"}


def test_scalars_are_coerced_like_cloudformation(aws):
    parameters = {"Disabled": {"Type": "String", "Default": "true"}}
    resources = {
        "Collar": thing("collar-7", battery=7, indoor=True),
        "Rule": rule({"Sql": "SELECT 1 FROM 'x'", "RuleDisabled": {"Ref": "Disabled"}}),
    }
    assert stack(aws, "scalars", resources, Parameters=parameters) == "CREATE_COMPLETE"
    iot = aws("iot")
    assert iot.describe_thing(thingName="collar-7")["attributes"] == {
        "battery": "7",
        "indoor": "true",
    }
    assert iot.get_topic_rule(ruleName="r")["rule"]["ruleDisabled"] is True


def test_every_action_shape_reaches_the_api_in_camel_case(aws):
    role = "arn:aws:iam::123456789012:role/r"
    payload = {
        "Sql": "SELECT * FROM 'fleet/#'",
        "Actions": [
            {"Republish": {"Topic": "out/${topic()}", "Qos": 1, "RoleArn": role}},
            {"Lambda": {"FunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:f"}},
            {
                "Kafka": {
                    "DestinationArn": "arn:d",
                    "Topic": "t",
                    "ClientProperties": {"bootstrap.servers": "b:9092", "acks": "1"},
                }
            },
            {
                "Http": {
                    "Url": "https://example.invalid/in",
                    "Headers": [{"Key": "X-Cat", "Value": "yes"}],
                }
            },
            {
                "DynamoDB": {
                    "TableName": "t",
                    "HashKeyField": "id",
                    "HashKeyValue": "${id}",
                    "RoleArn": role,
                }
            },
        ],
    }
    assert stack(aws, "actions", {"Rule": rule(payload)}) == "CREATE_COMPLETE"
    actions = aws("iot").get_topic_rule(ruleName="r")["rule"]["actions"]
    assert actions == [
        {"republish": {"topic": "out/${topic()}", "qos": 1, "roleArn": role}},
        {"lambda": {"functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:f"}},
        {
            "kafka": {
                "destinationArn": "arn:d",
                "topic": "t",
                "clientProperties": {"bootstrap.servers": "b:9092", "acks": "1"},
            }
        },
        {
            "http": {
                "url": "https://example.invalid/in",
                "headers": [{"key": "X-Cat", "value": "yes"}],
            }
        },
        {
            "dynamoDB": {
                "tableName": "t",
                "hashKeyField": "id",
                "hashKeyValue": "${id}",
                "roleArn": role,
            }
        },
    ]


def test_unknown_property_fails_the_stack(aws):
    payload = {"Sql": "SELECT 1 FROM 'x'", "Actions": [{"Lambda": {"FunctionName": "f"}}]}
    assert stack(aws, "typo", {"Rule": rule(payload)}) == "ROLLBACK_COMPLETE"
    assert any("unknown property FunctionName" in r for r in failure_reasons(aws, "typo"))
    assert aws("iot").list_topic_rules()["rules"] == []


def test_missing_parent_group_fails_the_stack(aws):
    group = {
        "Type": "AWS::IoT::ThingGroup",
        "Properties": {"ThingGroupName": "orphans", "ParentGroupName": "nobody"},
    }
    assert stack(aws, "orphan", {"Collar": thing("c1"), "Group": group}) == "ROLLBACK_COMPLETE"
    iot = aws("iot")
    assert iot.list_thing_groups()["thingGroups"] == []
    assert iot.list_things()["things"] == []  # rolled back


def test_existing_thing_is_not_adopted(aws):
    iot = aws("iot")
    iot.create_thing(thingName="snowy", attributePayload={"attributes": {"owner": "api"}})
    assert stack(aws, "clash", {"Snowy": thing("snowy", owner="stack")}) == "ROLLBACK_COMPLETE"
    assert any("already exists" in r for r in failure_reasons(aws, "clash"))
    assert iot.describe_thing(thingName="snowy")["attributes"] == {"owner": "api"}


def test_renaming_a_thing_replaces_it(aws):
    assert stack(aws, "rename", {"Collar": thing("old-name", cat="Snowy")}) == "CREATE_COMPLETE"
    assert update(aws, "rename", {"Collar": thing("new-name", cat="Snowy")}) == "UPDATE_COMPLETE"
    iot = aws("iot")
    assert [t["thingName"] for t in iot.list_things()["things"]] == ["new-name"]
    assert iot.describe_thing(thingName="new-name")["attributes"] == {"cat": "Snowy"}


def thing_type(description: str, deprecate: bool = False) -> dict[str, Any]:
    return {
        "Type": "AWS::IoT::ThingType",
        "Properties": {
            "ThingTypeName": "collar",
            "DeprecateThingType": deprecate,
            "ThingTypeProperties": {
                "ThingTypeDescription": description,
                "SearchableAttributes": ["cat"],
            },
        },
    }


def test_thing_type_deprecation_and_replacement_rules(aws):
    iot = aws("iot")
    assert stack(aws, "types", {"Type": thing_type("v1")}) == "CREATE_COMPLETE"
    type_id = iot.describe_thing_type(thingTypeName="collar")["thingTypeId"]

    assert update(aws, "types", {"Type": thing_type("v1", deprecate=True)}) == "UPDATE_COMPLETE"
    described = iot.describe_thing_type(thingTypeName="collar")
    assert described["thingTypeMetadata"]["deprecated"] is True
    assert described["thingTypeId"] == type_id

    # A new description means replacement, impossible under a fixed name (as on AWS).
    assert (
        update(aws, "types", {"Type": thing_type("v2", deprecate=True)})
        == "UPDATE_ROLLBACK_COMPLETE"
    )
    assert any("requires replacing" in r for r in failure_reasons(aws, "types"))
    described = iot.describe_thing_type(thingTypeName="collar")
    assert described["thingTypeProperties"]["thingTypeDescription"] == "v1"

    aws("cloudformation").delete_stack(StackName="types")
    with pytest.raises(ClientError):
        iot.describe_thing_type(thingTypeName="collar")


def test_thing_group_update_clears_removed_properties(aws):
    group = {
        "Type": "AWS::IoT::ThingGroup",
        "Properties": {
            "ThingGroupName": "cats",
            "ThingGroupProperties": {
                "ThingGroupDescription": "all",
                "AttributePayload": {"Attributes": {"a": "1", "b": "2"}},
            },
        },
    }
    assert stack(aws, "groups", {"Group": group}) == "CREATE_COMPLETE"
    group["Properties"]["ThingGroupProperties"] = {"AttributePayload": {"Attributes": {"a": "3"}}}
    assert update(aws, "groups", {"Group": group}) == "UPDATE_COMPLETE"
    described = aws("iot").describe_thing_group(thingGroupName="cats")
    assert described["thingGroupProperties"] == {"attributePayload": {"attributes": {"a": "3"}}}
    assert described["version"] == 2


def test_untyped_things_hold_at_most_three_attributes(aws):
    four = {"cat": "Snowy", "dev_eui": "70B3D57ED005A1B2", "fleet": "f", "colour": "white"}
    assert stack(aws, "four", {"Collar": thing("c4", **four)}) == "ROLLBACK_COMPLETE"
    assert any("at most 3 attributes" in r for r in failure_reasons(aws, "four"))

    iot = aws("iot")
    with pytest.raises(ClientError, match="at most 3 attributes"):
        iot.create_thing(thingName="api4", attributePayload={"attributes": four})
    # fleet's registry step: give the thing a type, then more attributes are fine.
    iot.create_thing_type(thingTypeName="collar")
    iot.create_thing(thingName="t", attributePayload={"attributes": {"cat": "Snowy"}})
    iot.update_thing(thingName="t", thingTypeName="collar", attributePayload={"attributes": four})
    assert iot.describe_thing(thingName="t")["attributes"] == four
    with pytest.raises(ClientError, match="at most 3 attributes"):
        iot.update_thing(thingName="t", removeThingType=True)
