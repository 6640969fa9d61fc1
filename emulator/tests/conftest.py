"""Fixtures: one real emulator process for the session, reached over HTTP with boto3.

The server is started exactly as emulator/start does (`python -m
fleet_emulator --port 0`) and its printed URL is used as endpoint_url, so the
tests exercise the same path fleet does. moto's /moto-api/reset empties every
backend before each test, so tests do not see each other's resources.
"""

from __future__ import annotations

import copy
import json
import os
import select
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

EMULATOR_DIR = Path(__file__).resolve().parents[1]
REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account


class Emulator:
    """A running `python -m fleet_emulator` process."""

    def __init__(self, log_path: Path, *args: str):
        env = {**os.environ, "PYTHONPATH": str(EMULATOR_DIR)}
        with open(log_path, "wb") as log:  # the child keeps its own handle
            self.process = subprocess.Popen(
                [sys.executable, "-m", "fleet_emulator", "--port", "0", *args],
                stdout=subprocess.PIPE,
                stderr=log,  # request logs; a file, so a full pipe never blocks the server
                env=env,
            )
        started = time.monotonic()
        assert self.process.stdout is not None
        # Bounded: a server that hangs before printing fails the run instead of stalling it.
        if not select.select([self.process.stdout], [], [], 60)[0]:
            self.process.kill()
            raise RuntimeError(f"emulator printed nothing within 60 s, see {log_path}")
        self.first_line = self.process.stdout.readline().decode()
        self.startup_seconds = time.monotonic() - started
        prefix = "fleet-emulator listening on "
        if not self.first_line.startswith(prefix):
            self.process.kill()
            raise RuntimeError(f"emulator did not start: {self.first_line!r}, see {log_path}")
        self.url = self.first_line[len(prefix) :].strip()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    server = Emulator(tmp_path_factory.mktemp("emulator") / "server.log")
    yield server
    server.stop()


def reset(url: str) -> None:
    """Empty every backend of the emulator at url."""
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).read()


@pytest.fixture(autouse=True)
def _fresh_state(request: pytest.FixtureRequest) -> None:
    if "emulator" in request.fixturenames:
        reset(request.getfixturevalue("emulator").url)


@pytest.fixture
def aws(emulator: Emulator) -> Callable[[str], Any]:
    """aws("iot") -> a boto3 client talking to the emulator."""
    return emulator.client


# --- templates ---------------------------------------------------------------

ROLE_ARN = {"Fn::GetAtt": ["RuleRole", "Arn"]}

FLEET_TEMPLATE: dict[str, Any] = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "fleet core: positions table, rule, things",
    "Resources": {
        "Positions": {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "TableName": "fleet-positions",
                "AttributeDefinitions": [
                    {"AttributeName": "device_id", "AttributeType": "S"},
                    {"AttributeName": "time", "AttributeType": "N"},
                ],
                "KeySchema": [
                    {"AttributeName": "device_id", "KeyType": "HASH"},
                    {"AttributeName": "time", "KeyType": "RANGE"},
                ],
                "BillingMode": "PAY_PER_REQUEST",
                "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            },
        },
        "RuleErrors": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": "/fleet/rule-errors", "RetentionInDays": 14},
        },
        "RuleRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": "fleet-rule",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "iot.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "Policies": [
                    {
                        "PolicyName": "write-positions",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "dynamodb:PutItem",
                                    "Resource": {"Fn::GetAtt": ["Positions", "Arn"]},
                                },
                                {
                                    "Effect": "Allow",
                                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                    "Resource": {"Fn::GetAtt": ["RuleErrors", "Arn"]},
                                },
                            ],
                        },
                    }
                ],
            },
        },
        "PositionsRule": {
            "Type": "AWS::IoT::TopicRule",
            "Properties": {
                "RuleName": "fleet_positions",
                "TopicRulePayload": {
                    "Sql": "SELECT * FROM 'fleet/+/position'",
                    "AwsIotSqlVersion": "2016-03-23",
                    "Description": "store cat positions",
                    "RuleDisabled": False,
                    "Actions": [
                        {
                            "DynamoDBv2": {
                                "PutItem": {"TableName": {"Ref": "Positions"}},
                                "RoleArn": ROLE_ARN,
                            }
                        }
                    ],
                    "ErrorAction": {
                        "CloudwatchLogs": {
                            "LogGroupName": {"Ref": "RuleErrors"},
                            "RoleArn": ROLE_ARN,
                        }
                    },
                },
                "Tags": [{"Key": "app", "Value": "fleet"}],
            },
        },
        "TrackerType": {
            "Type": "AWS::IoT::ThingType",
            "Properties": {
                "ThingTypeName": "cat-tracker",
                "ThingTypeProperties": {
                    "ThingTypeDescription": "LoRaWAN collar",
                    "SearchableAttributes": ["cat", "dev_eui"],
                },
                "Tags": [{"Key": "app", "Value": "fleet"}],
            },
        },
        "AllCats": {
            "Type": "AWS::IoT::ThingGroup",
            "Properties": {
                "ThingGroupName": "cats",
                "ThingGroupProperties": {
                    "ThingGroupDescription": "every tracked cat",
                    "AttributePayload": {"Attributes": {"household": "north"}},
                },
                "Tags": [{"Key": "app", "Value": "fleet"}],
            },
        },
        "IndoorCats": {
            "Type": "AWS::IoT::ThingGroup",
            "Properties": {"ThingGroupName": "indoor-cats", "ParentGroupName": {"Ref": "AllCats"}},
        },
        "Snowy": {
            "Type": "AWS::IoT::Thing",
            "Properties": {
                "ThingName": "snowy",
                "AttributePayload": {"Attributes": {"cat": "Snowy", "dev_eui": "70B3D57ED005A1B2"}},
            },
        },
        "Tiger": {
            "Type": "AWS::IoT::Thing",
            "Properties": {
                "ThingName": "tiger",
                "AttributePayload": {"Attributes": {"cat": "Tiger", "dev_eui": "70B3D57ED005A1B3"}},
            },
        },
    },
    "Outputs": {
        "TableName": {"Value": {"Ref": "Positions"}},
        "TableArn": {"Value": {"Fn::GetAtt": ["Positions", "Arn"]}},
        "RoleArn": {"Value": ROLE_ARN},
        "LogGroupArn": {"Value": {"Fn::GetAtt": ["RuleErrors", "Arn"]}},
        "RuleName": {"Value": {"Ref": "PositionsRule"}},
        "RuleArn": {"Value": {"Fn::GetAtt": ["PositionsRule", "Arn"]}},
        "ThingTypeName": {"Value": {"Ref": "TrackerType"}},
        "ThingTypeArn": {"Value": {"Fn::GetAtt": ["TrackerType", "Arn"]}},
        "ThingTypeId": {"Value": {"Fn::GetAtt": ["TrackerType", "Id"]}},
        "GroupName": {"Value": {"Ref": "IndoorCats"}},
        "GroupArn": {"Value": {"Fn::GetAtt": ["IndoorCats", "Arn"]}},
        "GroupId": {"Value": {"Fn::GetAtt": ["IndoorCats", "Id"]}},
        "ThingName": {"Value": {"Ref": "Snowy"}},
        "ThingArn": {"Value": {"Fn::GetAtt": ["Snowy", "Arn"]}},
        "ThingId": {"Value": {"Fn::GetAtt": ["Snowy", "Id"]}},
    },
}


@pytest.fixture
def fleet_template() -> dict[str, Any]:
    """A fresh copy of a template shaped like fleet's core stack, to edit freely."""
    return copy.deepcopy(FLEET_TEMPLATE)


def body(template: dict[str, Any]) -> str:
    return json.dumps(template)


def outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def status(cloudformation: Any, stack: str) -> str:
    return cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
