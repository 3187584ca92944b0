"""SQLAlchemy models, one module per area; importing this registers them all."""

from app.models.people import MentorPairing, Role, Team, Tier, User  # noqa: F401
from app.models.library import Certification, CertificationAward, Course, CourseVersion, Enrolment, Lesson, LessonProgress, ScenarioBest  # noqa: F401,E501
from app.models.mentoring import Assignment, CoachingNote, ImprovementPlan, InboxMessage, LearnerActivity, PeriodStanding, PlanAction, PlanCheckIn  # noqa: F401,E501
from app.models.deals import Deal, DealActivity, ModelRun, RecommendationDecision  # noqa: F401
from app.models.quiz import Attempt, AttemptItem, Question, QuestionAnswer, QuestionBank, QuestionCategory, QuestionTag, Quiz, QuizSlot  # noqa: F401,E501
from app.models.roleplay import Objection, Play, PlayStep, Scenario, ScenarioBehaviour, ScenarioVersion  # noqa: F401
from app.models.api import ApiToken  # noqa: F401
from app.models.xapi import XapiStatement  # noqa: F401
from app.models import experiments  # noqa: F401,E402
from app.models.views import ViewStamp  # noqa: F401
