"""Idempotent creates and optimistic concurrency, for every API view that needs them."""

import hashlib
import json

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.response import Response

from ..models import IdempotencyKey
from .errors import Conflict, PreconditionFailed, PreconditionRequired

IDEMPOTENCY_HEADER = "Idempotency-Key"


def respond_idempotently(request, produce):
    """Answer a create once per `Idempotency-Key`: a retry with the same key and body
    replays the first answer; the same key with another body is refused (409).

    `produce()` performs the create and returns its Response; without the header it is
    simply called. Only successful answers are kept, so a failed create can be retried.
    """
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        return produce()
    if len(key) > 255:
        raise Conflict("Idempotency-Key is longer than 255 characters.")
    body_digest = hashlib.sha256(json.dumps(request.data, sort_keys=True, default=str).encode()).hexdigest()
    previous = _replay(request, key, body_digest)
    if previous is not None:
        return previous
    try:
        with transaction.atomic():
            response = produce()
            if status.is_success(response.status_code):
                IdempotencyKey.objects.create(
                    user=request.user, key=key, path=request.path, request_digest=body_digest,
                    status_code=response.status_code, response_body=response.data,
                )
    except IntegrityError:
        # A concurrent request with the same key committed first: answer as it did.
        previous = _replay(request, key, body_digest)
        if previous is None:
            raise
        return previous
    return response


def _replay(request, key, body_digest):
    stored = IdempotencyKey.objects.filter(user=request.user, key=key, path=request.path).first()
    if stored is None:
        return None
    if stored.request_digest != body_digest:
        raise Conflict("This Idempotency-Key was used with a different request body.")
    return Response(stored.response_body, status=stored.status_code, headers={"Idempotent-Replayed": "true"})


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
