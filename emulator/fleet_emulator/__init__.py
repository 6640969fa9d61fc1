"""fleet's local AWS emulator: moto's server plus the CloudFormation and IoT support fleet needs.

This package owns the extensions loaded into moto (pinned in
emulator/requirements.txt) before its server starts; moto's installed files are
never edited. `install()` is the single entry point that loads them:

- iot.py      AWS::IoT::Thing, ThingType, ThingGroup and TopicRule resources,
              and the IoT API's three-attribute limit for untyped things
- core.py     DynamoDB table, Logs log group and IAM role fixes for fleet's core stack
- stacks.py   stack engine fixes: change set type and outputs, no-op updates,
              rollbacks instead of stuck stacks, resource-level stack events
- progress.py stack operations that appear to take time (--stack-seconds)
- broker.py   iot-data Publish forwarded to a registered MQTT broker, and the
              /_fleet/broker route that registers it

`python -m fleet_emulator` (see __main__.py) runs the server.
"""

_installed = False


def install() -> None:
    """Load the extensions into moto. Safe to call more than once."""
    global _installed
    if _installed:
        return
    # Importing parsing first makes moto define all of its own CloudFormation
    # models, so ours (imported next) come later and take precedence.
    from moto.cloudformation import parsing

    from . import broker, core, iot, progress, stacks

    # moto builds its type -> model map from CloudFormationModel.__subclasses__()
    # and caches it; drop the cache so the map is rebuilt with our classes.
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    model_map = parsing.get_model_map()
    for model in iot.MODELS + core.MODELS:
        if model_map.get(model.cloudformation_type()) is not model:
            raise RuntimeError(f"{model.cloudformation_type()} is not handled by {model.__name__}")

    iot.install()
    stacks.install()
    progress.install()  # after stacks: its refusals come before stacks' fixes run
    broker.install()
    _installed = True
