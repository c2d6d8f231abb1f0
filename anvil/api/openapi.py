"""The published API contract: ``GET /v1/openapi.json`` serves openapi.yaml as JSON."""

import functools
import importlib.resources

import flask
import yaml

from anvil.api.responses import json_response

bp = flask.Blueprint('openapi', __name__)


@functools.cache
def document():
    """The OpenAPI document (a dict), read from the package once."""
    text = importlib.resources.files('anvil.api').joinpath('openapi.yaml').read_text('utf-8')
    return yaml.safe_load(text)


@bp.route('/v1/openapi.json', methods=['GET'])
def openapi_json():
    return json_response(document())
