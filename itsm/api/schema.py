"""OpenAPI description of the API: the schema class of every view, our authentication (loaded
from ItsmConfig.ready) and the conventions every operation shares."""

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, right where it is wrong for every app:

    - an answer's field read from a nullable model field (a nested caller, assignee, lead,
      owner, parent) is nullable, whether or not the serializer says `allow_null`;
    - filters and pagination are not described on one record's URLs (its detail and actions):
      those answer one record or a plain list; an action that pages is marked with
      `itsm.api.schema.paginated` (the journal)."""

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and not field.allow_null and _reads_nullable_column(field):
            meta["nullable"] = True
        return meta

    def get_response_serializers(self):
        # A ServiceModelViewSet validates with `input_serializer_class` but answers a create or
        # an update with `serializer_class` (an @extend_schema(responses=...) still wins).
        view = self.view
        if (getattr(view, "action", None) in ("create", "update", "partial_update")
                and getattr(view, "input_serializer_class", None) is not None
                and getattr(view, "serializer_class", None) is not None):
            return view.serializer_class
        return super().get_response_serializers()

    def get_filter_backends(self):
        if getattr(self.view, "detail", False):
            return []  # one record's URL: the list's filters are not its parameters
        return super().get_filter_backends()

    def _get_paginator(self):
        if getattr(self.view, "detail", False) and not self._action_pages():
            return None  # an action of one record answers a plain list, unless it says it pages
        return super()._get_paginator()

    def _action_pages(self) -> bool:
        handler = getattr(self.view, getattr(self.view, "action", None) or "", None)
        return bool(getattr(handler, "paginated", False))


def _reads_nullable_column(field) -> bool:
    """Whether a serializer field's source, followed from its serializer's model, crosses a
    nullable model field (`service_owner`, `parent.name`)."""
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if model is None or not source or source == "*" or isinstance(field, serializers.ManyRelatedField):
        return False
    for name in source.split("."):
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        if getattr(model_field, "null", False) and not model_field.many_to_many:
            return True
        model = model_field.related_model
        if model is None:
            return False
    return False


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "itsm.api.authentication.TokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token created on the API tokens page or with "
                           "`manage.py create_api_token`. Read-only tokens may only use safe methods.",
        }


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer", "example": 400},
                "code": {"type": "string", "example": "invalid"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Messages per input field or query parameter.",
                },
            },
        }
    },
}
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="Makes a create safe to retry: the same key and body replay the first answer; "
                "the same key with another body gets 409.",
)
IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=False,
    description="The ETag you read. A stale value gets 412. Without it, send `version` in the body; "
                "with neither, the update gets 428.",
)
ERROR_STATUSES = {
    "400": "Invalid input", "401": "Not authenticated", "403": "Not permitted", "404": "Not found",
    "409": "Conflict (transition not allowed, idempotency key reused)", "412": "Stale version",
    "428": "Precondition required", "429": "Throttled",
}


def add_conventions(result, generator, request, public):
    """Postprocessing hook: document the shared error format and headers on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status_code, description in ERROR_STATUSES.items():
                responses.setdefault(status_code, {"description": description, "content": error_ref})
    return result


def paginated(handler):
    """Marks a detail action whose answer is a page (count, next, previous, results)."""
    handler.paginated = True
    return handler
