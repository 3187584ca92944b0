"""Users and teams (admins), and the caller's own record."""

import sqlalchemy as sa
from flask_login import current_user

from app.api import v1
from app.api.pagination import paginate
from app.api.schemas import Page, TeamOut, TeamQuery, UserOut, UserQuery
from app.api.spec import ID, operation
from app.authz import allow, signed_in
from app.extensions import db
from app.models.people import Role, Team, User
from app.services import accounts


def users_out(users) -> list[UserOut]:
    """Return users as response objects."""
    return [UserOut.model_validate(u) for u in users]


@v1.get("/me")
@signed_in
@operation(summary="The token's own user", tag="users", response=UserOut)
def me():
    """Return the caller's own user record."""
    return UserOut.model_validate(current_user)


@v1.get("/users")
@allow(Role.ADMIN)
@operation(summary="List users", tag="users", response=Page[UserOut], query=UserQuery)
def list_users(query: UserQuery):
    """Return a page of users, filtered like the admin's user list."""
    status = "" if query.active is None else ("active" if query.active else "inactive")
    filters = accounts.UserFilter(q=query.q or "", role=query.role or "", tier=query.tier or "",
                                  team_id=query.team_id, status=status)
    return paginate(accounts.user_query(filters).order_by(User.id), query, users_out)


@v1.get(f"/users/<{ID}:user_id>")
@allow(Role.ADMIN)
@operation(summary="Get a user", tag="users", response=UserOut)
def get_user(user_id: int):
    """Return one user."""
    return UserOut.model_validate(db.get_or_404(User, user_id, description="user not found"))


@v1.get("/teams")
@allow(Role.ADMIN)
@operation(summary="List teams", tag="users", response=Page[TeamOut], query=TeamQuery)
def list_teams(query: TeamQuery):
    """Return a page of teams, by name."""
    stmt = sa.select(Team).order_by(Team.name, Team.id)
    if query.q and query.q.strip():
        stmt = stmt.where(sa.func.lower(Team.name).contains(query.q.strip().lower(), autoescape=True))
    return paginate(stmt, query, lambda teams: [TeamOut.model_validate(t) for t in teams])


@v1.get(f"/teams/<{ID}:team_id>")
@allow(Role.ADMIN)
@operation(summary="Get a team", tag="users", response=TeamOut)
def get_team(team_id: int):
    """Return one team."""
    return TeamOut.model_validate(db.get_or_404(Team, team_id, description="team not found"))
