"""Request dependencies: the runtime, and who is calling (an API key or a signed-in user), scoped to a workspace."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from suara.errors import NotAuthenticated, PermissionDenied
from suara.runtime import Runtime
from suara.store.app import Role, find_api_key

# API keys are checked against the app store at most once a minute each; a revoked key stops within that time.
_KEY_TTL_S = 60.0
_ROLE_RANK = {Role.viewer: 0, Role.agent: 1, Role.analyst: 2, Role.admin: 3}


@dataclass(frozen=True)
class Principal:
    workspace_id: str
    role: Role
    user_id: int | None = None
    name: str = ""

    def require(self, role: Role) -> None:
        if _ROLE_RANK[self.role] < _ROLE_RANK[role]:
            raise PermissionDenied(f"this needs the {role} role; the caller has {self.role}")


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token:
            return token.strip()
    return request.headers.get("x-api-key")


def principal_for_key(request: Request, runtime: Runtime, key: str) -> Principal | None:
    cache: dict[str, tuple[float, Principal | None]] = request.app.state.key_cache
    now = time.monotonic()
    hit = cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    with runtime.app.session() as s:
        row = find_api_key(s, key)
        principal = None if row is None else Principal(row.workspace_id, Role(row.role), name=row.name)
    cache[key] = (now + _KEY_TTL_S, principal)
    return principal


async def current_principal(request: Request, runtime: RuntimeDep) -> Principal:
    """An API key (Bearer or X-API-Key) or the signed-in session; otherwise 401."""
    key = _presented_key(request)
    if key:
        principal = principal_for_key(request, runtime, key)
        if principal is None:
            raise NotAuthenticated("the API key is unknown or revoked")
        return principal
    session = request.scope.get("session") or {}
    if "workspace_id" in session:
        return Principal(
            session["workspace_id"], Role(session["role"]), session.get("user_id"), session.get("name", "")
        )
    raise NotAuthenticated("send an API key as `Authorization: Bearer <key>` or sign in")


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
