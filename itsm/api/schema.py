"""OpenAPI description of our authentication (loaded from ItsmConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter


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
