"""CloudFormation resources for AWS IoT, backed by moto's IoT backend.

moto 5.2.5 skips AWS::IoT::TopicRule and AWS::IoT::ThingGroup, fails on
AWS::IoT::Thing's real AttributePayload shape (it expects a JSON string), drops
ThingTypeProperties.ThingTypeDescription, and for Thing and ThingType answers
Ref with a Python object's repr. Each class here handles one resource type end
to end (create, update, delete, Ref, GetAtt) by calling the same backend
methods the IoT API uses, so `aws iot describe-thing`, `get-topic-rule` and
friends see what the stack made.

CloudFormation spells properties in PascalCase, the IoT API in camelCase;
`to_api()` converts one to the other so the backend stores exactly what a
CreateTopicRule/CreateThingGroup/CreateThingType call would have sent.

`install()` also adds one IoT API rule moto lacks and fleet's design leans on:
a thing without a thing type holds at most three attributes.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from botocore.loaders import create_loader
from botocore.model import ServiceModel, Shape
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
from moto.core.common_models import CloudFormationModel
from moto.iot.exceptions import (
    InvalidRequestException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
)
from moto.iot.models import IoTBackend, iot_backends


@functools.cache
def _iot_model() -> ServiceModel:
    return ServiceModel(create_loader().load_service_model("iot", "service-2"))


def to_api(value: Any, shape_name: str) -> Any:
    """A CloudFormation property tree -> the IoT API's JSON for shape `shape_name`.

    CloudFormation's IoT property names are the API's with the first letter
    raised (dynamoDBv2 -> DynamoDBv2, roleArn -> RoleArn), so each key is matched
    case-insensitively against botocore's IoT model, the same model boto3 and
    moto's serializer use. Walking the model keeps user-named map keys (thing
    attributes, Kafka client properties) as they are, coerces scalars the way
    CloudFormation does (template parameters arrive as strings), and rejects a
    property the API does not have instead of silently dropping it.
    """
    return _convert(value, _iot_model().shape_for(shape_name), shape_name)


def _convert(value: Any, shape: Shape, path: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise ValidationError(message=f"{path}: expected an object, got {value!r}")
        members = {name.lower(): (name, member) for name, member in shape.members.items()}
        converted = {}
        for key, item in value.items():
            if key.lower() not in members:
                raise ValidationError(message=f"{path}: unknown property {key}")
            name, member = members[key.lower()]
            converted[name] = _convert(item, member, f"{path}.{key}")
        return converted
    if kind == "list":
        if not isinstance(value, list):
            raise ValidationError(message=f"{path}: expected a list, got {value!r}")
        return [_convert(item, shape.member, f"{path}[{i}]") for i, item in enumerate(value)]
    if kind == "map":
        if not isinstance(value, dict):
            raise ValidationError(message=f"{path}: expected a map, got {value!r}")
        return {
            str(key): _convert(item, shape.value, f"{path}.{key}") for key, item in value.items()
        }
    if kind == "boolean":
        return _bool(value)
    if kind in ("integer", "long"):
        return int(value)
    if kind == "string":
        return _string(value)
    return value


def _api(properties: dict[str, Any], name: str) -> Any:
    # The IoT properties used here are named like their API shapes.
    return to_api(properties.get(name) or {}, name)


def _string(value: Any) -> str:
    # CloudFormation hands numbers and booleans on to string fields as text.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _bool(value: Any) -> bool:
    # Template parameters arrive as strings: "false" must not be truthy.
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


class _IotResource:
    """Plumbing shared by the IoT resources: what CloudFormation keeps in its
    resource map is one of these, holding the physical name; the state itself
    lives in moto's IoT backend."""

    KIND = ""  # used in error messages

    def __init__(self, name: str, account_id: str, region_name: str):
        self.name = name
        self.account_id = account_id
        self.region_name = region_name

    # --- what moto's CloudFormation engine asks of a resource ---

    @property
    def physical_resource_id(self) -> str:  # also what Ref returns
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "Id")

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "Arn":
            return self._model().arn
        if attribute_name == "Id" and self.has_cfn_attr("Id"):
            return self._id()
        raise UnformattedGetAttTemplateException()

    def is_created(self) -> bool:
        return True

    def delete(self, account_id: str, region_name: str) -> None:
        self._delete()

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> _IotResource:
        properties = cloudformation_json.get("Properties") or {}
        name = properties.get(cls.cloudformation_name_type()) or cls._generated_name(resource_name)
        resource = cls(name, account_id, region_name)
        if resource._exists():
            # Real CloudFormation fails rather than adopt a resource it did not make.
            raise ResourceAlreadyExistsException(
                f"{cls.KIND} {name} already exists", name, resource._arn_guess()
            )
        resource._create(properties)
        return resource

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls,
        original_resource: _IotResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> _IotResource:
        properties = cloudformation_json.get("Properties") or {}
        explicit_name = properties.get(cls.cloudformation_name_type())
        name = explicit_name or original_resource.name
        if name == original_resource.name and not original_resource._needs_replacement(properties):
            original_resource._update(properties)
            return original_resource
        if name == original_resource.name:
            if explicit_name:
                # What AWS answers too: the replacement could not have the same name.
                raise ValidationError(
                    message="CloudFormation cannot update a stack when a custom-named resource "
                    f"requires replacing. Rename {name} and update the stack again."
                )
            name = cls._generated_name(new_resource_name)
        # Replacement, in CloudFormation's order: make the new one, then drop the old.
        replacement = cls.create_from_cloudformation_json(
            name, cloudformation_json, account_id, region_name
        )
        if cloudformation_json.get("UpdateReplacePolicy") != "Retain":
            original_resource._delete()
        return replacement

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        cls(resource_name, account_id, region_name)._delete()

    # --- per-type behaviour ---

    @property
    def backend(self) -> IoTBackend:
        return iot_backends[self.account_id][self.region_name]

    @staticmethod
    def _generated_name(resource_name: str) -> str:
        return resource_name

    def _exists(self) -> bool:
        try:
            self._model()
        except ResourceNotFoundException:
            return False
        return True

    def _arn_guess(self) -> str:
        try:
            return self._model().arn
        except ResourceNotFoundException:
            return ""

    def _needs_replacement(self, properties: dict[str, Any]) -> bool:
        return False

    def _model(self) -> Any:
        raise NotImplementedError

    def _id(self) -> str:
        raise NotImplementedError

    def _create(self, properties: dict[str, Any]) -> None:
        raise NotImplementedError

    def _update(self, properties: dict[str, Any]) -> None:
        raise NotImplementedError

    def _delete(self) -> None:
        raise NotImplementedError


def _attribute_payload(properties: dict[str, Any]) -> dict[str, Any]:
    payload = _api(properties, "AttributePayload")
    return {"attributes": payload.get("attributes") or {}}


class Thing(_IotResource, CloudFormationModel):
    """AWS::IoT::Thing: ThingName, AttributePayload.Attributes."""

    KIND = "Thing"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::IoT::Thing"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ThingName"

    def _model(self) -> Any:
        return self.backend.describe_thing(self.name)

    def _id(self) -> str:
        return self._model().thing_id

    def _create(self, properties: dict[str, Any]) -> None:
        self.backend.create_thing(
            thing_name=self.name,
            thing_type_name="",
            attribute_payload=_attribute_payload(properties),
        )

    def _update(self, properties: dict[str, Any]) -> None:
        # merge=False: the template's attributes replace the thing's, so one
        # removed from the template is removed from the thing.
        payload = {**_attribute_payload(properties), "merge": False}
        self.backend.update_thing(
            thing_name=self.name,
            thing_type_name="",
            attribute_payload=payload,
            remove_thing_type=False,
        )

    def _delete(self) -> None:
        self.backend.delete_thing(self.name)


class ThingType(_IotResource, CloudFormationModel):
    """AWS::IoT::ThingType: ThingTypeName, ThingTypeProperties, DeprecateThingType."""

    KIND = "Thing type"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::IoT::ThingType"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ThingTypeName"

    def _model(self) -> Any:
        return self.backend.describe_thing_type(self.name)

    def _id(self) -> str:
        return self._model().thing_type_id

    def _create(self, properties: dict[str, Any]) -> None:
        self.backend.create_thing_type(
            thing_type_name=self.name,
            thing_type_properties=_api(properties, "ThingTypeProperties"),
        )
        self._set_deprecated(properties)

    def _needs_replacement(self, properties: dict[str, Any]) -> bool:
        # CloudFormation replaces a thing type whose description or searchable
        # attributes change; only Mqtt5Configuration and deprecation change in place.
        old = self._model().thing_type_properties or {}
        new = _api(properties, "ThingTypeProperties")
        return any(
            old.get(key) != new.get(key) for key in ("thingTypeDescription", "searchableAttributes")
        )

    def _update(self, properties: dict[str, Any]) -> None:
        self._model().thing_type_properties = _api(properties, "ThingTypeProperties")
        self._set_deprecated(properties)

    def _set_deprecated(self, properties: dict[str, Any]) -> None:
        deprecated = _bool(properties.get("DeprecateThingType", False))
        self.backend.deprecate_thing_type(self.name, undo_deprecate=not deprecated)

    def _delete(self) -> None:
        # AWS wants the type deprecated (and 5 minutes to pass) first; the
        # emulator removes it at once.
        self.backend.delete_thing_type(self.name)


class ThingGroup(_IotResource, CloudFormationModel):
    """AWS::IoT::ThingGroup: ThingGroupName, ParentGroupName, ThingGroupProperties."""

    KIND = "Thing group"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::IoT::ThingGroup"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ThingGroupName"

    def _model(self) -> Any:
        return self.backend.describe_thing_group(self.name)

    def _id(self) -> str:
        return self._model().thing_group_id

    def _create(self, properties: dict[str, Any]) -> None:
        parent = properties.get("ParentGroupName") or None
        if parent:
            # moto would crash with an UnboundLocalError on a missing parent.
            self.backend.describe_thing_group(parent)
        self.backend.create_thing_group(
            thing_group_name=self.name,
            parent_group_name=parent,  # type: ignore[arg-type]
            thing_group_properties=_api(properties, "ThingGroupProperties"),
        )

    def _needs_replacement(self, properties: dict[str, Any]) -> bool:
        return (properties.get("ParentGroupName") or None) != self._model().parent_group_name

    def _update(self, properties: dict[str, Any]) -> None:
        new = _api(properties, "ThingGroupProperties")
        # UpdateThingGroup bumps the version; its merge semantics cannot remove a
        # description or all attributes, so the template's properties are then
        # stored as they are, which is what CloudFormation converges to.
        self.backend.update_thing_group(self.name, new, expected_version=0)
        self._model().thing_group_properties = new

    def _delete(self) -> None:
        self.backend.delete_thing_group(self.name)


class TopicRule(_IotResource, CloudFormationModel):
    """AWS::IoT::TopicRule: RuleName, TopicRulePayload (Sql, Actions, ErrorAction, ...)."""

    KIND = "Rule"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::IoT::TopicRule"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "RuleName"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    @staticmethod
    def _generated_name(resource_name: str) -> str:
        # Rule names allow only [a-zA-Z0-9_]; moto's generated names contain '-'.
        return re.sub(r"[^a-zA-Z0-9_]", "_", resource_name)

    def _model(self) -> Any:
        rule = self.backend.rules.get(self.name)
        if rule is None:
            raise ResourceNotFoundException()
        return rule

    @staticmethod
    def _rule_arguments(properties: dict[str, Any]) -> dict[str, Any]:
        """TopicRulePayload -> the keyword arguments of IoTBackend.create_topic_rule,
        carrying the same camelCase values a CreateTopicRule request would."""
        payload = _api(properties, "TopicRulePayload")
        if not payload.get("sql"):
            raise ValidationError(message="TopicRulePayload: property Sql is required")
        return {
            "sql": payload["sql"],
            "description": payload.get("description"),
            "rule_disabled": _bool(payload.get("ruleDisabled", False)),
            "actions": payload.get("actions") or [],
            "error_action": payload.get("errorAction"),
            "aws_iot_sql_version": payload.get("awsIotSqlVersion"),
        }

    def _create(self, properties: dict[str, Any]) -> None:
        # Tags are accepted but not stored: moto's IoT has no tagging API to show them.
        self.backend.create_topic_rule(self.name, **self._rule_arguments(properties))

    def _update(self, properties: dict[str, Any]) -> None:
        created_at = self._model().created_at
        self.backend.replace_topic_rule(self.name, **self._rule_arguments(properties))
        # moto's ReplaceTopicRule re-creates the rule; AWS keeps its creation time.
        self._model().created_at = created_at

    def _delete(self) -> None:
        self.backend.delete_topic_rule(self.name)


MODELS: list[type[CloudFormationModel]] = [Thing, ThingType, ThingGroup, TopicRule]

UNTYPED_ATTRIBUTE_LIMIT = 3


def _check_untyped_limit(thing_name: str, has_type: bool, attributes: dict[str, Any]) -> None:
    if not has_type and len(attributes) > UNTYPED_ATTRIBUTE_LIMIT:
        raise InvalidRequestException(
            f"thing {thing_name}: a thing without a thing type can have at most "
            f"{UNTYPED_ATTRIBUTE_LIMIT} attributes, got {len(attributes)}"
        )


def install() -> None:
    """Enforce the untyped-thing attribute limit in CreateThing and UpdateThing
    (and so in the Thing resource above, which goes through them)."""
    create_thing = IoTBackend.create_thing
    update_thing = IoTBackend.update_thing

    def create_thing_checked(
        self: IoTBackend,
        thing_name: str,
        thing_type_name: str,
        attribute_payload: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        attributes = (attribute_payload or {}).get("attributes") or {}
        _check_untyped_limit(thing_name, bool(thing_type_name), attributes)
        return create_thing(self, thing_name, thing_type_name, attribute_payload, *args, **kwargs)

    def update_thing_checked(
        self: IoTBackend,
        thing_name: str,
        thing_type_name: str,
        attribute_payload: Any,
        remove_thing_type: bool,
    ) -> None:
        thing = self.describe_thing(thing_name)
        attributes = dict(thing.attributes)
        payload = attribute_payload or {}
        if "attributes" in payload:
            if not payload.get("merge"):
                attributes = {}
            attributes.update(payload["attributes"])
        attributes = {key: value for key, value in attributes.items() if value}  # "" removes
        has_type = bool(thing_type_name) or (thing.thing_type is not None and not remove_thing_type)
        _check_untyped_limit(thing_name, has_type, attributes)
        update_thing(self, thing_name, thing_type_name, attribute_payload, remove_thing_type)

    IoTBackend.create_thing = create_thing_checked  # type: ignore[method-assign]
    IoTBackend.update_thing = update_thing_checked  # type: ignore[method-assign]
