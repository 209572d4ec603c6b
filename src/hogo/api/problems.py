"""One error format for every failure, in Japanese and English, never echoing the input.

HogoError subclasses map to HTTP statuses: InputError 422 (with row/field), NotFound 404,
Conflict 409; authentication 401, permission 403; log-in throttling 429; a store lock held past
the lock timeout 503 with Retry-After. Request validation
errors name the fields only; the rejected values are not repeated back (they may be personal).
A failure nobody foresaw is a 500 in the same format (`server_error_response`), never a
traceback or plain text; a 405 names the allowed methods in `Allow`.
"""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from hogo.errors import Conflict, HogoError, InputError, NotFound, StoreBusy
from hogo.http.deps import Forbidden, Unauthenticated
from hogo.services.auth import AuthenticationFailed, TooManyAttempts
from hogo.services.notice import OriginRefused

#: What a busy store (503) asks the client to wait before retrying.
RETRY_AFTER_SECONDS = 5


class ErrorDetail(BaseModel):
    field: str
    problem: str


class ErrorBody(BaseModel):
    code: str
    message_ja: str
    message_en: str
    field: str | None = None
    row: int | None = None
    details: list[ErrorDetail] = []


class ErrorOut(BaseModel):
    error: ErrorBody


#: HTTP status and error code per kind of error, the first that matches; anything else is 422 rejected.
_STATUS: tuple[tuple[type[HogoError] | tuple[type[HogoError], ...], int, str], ...] = (
    (InputError, 422, "invalid_input"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
    ((Unauthenticated, AuthenticationFailed), 401, "unauthenticated"),
    (Forbidden, 403, "forbidden"),
    (OriginRefused, 403, "origin_refused"),
    (TooManyAttempts, 429, "too_many_attempts"),
    (StoreBusy, 503, "busy"),
)


def _status(exc: HogoError) -> tuple[int, str]:
    return next(
        ((status, code) for kind, status, code in _STATUS if isinstance(exc, kind)), (422, "rejected")
    )


def error_response(status: int, body: ErrorBody) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return JSONResponse(ErrorOut(error=body).model_dump(mode="json"), status_code=status, headers=headers)


def hogo_error_response(exc: HogoError) -> JSONResponse:
    status, code = _status(exc)
    return error_response(
        status,
        ErrorBody(
            code=code,
            message_ja=exc.ja,
            message_en=exc.en,
            field=getattr(exc, "field", None),
            row=getattr(exc, "row", None),
        ),
    )


def validation_response(exc: RequestValidationError) -> JSONResponse:
    details = [
        ErrorDetail(field=".".join(str(p) for p in e.get("loc", ())), problem=str(e.get("type", "invalid")))
        for e in exc.errors()
    ]
    return error_response(
        422,
        ErrorBody(
            code="invalid_input",
            message_ja="入力内容に誤りがあります。",
            message_en="the request is not valid.",
            field=details[0].field if details else None,
            details=details,
        ),
    )


def server_error_response() -> JSONResponse:
    """An unforeseen failure: says nothing about its cause (that is in the server's log)."""
    return error_response(
        500,
        ErrorBody(
            code="server_error",
            message_ja="サーバーで問題が発生しました。時間をおいて再度お試しください。",
            message_en="something went wrong on the server; please try again later.",
        ),
    )


def http_error_response(exc: StarletteHTTPException) -> JSONResponse:
    """Framework errors in the same format; an unreadable body (400) is invalid input like any other."""
    if exc.status_code == 400:
        return error_response(
            422,
            ErrorBody(
                code="invalid_input", message_ja="要求の本文を読み取れません。", message_en="unreadable body."
            ),
        )
    text = {404: ("見つかりません。", "not found."), 405: ("この操作はできません。", "method not allowed.")}
    ja, en = text.get(exc.status_code, ("要求を処理できません。", "the request cannot be processed."))
    response = error_response(
        exc.status_code, ErrorBody(code=f"http_{exc.status_code}", message_ja=ja, message_en=en)
    )
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value  # e.g. Allow on a 405
    return response


ERROR_TEXT = {
    401: "認証が必要です / authentication required",
    403: "権限がありません / not allowed",
    404: "見つかりません / not found",
    408: "要求の本文の送信が遅すぎます / the request body was sent too slowly",
    409: "競合 / conflict",
    413: "要求の本文が大きすぎます / the request body is too large",
    429: "要求が多すぎます。Retry-After 秒後に再試行 / too many requests: retry after Retry-After",
    422: "入力の誤り、又は業務上の規則による拒否 / invalid input, or a rule refused it",
    500: "サーバーの問題(原因は返しません)/ server error, cause not disclosed",
    503: "他の処理(一括取込み等)で使用中。Retry-After 秒後に再試行 / busy: retry after Retry-After",
}


def responses(*statuses: int, authenticated: bool = True) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses an operation can answer with.

    Every operation can answer 422 (the request, or a rule), 500, 503 (the store is busy) and
    408/413 (a body too slow or too large, refused before it is read); authenticated ones also
    401 and 403. Name 404 and 409 where the operation's service raises NotFound or Conflict.
    """
    common = (408, 413, 422, 500, 503)
    always = (401, 403, *common) if authenticated else common
    return {s: {"model": ErrorOut, "description": ERROR_TEXT[s]} for s in sorted({*always, *statuses})}
