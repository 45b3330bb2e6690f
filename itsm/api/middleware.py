"""Under /api/, every error answers in the API's one JSON shape (`itsm.api.errors`), also the
ones no API view produced: a path the router does not match, a server error (Django's 500
page), a refusal of Django's own (400, 413). First in MIDDLEWARE, so it sees every answer; it
rewrites the answer in place, keeping the headers the other middleware set (security headers,
Allow, Retry-After)."""

import json
from http import HTTPStatus

from django.conf import settings

API_PREFIX = "/api/"
# The `code` of an error the API's handler did not write, by status.
CODES = {
    400: "bad_request", 401: "not_authenticated", 403: "permission_denied", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 413: "body_too_large", 415: "unsupported_media_type",
    429: "throttled", 500: "server_error", 502: "bad_gateway", 503: "unavailable",
}
MESSAGES = {
    404: "Not found.",
    500: "Server error: the request could not be completed. It has been logged.",
}


def is_json(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() == "application/json"


def error_body(status: int) -> dict:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    code = CODES.get(status, phrase.lower().replace(" ", "_").replace("-", "_"))
    if status == 413:
        message = f"Request body too large: at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes are accepted."
    else:
        message = MESSAGES.get(status, f"{phrase}.")
    return {"error": {"status": status, "code": code, "message": message}}


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not request.path_info.startswith(API_PREFIX) or is_json(response):
            return response
        if getattr(response, "streaming", False):
            return response
        response.content = json.dumps(error_body(response.status_code)).encode()
        response["Content-Type"] = "application/json"
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response
