"""Cached page fragments that a committed change can never leave stale.

A fragment (the body of the learner home page, the mentor page's table) is
cached under a key made of *view stamps*: counters that the same transaction
raises whenever it changes something such a page could show.

- The stamp ``user:<id>`` belongs to one person. A change to one of their own
  records (attempts, plays, enrolments, lesson progress, assignments, messages,
  pairings, awards, …) raises the stamp of every user the record points at.
- The ``site`` stamp covers everything shared: courses,
  quizzes, scenarios, certifications, teams, model runs, experiments, and
  the public fields of any user (a mentor's new name shows on their
  mentees' pages). A write this module cannot attribute to certain users
  raises the site stamp too, so an unknown kind of change costs cache hits,
  never correctness.

Stamps (rows of table ``view_stamp``) are raised in ``before_commit``, inside
the writing transaction, so a reader sees either the old data with the old
stamp or the new data with the new one, on every instance that shares the
database. They are the last rows a transaction locks, always in the same
order, so raising them can never deadlock with the rows a request locks
before (a learner's row in ``plays._take_turns``, a play, an attempt). The cache itself (any
Flask-Caching backend: per-process by default, Redis for several instances)
only ever holds fragments under keys that include those stamps, the user's
locale and today's date. Nothing mutable is kept in process memory.

Bulk statements (``session.execute(sa.update(Model)…)``) say which users they
touch with ``.execution_options(view_stamps=[user ids])`` (an empty list when
they change nothing a page shows); without it they raise the site stamp.

CSRF tokens inside a fragment are rendered as a placeholder and filled in per
request, so one user's cached fragment never carries another session's token.
"""

import hashlib
from itertools import chain
from typing import Callable, Iterable, Optional

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql
import sqlalchemy.dialects.sqlite
from flask import current_app, g, render_template, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_caching import Cache
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.extensions import db
from app.models.people import User
from app.models.views import ViewStamp
from app.models.types import utcnow

cache = Cache()

#: Tables whose rows belong to the users they reference: a change raises those users' stamps only.
PERSONAL_TABLES = frozenset({
    "user", "api_token", "enrolment", "lesson_progress", "certification_award", "scenario_best",
    "assignment", "coaching_note", "improvement_plan", "inbox_message", "learner_activity",
    "period_standing", "mentor_pairing", "attempt", "play", "experiment_assignment",
    "recommendation_decision",
})
#: Tables no cached page reads directly: a change to them comes with a change to their parent row
#: (an attempt's items, a play's steps) or is never shown (the xAPI outbox, the view stamps themselves).
DETAIL_TABLES = frozenset({"attempt_item", "play_step", "xapi_statement", "view_stamp"})
#: User columns only that user's own pages can show; a change to any other column of a user is public.
USER_PRIVATE_COLUMNS = frozenset({"password_hash", "session_nonce", "last_seen_at", "locale"})
#: The execution option bulk statements use to name the users they touch.
OPTION = "view_stamps"
SITE = "site"
_PENDING = "view_stamps.pending"
_CSRF_PLACEHOLDER = "\x00csrf-token\x00"
_user_columns: dict = {}


def init_app(app) -> None:
    """Bind the fragment cache (``CACHE_TYPE``, default a per-process SimpleCache) and the stamp listeners."""
    app.config.setdefault("CACHE_TYPE", "SimpleCache")
    app.config.setdefault("CACHE_DEFAULT_TIMEOUT", 3600)
    app.config.setdefault("CACHE_KEY_PREFIX", "rehearse:")
    cache.init_app(app)
    install_listeners()
    app.jinja_env.globals["navigation_bar"] = navigation_bar


def install_listeners() -> None:
    """Register the session events once per process (``db.session`` is a module-level object)."""
    for name, listener in (("after_flush", _after_flush), ("do_orm_execute", _after_bulk),
                           ("before_commit", _before_commit), ("after_soft_rollback", _after_rollback)):
        if not sa.event.contains(db.session, name, listener):
            sa.event.listen(db.session, name, listener)


# --- raising stamps -----------------------------------------------------------------------------------

def _pending(session) -> tuple[set, list]:
    """Return this transaction's (user ids, [site flag]) collected so far."""
    return session.info.setdefault(_PENDING, (set(), [False]))


def _user_keys(mapper) -> tuple[str, ...]:
    """Return the attribute keys of ``mapper``'s columns that reference user.id (memoised per mapper)."""
    keys = _user_columns.get(mapper)
    if keys is None:
        keys = tuple(
            mapper.get_property_by_column(column).key
            for column in mapper.local_table.columns
            if any(fk.column.table.name == "user" and fk.column.name == "id" for fk in column.foreign_keys)
        )
        _user_columns[mapper] = keys
    return keys


def _changed_columns(state) -> set:
    """Return the keys of the attributes of a persistent object that have changes."""
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


def _after_flush(session, flush_context) -> None:
    """Note which stamps the flushed objects call for (the collections still show the flushed state here)."""
    users, site = _pending(session)
    dirty = session.dirty  # objects with net changes only
    for obj in chain(session.new, dirty, session.deleted):
        state = sa.inspect(obj)
        table = state.mapper.local_table.name
        if table in DETAIL_TABLES:
            continue
        for key in _user_keys(state.mapper):
            history = state.attrs[key].history
            users.update(v for v in chain(history.added, history.unchanged, history.deleted) if v is not None)
            value = state.dict.get(key)
            if value is not None:
                users.add(value)
        if table == "user":
            users.add(state.identity[0] if state.identity else obj.id)
            if obj not in dirty or _changed_columns(state) - USER_PRIVATE_COLUMNS:
                site[0] = True
        elif table not in PERSONAL_TABLES:
            site[0] = True


def _after_bulk(execute_state) -> None:
    """Note the stamps of an ORM bulk INSERT/UPDATE/DELETE run through the session."""
    if not (execute_state.is_update or execute_state.is_delete or execute_state.is_insert):
        return
    users, site = _pending(execute_state.session)
    named = execute_state.execution_options.get(OPTION)
    if named is not None:
        users.update(named)
        return
    mapper = execute_state.bind_mapper
    if mapper is None or mapper.local_table.name not in DETAIL_TABLES:
        site[0] = True


def touch(user_ids: Iterable[int] = (), site: bool = False) -> None:
    """Raise stamps at the next commit for a change made outside the ORM (raw SQL, another connection)."""
    users, flag = _pending(db.session)
    users.update(user_ids)
    flag[0] = flag[0] or site


def _before_commit(session) -> None:
    """Flush, then raise the collected stamps in the committing transaction."""
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    users, site = pending
    scopes = sorted({user_scope(u) for u in users} | ({SITE} if site[0] else set()))
    if scopes:
        _raise(session.connection(), scopes)


def user_scope(user_id: int) -> str:
    """Return the name of one user's stamp."""
    return f"user:{user_id}"


def user_scope_of(user_id_column):
    """Return the SQL expression of :func:`user_scope` for a column of user ids (to join their stamps)."""
    return sa.literal("user:") + sa.cast(user_id_column, sa.String)


_UPSERTS: dict = {}


def _upsert(dialect: str):
    """Return the prebuilt "add one to this stamp, creating it at 1" statement of a dialect (None: no upsert)."""
    if dialect not in _UPSERTS:
        table = ViewStamp.__table__
        insert = {"sqlite": sa.dialects.sqlite.insert, "postgresql": sa.dialects.postgresql.insert}.get(dialect)
        _UPSERTS[dialect] = None if insert is None else insert(table).values(
            scope=sa.bindparam("scope"), stamp=1).on_conflict_do_update(
            index_elements=[table.c.scope], set_={"stamp": table.c.stamp + 1})
    return _UPSERTS[dialect]


def _raise(connection, scopes: list[str]) -> None:
    """Add one to each named stamp, creating missing ones, one row after another in ``scopes`` order."""
    upsert = _upsert(connection.dialect.name)
    if upsert is not None:
        connection.execute(upsert, [{"scope": scope} for scope in scopes])
        return
    table = ViewStamp.__table__
    for scope in scopes:
        if not connection.execute(
                sa.update(table).where(table.c.scope == scope).values(stamp=table.c.stamp + 1)).rowcount:
            connection.execute(sa.insert(table).values(scope=scope, stamp=1))


def _after_rollback(session, previous_transaction) -> None:
    """Forget what a rolled-back transaction would have stamped."""
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


# --- reading fragments --------------------------------------------------------------------------------

_READ_STAMPS = sa.select(ViewStamp.__table__.c.scope, ViewStamp.__table__.c.stamp).where(
    ViewStamp.__table__.c.scope.in_(sa.bindparam("scopes", expanding=True)))


def read_stamps(user_ids: Iterable[int] = ()) -> tuple[int, dict[int, int]]:
    """Return the site stamp and {user id: stamp} in one query (0 for a stamp never raised)."""
    ids = list(user_ids)
    rows = db.session.connection().execute(_READ_STAMPS, {"scopes": [SITE, *map(user_scope, ids)]}).all()
    found = dict(rows)
    return found.get(SITE, 0), {uid: found.get(user_scope(uid), 0) for uid in ids}


def site_stamp() -> int:
    """Return the site stamp."""
    return read_stamps()[0]


def state_key(user_id: int, created_at, stamp: int) -> str:
    """Identify a user's state: id, creation time (so a re-used id never matches) and stamp."""
    return f"{user_id}.{created_at.timestamp() if created_at else 0:.6f}.{stamp}"


def fragment_key(name: str, user: User, *parts, others: Iterable[tuple[int, object, int]] = ()) -> str:
    """Return the cache key of fragment ``name`` as ``user`` sees it, in their language, today.

    ``others`` are (id, created_at, stamp) of further users the fragment shows
    (a mentor's mentees, read with their stamps in the same query as their ids).
    """
    site, stamps = read_stamps([user.id])
    states = [state_key(user.id, user.created_at, stamps[user.id])] + [state_key(*other) for other in others]
    raw = "|".join(str(p) for p in (name, site, get_locale(), utcnow().date(), *states, *parts))
    return name + ":" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def fragment(key: str, render: Callable[[], str]) -> Markup:
    """Return the cached HTML under ``key``, rendering (and caching) it with ``render`` when missing.

    CSRF tokens rendered inside are stored as a placeholder and replaced by
    this request's token on the way out.
    """
    enabled = current_app.config.get("VIEW_CACHE_ENABLED", True)
    html: Optional[str] = _cache_call(cache.get, key) if enabled else None
    if html is None:
        html = _render_with_placeholder(render)
        if enabled:
            _cache_call(cache.set, key, html)
    if _CSRF_PLACEHOLDER in html:
        html = html.replace(_CSRF_PLACEHOLDER, generate_csrf())
    return Markup(html)


def page(key: str, template: str, **context) -> Markup:
    """Return a whole cached page: ``template`` rendered with ``context``, whose values are fragments.

    The page adds the layout (head, navigation, footer) around fragments cached
    under the same ``key``, so it holds nothing the key does not cover. A
    flash message waiting in the session is shown once, by a real render, so
    the cache is passed by then.
    """
    if session.get("_flashes"):
        return Markup(render_template(template, **{name: fragment(key, value) for name, value in context.items()}))
    return fragment("page-" + key, lambda: render_template(
        template, **{name: fragment(key, value) for name, value in context.items()}))


def _cache_call(method, *args):
    """Call a cache method; a cache backend that fails (Redis down) costs a render, never the page."""
    try:
        return method(*args)
    except Exception as error:  # noqa: BLE001 - any backend's error: the page is rendered instead
        current_app.logger.warning("page cache unavailable: %s", error)
        return None


def _render_with_placeholder(render: Callable[[], str]) -> str:
    """Call ``render`` with Flask-WTF's per-request token (kept on ``g``) swapped for the placeholder."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    saved = g.pop(field, None)
    setattr(g, field, _CSRF_PLACEHOLDER)
    try:
        return str(render())
    finally:
        g.pop(field, None)
        if saved is not None:
            setattr(g, field, saved)


def navigation_bar() -> Markup:
    """Return the navigation bar, cached per user, language and page (for its active entry).

    It shows only the user's name, email and role, and links chosen by role,
    so those make the key and no stamp has to be read.
    """
    if not current_user.is_authenticated:
        return Markup(render_template("_nav.html"))
    who = "|".join(str(v) for v in (current_user.id, current_user.name, current_user.email, current_user.role,
                                     get_locale(), request.endpoint))
    key = "nav:" + hashlib.sha256(who.encode()).hexdigest()[:32]
    return fragment(key, lambda: render_template("_nav.html"))
