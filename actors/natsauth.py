"""How cove authenticates to NATS: user/password, token, NKey seed or creds file, and TLS.

Values come from flags or environment variables at the edge; secrets are `SecretStr`, so they never
show in a repr, a log line or a recorded setting, and they are handed to the NATS client only.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr

ENV = {
    "user": "COVE_NATS_USER",
    "password": "COVE_NATS_PASSWORD",
    "token": "COVE_NATS_TOKEN",
    "creds_file": "COVE_NATS_CREDS",
    "nkey_seed_file": "COVE_NATS_NKEY",
    "tls_ca": "COVE_NATS_TLS_CA",
    "tls_cert": "COVE_NATS_TLS_CERT",
    "tls_key": "COVE_NATS_TLS_KEY",
}


class NatsAuthError(ValueError):
    """Credentials that cannot be used as given (a missing file, half a certificate pair...)."""


class NatsAuth(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    user: str | None = None
    password: SecretStr | None = None
    token: SecretStr | None = None
    creds_file: Path | None = None  # a .creds file (JWT + NKey seed)
    nkey_seed_file: Path | None = None
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the NATS client (FastStream's NatsBroker passes them on)."""
        for name in ("creds_file", "nkey_seed_file", "tls_ca", "tls_cert", "tls_key"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                raise NatsAuthError(f"NATS {name.replace('_', ' ')} {path} does not exist")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise NatsAuthError("NATS TLS needs both a client certificate and its key")
        if (self.user is None) != (self.password is None):
            raise NatsAuthError("NATS user and password go together")
        from faststream.nats.security import NatsCredentials, NatsNKey, NatsSecurity, NatsToken, NatsUserPassword

        context = None
        if self.tls_ca is not None or self.tls_cert is not None:
            context = ssl.create_default_context(cafile=str(self.tls_ca) if self.tls_ca else None)
            if self.tls_cert is not None:
                context.load_cert_chain(str(self.tls_cert), str(self.tls_key))
        tls = {"ssl_context": context, "use_ssl": True} if context is not None else {}
        methods = []
        if self.user is not None and self.password is not None:
            methods.append(NatsUserPassword(username=self.user, password=self.password.get_secret_value(), **tls))
        if self.token is not None:
            methods.append(NatsToken(token=self.token.get_secret_value(), **tls))
        if self.creds_file is not None:
            methods.append(NatsCredentials(credentials=str(self.creds_file), **tls))
        if self.nkey_seed_file is not None:
            methods.append(NatsNKey(seed_file=self.nkey_seed_file, **tls))
        if len(methods) > 1:
            raise NatsAuthError("give one NATS authentication method: user and password, a token, a creds file or an NKey seed")
        if not methods and tls:
            methods.append(NatsSecurity(**tls))
        return {"security": methods[0]} if methods else {}
