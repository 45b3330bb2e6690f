"""Idempotent creates and optimistic concurrency, for every API view that needs them."""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from ..inputs import has_bad_text
from ..models import IdempotencyKey
from .errors import Conflict, PreconditionFailed, PreconditionRequired

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


REPLAYED_HEADERS = ("Content-Type", "ETag", "Location")


def respond_idempotently(request, produce):
    """Answer a create once per `Idempotency-Key`: a retry with the same key and body
    replays the first answer; the same key with another body is refused (409).

    `produce()` performs the create and returns its Response; without the header it is
    simply called. Only successful answers are kept, so a failed create can be retried. The
    answer is kept as sent (rendered by the view, in the create's transaction): a replay is
    the first body byte for byte, with its Content-Type, ETag and Location.
    """
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        return produce()
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError({IDEMPOTENCY_HEADER: [
            _("At most %(count)s characters.") % {"count": MAX_KEY_LENGTH}]})
    if has_bad_text(key):  # it is stored: the database refuses NUL characters
        raise ValidationError({IDEMPOTENCY_HEADER: [_("Null characters are not allowed.")]})
    body_digest = hashlib.sha256(json.dumps(request.data, sort_keys=True, default=str).encode()).hexdigest()
    previous = _replay(request, key, body_digest)
    if previous is not None:
        return previous
    try:
        with transaction.atomic():
            response = produce()
            if status.is_success(response.status_code):
                response = _rendered(request, response)
                IdempotencyKey.objects.create(
                    user=request.user, key=key, path=request.path, request_digest=body_digest,
                    status_code=response.status_code, response_body=response.data,
                    response_content=response.content,
                    response_headers={name: response[name] for name in REPLAYED_HEADERS if name in response},
                )
    except IntegrityError:
        # A concurrent request with the same key committed first: answer as it did.
        previous = _replay(request, key, body_digest)
        if previous is None:
            raise
        return previous
    return response


def _rendered(request, response):
    """The response as the view will send it (its headers, ETag included, and the body
    rendered by the negotiated renderer); DRF's second finalize_response leaves it as is."""
    view = request.parser_context.get("view") if request.parser_context else None
    if view is not None:
        response = view.finalize_response(request, response)
    response.render()
    return response


def _replay(request, key, body_digest):
    stored = IdempotencyKey.objects.filter(user=request.user, key=key, path=request.path).first()
    if stored is None:
        return None
    if stored.request_digest != body_digest:
        raise Conflict("This Idempotency-Key was used with a different request body.")
    response = Response(stored.response_body, status=stored.status_code, headers={"Idempotent-Replayed": "true"})
    if stored.response_content is not None:
        response.content = bytes(stored.response_content)  # rendered: sent as it is
        for name, value in stored.response_headers.items():
            response[name] = value
    return response


def etag_for(obj) -> str:
    return f'"{obj.pk}-{obj.version}"'


class ConcurrencyMixin:
    """Reads carry an ETag; updates need If-Match (or a `version` in the body) and get 412
    if the record changed meanwhile. The service compares versions under a row lock."""

    def get_object(self):
        obj = super().get_object()
        self._etag_object = obj
        return obj

    def expected_version(self, request, obj) -> int:
        if_match = request.headers.get("If-Match")
        if if_match:
            if if_match.strip() != etag_for(obj) and if_match.strip() != "*":
                raise PreconditionFailed()
            return obj.version
        version = request.data.get("version") if hasattr(request.data, "get") else None
        if version is None:
            raise PreconditionRequired()
        try:
            return int(version)
        except (TypeError, ValueError):
            raise PreconditionFailed("version must be an integer.") from None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        obj = getattr(self, "_etag_object", None)
        if obj is not None and status.is_success(response.status_code) and hasattr(obj, "version"):
            response["ETag"] = etag_for(obj)
        return response
