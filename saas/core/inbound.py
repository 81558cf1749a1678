"""How the app reads what requests carry: query and form values and JSON bodies, safely, for every route.

Each request's values come without the control characters no text field needs (NUL, which PostgreSQL
cannot store; \\x01, which a workbook cannot hold), and a JSON body nested too deep is bad input (400)
instead of a RecursionError: one place for every form, query string and API body.
"""

import json

from flask import Request as FlaskRequest
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from saas.core.parsing import clean_json, drop_control_characters

#: Deeper than any body this API takes (an Alertmanager notification is 4 levels); far below Python's recursion limit.
MAX_DEPTH = 64


class CleanMultiDict(ImmutableMultiDict):
    """request.args and request.form: keys and text values without control characters (files untouched)."""

    def __init__(self, mapping=None):
        if mapping is None:
            pairs = []
        elif isinstance(mapping, MultiDict):
            pairs = list(mapping.items(multi=True))
        elif isinstance(mapping, dict):
            pairs = [(k, v) for k, vs in mapping.items() for v in (vs if isinstance(vs, list | tuple) else [vs])]
        else:
            pairs = list(mapping)
        super().__init__([(_clean(k), _clean(v)) for k, v in pairs])


def _clean(value):
    return drop_control_characters(value) if isinstance(value, str) else value


class Request(FlaskRequest):
    """The app's request: cleaned query and form values (CleanMultiDict) and JSON strings (clean_json)."""

    parameter_storage_class = CleanMultiDict

    def get_json(self, force=False, silent=False, cache=True):
        return clean_json(super().get_json(force=force, silent=silent, cache=cache))


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, with loads() refusing deep nesting as a ValueError.

    request.get_json() turns a ValueError into None (silent=True) or a 400; a RecursionError (JSON nested
    100,000 levels) would escape both and answer 500, and a document just under the recursion limit would
    fail later, wherever it is walked or stored.
    """

    def loads(self, s, **kwargs):
        try:
            data = super().loads(s, **kwargs)
        except RecursionError as exc:
            raise json.JSONDecodeError("JSON nested too deeply", "", 0) from exc
        if depth(data) > MAX_DEPTH:
            raise json.JSONDecodeError(f"JSON nested deeper than {MAX_DEPTH} levels", "", 0)
        return data


def depth(data) -> int:
    """How deeply lists and objects nest in a parsed document (walked without recursion)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:  # nothing below the limit changes the answer
                stack.extend((child, level + 1) for child in (value.values() if isinstance(value, dict) else value))
    return deepest
