"""API token secrets: how they look and how they are stored (only a digest).

Shared by the service that issues tokens (`itsm.services.token_create`) and the API's
authentication (`itsm.api.authentication`), so that the service layer never imports the API.
"""

import hashlib

TOKEN_PREFIX = "itsm_"


def digest(secret: str) -> str:
    """What is stored and looked up for a secret (SHA-256, hex): the secret itself never is."""
    return hashlib.sha256(secret.encode()).hexdigest()
