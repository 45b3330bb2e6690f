"""The API's JSON parser (settings' DEFAULT_PARSER_CLASSES): the input rules of `itsm.inputs`
for every body, before any view or serializer sees it."""

import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import JSONParser

from ..inputs import MAX_JSON_DEPTH, text_problems


class StrictJSONParser(JSONParser):
    """JSON with three more refusals (400, never a server error): nesting deeper than
    MAX_JSON_DEPTH (also a body so deep that Python's decoder, which recurses once per level,
    raises RecursionError), and NUL characters or lone surrogates
    in any string or key (PostgreSQL's text and jsonb cannot hold them), named by their path."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            raise ParseError("JSON parse error - the body is not valid %s." % encoding) from None
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if nesting_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.")
        problems = text_problems(data)
        if problems:
            raise ApiValidationError(problems)
        return data


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def nesting_depth(data) -> int:
    """How deeply lists and objects nest in parsed JSON (without recursion: walked level by level)."""
    depth, level = 0, [data]
    while level := [value for value in level if isinstance(value, dict | list)]:
        depth += 1
        level = [child for value in level for child in (value.values() if isinstance(value, dict) else value)]
    return depth
