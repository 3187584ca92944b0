"""Paginate a SELECT into the API's page shape: items, page, per_page, total, next."""

from typing import Callable

import sqlalchemy as sa
from flask import request, url_for

from app.api.schemas import Page, PageQuery
from app.extensions import db


def next_url(query: PageQuery) -> str:
    """Return the URL of the page after ``query``'s, with the same filters."""
    args = {}
    for name, value in query.model_dump(exclude_defaults=True, mode="json").items():
        args[name] = str(value).lower() if isinstance(value, bool) else value
    args["page"] = query.page + 1
    args["per_page"] = query.per_page
    return url_for(request.endpoint, **(request.view_args or {}), **args, _external=True)


def paginate(stmt: sa.Select, query: PageQuery, serialise: Callable[[list], list]) -> Page:
    """Return one page of ``stmt``'s rows, each page's rows turned into items by ``serialise`` (one call)."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    offset = (query.page - 1) * query.per_page
    rows = list(db.session.scalars(stmt.limit(query.per_page).offset(offset)).unique())
    more = offset + len(rows) < total
    return Page(items=serialise(rows), page=query.page, per_page=query.per_page, total=total,
                next=next_url(query) if more else None)
