"""Every domain error as an HTTP answer, in one place: a plain-text message that says what to do.

Used by the FastAPI app's exception handlers and by the plain ASGI route of `/sparql`
(`server.endpoint.routes`) alike.
"""

from __future__ import annotations

from fastapi.responses import PlainTextResponse

from loaders.publish.remote import EngineUnavailable, NoRemoteBuild
from loaders.publish.store import NoPublishedStore, UnknownBuild
from server.pages.choropleth import BadView
from server.pages.memento import BadDatetime, NoMemento
from server.publication.documents import BadPosition, UnknownDocument
from server.publication.feed import NoFeedPage
from server.sparql.contract import RETRY_AFTER, QueryFailed, TooManyRequests
from server.sparql.guard import ForbiddenQuery, QueryTooComplex
from server.sparql.protocol import ProtocolError
from server.web.languages import BadLanguage
from server.web.limits import BodyRefused
from server.web.negotiation import NotAcceptable

DomainError = (
    ProtocolError,
    QueryFailed,
    BadLanguage,
    BodyRefused,
    QueryTooComplex,
    ForbiddenQuery,
    NotAcceptable,
    EngineUnavailable,
    NoPublishedStore,
    NoRemoteBuild,
    TooManyRequests,
    BadPosition,
    UnknownDocument,
    BadDatetime,
    BadView,
    NoMemento,
    UnknownBuild,
    NoFeedPage,
)


def text(status: int, message: str, headers: dict[str, str] | None = None) -> PlainTextResponse:
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


def error_response(error: Exception) -> PlainTextResponse:
    """The answer for one of the DomainError types."""
    retry = {"Retry-After": str(RETRY_AFTER)}
    match error:
        case ProtocolError() | BodyRefused():
            headers = {"Connection": "close"} if isinstance(error, BodyRefused) else None
            return text(error.status, error.message, headers)
        case QueryFailed():
            return text(error.status, error.message, {"Retry-After": str(error.retry_after)} if error.retry_after else None)
        case BadLanguage() | QueryTooComplex() | BadPosition() | BadDatetime() | BadView():
            return text(400, str(error))
        case UnknownDocument() | NoMemento() | UnknownBuild() | NoFeedPage():
            return text(404, str(error))
        case ForbiddenQuery():
            return text(403, str(error))
        case NotAcceptable():
            return text(406, str(error))
        case EngineUnavailable():
            return text(503, f"The SPARQL engine behind this server is unavailable; retry in {RETRY_AFTER} s.", retry)
        case NoPublishedStore():
            # no build yet, or a replica over a remote engine without the build's folder (store_dir)
            message = "This server holds no copy of the build's files (dumps, catalogue record): "
            return text(404, message + "run `s3kg build`, or give a replica the build's folder.")
        case NoRemoteBuild():
            return text(503, "No build is published in the SPARQL engine yet.", retry)
        case TooManyRequests():
            return text(429, str(error), {"Retry-After": str(error.retry_after)})
    raise TypeError(f"not a domain error: {type(error).__name__}")
