"""`flask content check` and `flask content sync`: an ordered list of steps, one per kind of content.

Each area adds one line to ``SYNC_STEPS`` / ``CHECK_STEPS``; the functions are
imported lazily, so a step's module is only loaded when the command runs.

- A sync step is ``fn(directory, progress=None) -> dict`` returning counts such
  as ``{"created": 1, "updated": 0, "unchanged": 9}``; ``progress`` (when given)
  is called with the number of items just processed, and ``fn.count(directory)``
  (optional) says how many items there are so the command can size its bar.
  A sync step commits once, at its end, and raises ``ImportProblems`` (nothing
  written) when its files do not validate. Running it twice changes nothing.
- A check step is ``fn(directory) -> list[str]`` of ``"FILE:LINE: message"``.

The directory argument is the name of a config key (``CONTENT_DIR``,
``SCENARIOS_DIR``) resolved against the app config when the command runs.
"""

from dataclasses import dataclass
from importlib import import_module
from typing import Callable, Optional

from flask import current_app

# (label, "module:function", config key of the directory); order matters:
# quizzes attach to courses, certifications name courses and scenarios.
SYNC_STEPS = [
    ("library", "app.services.library_sync:sync_library", "CONTENT_DIR"),
    ("quizzes", "app.services.quiz_sync:sync_course_quizzes", "CONTENT_DIR"),
    ("scenarios", "app.services.scenario_sync:sync_scenarios", "SCENARIOS_DIR"),
]

CHECK_STEPS = [
    ("library", "app.services.library_sync:check_library_files", "CONTENT_DIR"),
    ("quizzes", "app.services.quiz_sync:check_course_quizzes", "CONTENT_DIR"),
    ("scenarios", "app.services.scenario_sync:check_scenarios", "SCENARIOS_DIR"),
]


@dataclass(frozen=True)
class Step:
    """One resolved step: its label, function and directory."""

    label: str
    function: Callable
    directory: str


def resolve(spec: str) -> Callable:
    """Import ``"module:function"`` and return the function."""
    module_name, _, name = spec.partition(":")
    return getattr(import_module(module_name), name)


def steps(table: list[tuple[str, str, str]], only: Optional[set[str]] = None) -> list[Step]:
    """Return the steps of ``table`` (optionally only those labelled in ``only``) ready to run."""
    chosen = []
    for label, spec, config_key in table:
        if only and label not in only:
            continue
        chosen.append(Step(label, resolve(spec), str(current_app.config[config_key])))
    return chosen


def step_labels(table: list[tuple[str, str, str]]) -> list[str]:
    """Return the labels of a step table, in order."""
    return [label for label, _, _ in table]


def check_all(only: Optional[set[str]] = None) -> list[str]:
    """Run every check step and return all problems, in step order."""
    problems: list[str] = []
    for step in steps(CHECK_STEPS, only):
        problems.extend(step.function(step.directory))
    return problems


def count_items(step: Step) -> Optional[int]:
    """Return how many items a sync step will process, when the step can tell."""
    counter = getattr(step.function, "count", None)
    return counter(step.directory) if counter else None


def sync_all(progress: Optional[Callable[[str, dict], None]] = None) -> dict[str, dict]:
    """Run every sync step in order (the demo seed uses this); return each step's summary by label."""
    summaries = {}
    for step in steps(SYNC_STEPS):
        summaries[step.label] = step.function(step.directory)
        if progress:
            progress(step.label, summaries[step.label])
    return summaries
