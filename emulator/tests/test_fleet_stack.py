"""A stack shaped like fleet's core template: create, update and delete it through
CloudFormation, then check the outcome through each service's own API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import ACCOUNT, REGION, body, outputs, status

STACK = "fleet-core"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/fleet-rule"


@pytest.fixture
def created(aws: Callable[[str], Any], fleet_template: dict[str, Any]) -> dict[str, Any]:
    aws("cloudformation").create_stack(StackName=STACK, TemplateBody=body(fleet_template))
    return fleet_template


def test_stack_completes_and_outputs_resolve(aws, created):
    cfn = aws("cloudformation")
    assert status(cfn, STACK) == "CREATE_COMPLETE"
    iot = aws("iot")
    out = outputs(cfn, STACK)
    thing = iot.describe_thing(thingName="snowy")
    group = iot.describe_thing_group(thingGroupName="indoor-cats")
    thing_type = iot.describe_thing_type(thingTypeName="cat-tracker")
    assert out == {
        "TableName": "fleet-positions",
        "TableArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/fleet-positions",
        "RoleArn": ROLE_ARN,
        "LogGroupArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/fleet/rule-errors",
        "RuleName": "fleet_positions",
        "RuleArn": f"arn:aws:iot:{REGION}:{ACCOUNT}:rule/fleet_positions",
        "ThingTypeName": "cat-tracker",
        "ThingTypeArn": thing_type["thingTypeArn"],
        "ThingTypeId": thing_type["thingTypeId"],
        "GroupName": "indoor-cats",
        "GroupArn": group["thingGroupArn"],
        "GroupId": group["thingGroupId"],
        "ThingName": "snowy",
        "ThingArn": thing["thingArn"],
        "ThingId": thing["thingId"],
    }
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    }
    assert physical["PositionsRule"] == "fleet_positions"
    assert physical["Snowy"] == "snowy"
    assert physical["AllCats"] == "cats"
    assert physical["TrackerType"] == "cat-tracker"


def test_topic_rule_has_api_shape(aws, created):
    iot = aws("iot")
    got = iot.get_topic_rule(ruleName="fleet_positions")
    assert got["ruleArn"] == f"arn:aws:iot:{REGION}:{ACCOUNT}:rule/fleet_positions"
    rule = got["rule"]
    assert rule["ruleName"] == "fleet_positions"
    assert rule["sql"] == "SELECT * FROM 'fleet/+/position'"
    assert rule["awsIotSqlVersion"] == "2016-03-23"
    assert rule["description"] == "store cat positions"
    assert rule["ruleDisabled"] is False
    assert rule["actions"] == [
        {"dynamoDBv2": {"putItem": {"tableName": "fleet-positions"}, "roleArn": ROLE_ARN}}
    ]
    assert rule["errorAction"] == {
        "cloudwatchLogs": {"logGroupName": "/fleet/rule-errors", "roleArn": ROLE_ARN}
    }
    listed = iot.list_topic_rules()["rules"]
    assert [(r["ruleName"], r["topicPattern"]) for r in listed] == [
        ("fleet_positions", "fleet/+/position")
    ]


def test_things_groups_and_type(aws, created):
    iot = aws("iot")
    assert iot.describe_thing(thingName="snowy")["attributes"] == {
        "cat": "Snowy",
        "dev_eui": "70B3D57ED005A1B2",
    }
    assert iot.describe_thing(thingName="tiger")["attributes"]["cat"] == "Tiger"

    cats = iot.describe_thing_group(thingGroupName="cats")
    assert cats["thingGroupProperties"] == {
        "thingGroupDescription": "every tracked cat",
        "attributePayload": {"attributes": {"household": "north"}},
    }
    indoor = iot.describe_thing_group(thingGroupName="indoor-cats")
    assert indoor["thingGroupMetadata"]["parentGroupName"] == "cats"

    thing_type = iot.describe_thing_type(thingTypeName="cat-tracker")
    assert thing_type["thingTypeProperties"] == {
        "thingTypeDescription": "LoRaWAN collar",
        "searchableAttributes": ["cat", "dev_eui"],
    }
    assert thing_type["thingTypeMetadata"]["deprecated"] is False


def test_table_role_and_log_group(aws, created):
    ddb = aws("dynamodb")
    table = ddb.describe_table(TableName="fleet-positions")["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": "device_id", "KeyType": "HASH"},
        {"AttributeName": "time", "KeyType": "RANGE"},
    ]
    assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": "device_id", "AttributeType": "S"},
        {"AttributeName": "time", "AttributeType": "N"},
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = ddb.describe_time_to_live(TableName="fleet-positions")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    backups = ddb.describe_continuous_backups(TableName="fleet-positions")
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"

    iam = aws("iam")
    role = iam.get_role(RoleName="fleet-rule")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "iot.amazonaws.com"
    }
    assert iam.list_role_policies(RoleName="fleet-rule")["PolicyNames"] == ["write-positions"]
    policy = iam.get_role_policy(RoleName="fleet-rule", PolicyName="write-positions")
    document = policy["PolicyDocument"]  # boto3 decodes the API's JSON into a dict
    assert document["Statement"][0]["Resource"] == table["TableArn"]

    groups = aws("logs").describe_log_groups(logGroupNamePrefix="/fleet/")["logGroups"]
    assert [(g["logGroupName"], g["retentionInDays"]) for g in groups] == [
        ("/fleet/rule-errors", 14)
    ]


def test_update_applies_changes(aws, created):
    template = created
    resources = template["Resources"]
    payload = resources["PositionsRule"]["Properties"]["TopicRulePayload"]
    payload["Sql"] = "SELECT *, topic(2) AS device_id FROM 'fleet/+/position'"
    resources["Snowy"]["Properties"]["AttributePayload"]["Attributes"]["cat"] = "Snowy II"
    del resources["Tiger"]["Properties"]["AttributePayload"]["Attributes"]["dev_eui"]
    resources["AllCats"]["Properties"]["ThingGroupProperties"]["ThingGroupDescription"] = "cats"
    resources["RuleErrors"]["Properties"]["RetentionInDays"] = 30
    resources["Positions"]["Properties"]["TimeToLiveSpecification"]["AttributeName"] = "ttl"
    statements = resources["RuleRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    statements[0]["Action"] = ["dynamodb:PutItem", "dynamodb:UpdateItem"]

    iot = aws("iot")
    created_at = iot.get_topic_rule(ruleName="fleet_positions")["rule"]["createdAt"]
    thing_id = iot.describe_thing(thingName="snowy")["thingId"]

    cfn = aws("cloudformation")
    cfn.update_stack(StackName=STACK, TemplateBody=body(template))
    assert status(cfn, STACK) == "UPDATE_COMPLETE"

    rule = iot.get_topic_rule(ruleName="fleet_positions")["rule"]
    assert rule["sql"] == "SELECT *, topic(2) AS device_id FROM 'fleet/+/position'"
    assert rule["actions"][0]["dynamoDBv2"]["putItem"] == {"tableName": "fleet-positions"}
    assert rule["createdAt"] == created_at
    snowy = iot.describe_thing(thingName="snowy")
    assert snowy["attributes"] == {"cat": "Snowy II", "dev_eui": "70B3D57ED005A1B2"}
    assert snowy["thingId"] == thing_id  # updated in place, not replaced
    assert iot.describe_thing(thingName="tiger")["attributes"] == {"cat": "Tiger"}
    cats = iot.describe_thing_group(thingGroupName="cats")["thingGroupProperties"]
    assert cats["thingGroupDescription"] == "cats"

    groups = aws("logs").describe_log_groups(logGroupNamePrefix="/fleet/")["logGroups"]
    assert groups[0]["retentionInDays"] == 30
    ttl = aws("dynamodb").describe_time_to_live(TableName="fleet-positions")
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "ttl"
    document = aws("iam").get_role_policy(RoleName="fleet-rule", PolicyName="write-positions")[
        "PolicyDocument"
    ]
    assert document["Statement"][0]["Action"] == ["dynamodb:PutItem", "dynamodb:UpdateItem"]

    # Outputs still resolve after the update (moto used to forget resources it
    # could not update, and Ref/GetAtt on them then came back empty).
    out = outputs(cfn, STACK)
    assert out["TableName"] == "fleet-positions"
    assert out["LogGroupArn"].endswith("log-group:/fleet/rule-errors")


def test_update_adds_and_removes_resources(aws, created):
    template = created
    del template["Resources"]["Tiger"]
    template["Resources"]["Felix"] = {
        "Type": "AWS::IoT::Thing",
        "Properties": {"ThingName": "felix", "AttributePayload": {"Attributes": {"cat": "Felix"}}},
    }
    aws("cloudformation").update_stack(StackName=STACK, TemplateBody=body(template))
    iot = aws("iot")
    names = {t["thingName"] for t in iot.list_things()["things"]}
    assert names == {"snowy", "felix"}


def test_delete_removes_everything_but_the_retained_table(aws, created):
    cfn = aws("cloudformation")
    stack_id = cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName=STACK)
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    events = {
        e["LogicalResourceId"]: e["ResourceStatus"]
        for e in reversed(cfn.describe_stack_events(StackName=stack_id)["StackEvents"])
    }
    assert events["Positions"] == "DELETE_SKIPPED"
    assert events["Snowy"] == events["PositionsRule"] == events["RuleRole"] == "DELETE_COMPLETE"
    iot = aws("iot")
    assert iot.list_topic_rules()["rules"] == []
    assert iot.list_things()["things"] == []
    assert iot.list_thing_groups()["thingGroups"] == []
    assert iot.list_thing_types()["thingTypes"] == []
    with pytest.raises(ClientError):
        iot.get_topic_rule(ruleName="fleet_positions")
    with pytest.raises(ClientError):
        aws("iam").get_role(RoleName="fleet-rule")
    assert aws("logs").describe_log_groups(logGroupNamePrefix="/fleet/")["logGroups"] == []
    # DeletionPolicy: Retain
    assert aws("dynamodb").list_tables()["TableNames"] == ["fleet-positions"]


def test_unnamed_resources_update_in_place(aws, fleet_template):
    """fleet's roles have no RoleName: an update must change them, not replace them."""
    resources = fleet_template["Resources"]
    del resources["RuleRole"]["Properties"]["RoleName"]
    del resources["RuleErrors"]["Properties"]["LogGroupName"]
    del resources["Positions"]["Properties"]["TableName"]
    cfn = aws("cloudformation")
    cfn.create_stack(StackName=STACK, TemplateBody=body(fleet_template))
    before = outputs(cfn, STACK)

    resources["RuleRole"]["Properties"]["Description"] = "now described"
    resources["RuleErrors"]["Properties"]["RetentionInDays"] = 7
    resources["Positions"]["Properties"]["PointInTimeRecoverySpecification"] = {
        "PointInTimeRecoveryEnabled": False
    }
    cfn.update_stack(StackName=STACK, TemplateBody=body(fleet_template))
    assert status(cfn, STACK) == "UPDATE_COMPLETE"
    after = outputs(cfn, STACK)
    for key in ("RoleArn", "LogGroupArn", "TableArn"):
        assert after[key] == before[key], key

    role_name = after["RoleArn"].rsplit("/", 1)[1]
    assert aws("iam").get_role(RoleName=role_name)["Role"]["Description"] == "now described"
    assert len(aws("iam").list_roles()["Roles"]) == 1
    groups = aws("logs").describe_log_groups()["logGroups"]
    assert [g["retentionInDays"] for g in groups] == [7]
    ddb = aws("dynamodb")
    assert ddb.list_tables()["TableNames"] == [after["TableName"]]
    backups = ddb.describe_continuous_backups(TableName=after["TableName"])
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "DISABLED"
