"""The mentor workspace's demo data."""

import sqlalchemy as sa

from app.extensions import db
from app.models.mentoring import Assignment, ImprovementPlan, InboxMessage
from app.services.demo import DEMO_PASSWORD, seed_people
from app.services.mentor_demo import seed_mentor_demo


def test_demo_seed_is_idempotent_and_fills_the_mentor_page(app, client, auth):
    """Two runs give the same assignments; the demo mentor sees flags, a plan and charts."""
    users = seed_people()
    db.session.commit()
    seed_mentor_demo(users)
    count = db.session.scalar(sa.select(sa.func.count(Assignment.id)))
    seed_mentor_demo(users)
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == count == 5
    assert db.session.scalar(sa.select(sa.func.count(ImprovementPlan.id))) == 1
    mentor = users["mentor@rehearse.test"]
    assert db.session.scalar(sa.select(sa.func.count(InboxMessage.id)).where(InboxMessage.recipient_id == mentor.id)) > 0
    auth.login(mentor.email, DEMO_PASSWORD)
    page = client.get("/mentor/")
    assert page.status_code == 200 and b"data-sparkline" in page.data
    learner3 = users["learner3@rehearse.test"]
    assert client.get(f"/mentor/mentees/{learner3.id}").status_code == 200
