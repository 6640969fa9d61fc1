"""CloudFormation fixes for the non-IoT resources in fleet's core stack.

Each class takes over one resource type, reusing moto's own create and delete
and adding what moto 5.2.5 gets wrong for fleet:

- AWS::DynamoDB::Table: TimeToLiveSpecification and
  PointInTimeRecoverySpecification are ignored on create; there is no update
  at all (so TTL, PITR or billing changes never apply).
- AWS::Logs::LogGroup: no update (a RetentionInDays change never applies).
- AWS::IAM::Role: inline Policies are stored so that GetRolePolicy returns a
  Python repr instead of JSON; update ignores AssumeRolePolicyDocument and
  Policies, and resets MaxSessionDuration (it reads the wrong property).

DeletionPolicy: Retain needs no help: moto's stack deletion skips those.
"""

from __future__ import annotations

import json
from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.core.common_models import CloudFormationModel
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table as MotoTable
from moto.iam.models import Role as MotoRole
from moto.iam.models import iam_backends
from moto.logs.models import LogGroup as MotoLogGroup
from moto.logs.models import logs_backends
from moto.utilities.utils import get_partition


def _bool(value: Any) -> bool:
    if isinstance(value, str):  # template parameters arrive as strings
        return value.strip().lower() == "true"
    return bool(value)


def _renamed(properties: dict[str, Any], name_property: str, current: str) -> bool:
    # Without the property moto generates a fresh name on every update; that
    # is no rename.
    return bool(properties.get(name_property)) and properties[name_property] != current


def _replace(
    model: type[CloudFormationModel],
    original: Any,
    name_property: str,
    generated_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
) -> Any:
    """CloudFormation's replacement: create the new resource, then delete the
    old one unless UpdateReplacePolicy says Retain."""
    new_name = (cloudformation_json.get("Properties") or {}).get(name_property) or generated_name
    if new_name == original.physical_resource_id:
        raise ValidationError(
            message="CloudFormation cannot update a stack when a custom-named resource "
            f"requires replacing. Rename {new_name} and update the stack again."
        )
    replacement = model.create_from_cloudformation_json(
        new_name, cloudformation_json, account_id, region_name
    )
    if cloudformation_json.get("UpdateReplacePolicy") != "Retain":
        model.delete_from_cloudformation_json(
            original.physical_resource_id, cloudformation_json, account_id, region_name
        )
    return replacement


class DynamoDBTable(CloudFormationModel):
    """AWS::DynamoDB::Table; the resource kept in the stack is moto's own Table."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::DynamoDB::Table"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "TableName"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return MotoTable.has_cfn_attr(attr)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> MotoTable:
        table = MotoTable.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        cls._apply_settings(table, cloudformation_json.get("Properties") or {})
        return table

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls,
        original_resource: MotoTable,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> MotoTable:
        properties = cloudformation_json.get("Properties") or {}
        renamed = _renamed(properties, "TableName", original_resource.name)
        if renamed or properties.get("KeySchema") != original_resource.schema:
            return _replace(
                cls, original_resource, "TableName", new_resource_name,
                cloudformation_json, account_id, region_name,
            )  # fmt: skip
        billing_mode = properties.get("BillingMode") or "PROVISIONED"
        dynamodb_backends[account_id][region_name].update_table(
            name=original_resource.name,
            attr_definitions=properties.get("AttributeDefinitions"),  # type: ignore[arg-type]
            global_index=None,  # type: ignore[arg-type]
            throughput=properties.get("ProvisionedThroughput"),  # type: ignore[arg-type]
            billing_mode=billing_mode,
            stream_spec=None,  # type: ignore[arg-type]
            deletion_protection_enabled=_bool(properties.get("DeletionProtectionEnabled", False)),
            warm_throughput=None,
        )
        cls._apply_settings(original_resource, properties)
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        MotoTable.delete_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name
        )

    @staticmethod
    def _apply_settings(table: MotoTable, properties: dict[str, Any]) -> None:
        """Bring TTL and point-in-time recovery to what the template says,
        through the same backend calls as UpdateTimeToLive/UpdateContinuousBackups."""
        backend = dynamodb_backends[table.account_id][table.region_name]
        ttl = properties.get("TimeToLiveSpecification")
        if ttl:
            backend.update_time_to_live(
                table.name,
                {"Enabled": _bool(ttl.get("Enabled")), "AttributeName": ttl.get("AttributeName")},
            )
        elif table.ttl.get("TimeToLiveStatus") == "ENABLED":
            # Removing the property from the template turns TTL off.
            backend.update_time_to_live(
                table.name, {"Enabled": False, "AttributeName": table.ttl["AttributeName"]}
            )
        pitr = properties.get("PointInTimeRecoverySpecification") or {}
        spec = {"PointInTimeRecoveryEnabled": _bool(pitr.get("PointInTimeRecoveryEnabled"))}
        if "RecoveryPeriodInDays" in pitr:
            spec["RecoveryPeriodInDays"] = int(pitr["RecoveryPeriodInDays"])
        backend.update_continuous_backups(table.name, spec)


class LogGroup(CloudFormationModel):
    """AWS::Logs::LogGroup; the resource kept in the stack is moto's own LogGroup."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Logs::LogGroup"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "LogGroupName"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return MotoLogGroup.has_cfn_attr(attr)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> MotoLogGroup:
        return MotoLogGroup.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls,
        original_resource: MotoLogGroup,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> MotoLogGroup:
        properties = cloudformation_json.get("Properties") or {}
        if _renamed(properties, "LogGroupName", original_resource.name):
            return _replace(
                cls, original_resource, "LogGroupName", new_resource_name,
                cloudformation_json, account_id, region_name,
            )  # fmt: skip
        backend = logs_backends[account_id][region_name]
        if properties.get("RetentionInDays") is not None:
            backend.put_retention_policy(original_resource.name, int(properties["RetentionInDays"]))
        else:
            backend.delete_retention_policy(original_resource.name)
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        logs_backends[account_id][region_name].delete_log_group(resource_name)


class IamRole(CloudFormationModel):
    """AWS::IAM::Role; the resource kept in the stack is moto's own Role."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::IAM::Role"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "RoleName"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return MotoRole.has_cfn_attr(attr)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> MotoRole:
        role = MotoRole.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        # moto stores inline policy documents as dicts, and GetRolePolicy then
        # returns their Python repr, which no client can parse: store JSON.
        cls._put_policies(
            role, cloudformation_json.get("Properties") or {}, account_id, region_name
        )
        return role

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls,
        original_resource: MotoRole,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> MotoRole:
        properties = cloudformation_json.get("Properties") or {}
        renamed = _renamed(properties, "RoleName", original_resource.name)
        if renamed or properties.get("Path", "/") != original_resource.path:
            return _replace(
                cls, original_resource, "RoleName", new_resource_name,
                cloudformation_json, account_id, region_name,
            )  # fmt: skip
        backend = iam_backends[account_id][get_partition(region_name)]
        name = original_resource.name
        backend.update_assume_role_policy(name, _json(properties["AssumeRolePolicyDocument"]))
        backend.update_role(
            name,
            properties.get("Description", ""),
            properties.get("MaxSessionDuration", 3600),
        )
        cls._put_policies(original_resource, properties, account_id, region_name)
        return original_resource

    @staticmethod
    def _put_policies(
        role: MotoRole, properties: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        """Inline policies converge to the template: put every listed one, drop the rest."""
        backend = iam_backends[account_id][get_partition(region_name)]
        wanted = {p["PolicyName"]: p["PolicyDocument"] for p in properties.get("Policies") or []}
        for policy_name in set(backend.list_role_policies(role.name)) - set(wanted):
            backend.delete_role_policy(role.name, policy_name)
        for policy_name, document in wanted.items():
            backend.put_role_policy(role.name, policy_name, _json(document))

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        MotoRole.delete_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name
        )


def _json(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


MODELS: list[type[CloudFormationModel]] = [DynamoDBTable, LogGroup, IamRole]
