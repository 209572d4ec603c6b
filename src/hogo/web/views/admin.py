"""User and API-token management, for admins only. A new token is shown exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from hogo.auth.roles import LEAST_PRIVILEGED, ROLES_BY_PRIVILEGE, Role
from hogo.errors import HogoError
from hogo.http.deps import SessionDep
from hogo.services import auth
from hogo.services.database import savepoint
from hogo.web.form_errors import keyed_form_error
from hogo.web.options import Option, options
from hogo.web.render import language, render
from hogo.web.session import Admin, PasswordField

router = APIRouter()


@dataclass(frozen=True)
class AdminPage:
    users: tuple[auth.UserInfo, ...]
    tokens: tuple[auth.TokenInfo, ...]
    roles: tuple[Option, ...]  # least privileged first
    new_token: str | None = None
    message: str | None = None
    error: str | None = None
    #: The signed-in admin: their own row offers no 無効にする (nobody locks themself out).
    me: int | None = None


def _page(request: Request, session: SessionDep, user: Admin, **extra: str | None) -> AdminPage:
    lang = language(request)
    # Least privileged first: the form's default choice is the role with the fewest rights.
    roles = options(ROLES_BY_PRIVILEGE, lang)
    users, tokens = tuple(auth.list_users(session)), tuple(auth.list_tokens(session))
    return AdminPage(users, tokens, roles, me=user.principal.id, **extra)


#: The label of each field an error may name; `name` is the token's.
FIELD_LABELS = {
    "username": "login.username", "password": "login.password", "display_name": "admin.display_name",
    "role": "admin.role", "name": "admin.token_name",
}  # fmt: skip


#: The role chosen for a new user or token (empty: the least privileged).
RoleField = Annotated[str, Form(max_length=32)]


def _role(value: str) -> Role:
    if not value:
        return LEAST_PRIVILEGED
    if value not in Role.__members__:
        raise HogoError("役割が正しくありません。", "unknown role.")
    return Role(value)


@router.get("/admin", include_in_schema=False)
def admin_page(request: Request, session: SessionDep, user: Admin) -> Response:
    return render(request, "admin.html", _page(request, session, user), user)


@router.post("/admin/users", include_in_schema=False)
def add_user(
    request: Request,
    session: SessionDep,
    user: Admin,
    username: Annotated[str, Form(max_length=64)] = "",
    display_name: Annotated[str, Form(max_length=128)] = "",
    role: RoleField = "",
    password: PasswordField = "",
) -> Response:
    lang = language(request)
    try:
        with savepoint(session):
            auth.create_user(session, username, password, _role(role), display_name)
    except HogoError as exc:
        page = _page(request, session, user, error=keyed_form_error(exc, lang, FIELD_LABELS))
        return render(request, "admin.html", page, user, status_code=422)
    message = "ユーザーを追加しました。" if lang == "ja" else "The user was added."
    return render(request, "admin.html", _page(request, session, user, message=message), user)


@router.post("/admin/users/{user_id}/active", include_in_schema=False)
def set_user_active(
    user_id: int, session: SessionDep, user: Admin, active: Annotated[str, Form(max_length=8)] = ""
) -> Response:
    if user_id != user.principal.id:  # an admin cannot lock themself out
        auth.set_active(session, user_id, active == "1")
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/tokens", include_in_schema=False)
def create_token(
    request: Request,
    session: SessionDep,
    user: Admin,
    name: Annotated[str, Form(max_length=128)] = "",
    role: RoleField = "",
) -> Response:
    lang = language(request)
    try:
        with savepoint(session):
            token, _info = auth.create_token(session, name, _role(role), created_by=user.principal.id)
    except HogoError as exc:
        page = _page(request, session, user, error=keyed_form_error(exc, lang, FIELD_LABELS))
        return render(request, "admin.html", page, user, status_code=422)
    return render(request, "admin.html", _page(request, session, user, new_token=token), user)


@router.post("/admin/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token(token_id: int, session: SessionDep, user: Admin) -> Response:
    auth.revoke_token(session, token_id)
    return RedirectResponse("/admin", status_code=303)
