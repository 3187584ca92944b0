"""`flask scenario …` (validate, import, sync) and `flask spin …` (train, classify)."""

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.services.errors import ImportProblems


@click.group("scenario", help="Validate and import role-play scenarios (YAML or Twee 3).")
def scenario_cli():
    """Validate and import role-play scenarios."""


def _story_paths(target: Path) -> list[Path]:
    """Return the Twee files that make one story: the file, or every .twee/.tw file of a folder."""
    if target.is_dir():
        return sorted(p for p in target.iterdir() if p.suffix in (".twee", ".tw"))
    return [target]


@scenario_cli.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@with_appcontext
def validate(files):
    """Check scenario files; print every problem as FILE:LINE: message; exit 1 if any.

    YAML files (.yaml/.yml) are scenarios; any other file is read as Twee 3.
    A folder is one Twee story spread over several files. Objection keys are
    checked against objections.yaml next to the file, when there is one.
    """
    from app.content.objections import load_objections
    from app.content.scenario import ScenarioProblems, load_behaviour_keys, load_scenario
    from app.content.twee import load_twee

    behaviours = load_behaviour_keys(current_app.config["CONTENT_DIR"])
    problems, checked = [], 0
    for target in files:
        folder = target if target.is_dir() else target.parent
        objections = None
        try:
            if (folder / "objections.yaml").exists():
                objections = {o.key for o in load_objections(folder / "objections.yaml")}
            if target.name == "objections.yaml":
                checked += 1
                continue
            if target.suffix in (".yaml", ".yml"):
                load_scenario(target, behaviours, objections)
            else:
                paths = _story_paths(target)
                if not paths:
                    raise ScenarioProblems([f"{target}:1: no .twee or .tw files in this folder"])
                _scenario, warnings = load_twee(paths, behaviours, objections)
                for warning in warnings:
                    click.echo(warning, err=True)
            checked += 1
        except ScenarioProblems as exc:
            problems.extend(exc.problems)
    for problem in problems:
        click.echo(problem)
    if problems:
        raise click.exceptions.Exit(1)
    click.echo(f"{checked} file(s) OK")


@scenario_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_file(file):
    """Import one scenario file (all or nothing); a changed file makes a new version.

    This also replaces a scenario published from the browser (sync leaves those alone).
    """
    from app.services.scenario_sync import import_scenario_file

    try:
        status, scenario = import_scenario_file(file)
    except ImportProblems as exc:
        raise click.ClickException("\n".join(exc.problems)) from None
    click.echo(f"{scenario.slug}: {status}")


@scenario_cli.command("sync")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Scenarios folder (default: SCENARIOS_DIR).")
@with_appcontext
def sync(directory):
    """Load every scenario and the objection library of a folder (all or nothing, idempotent).

    Scenarios published from the browser are kept as the trainer left them
    (reported as "kept: edited in the browser"); import the file to replace one.
    Scenarios loaded from a file that is gone are reported ("missing from
    files") and left as they are, with their plays.
    """
    from app.services.scenario_sync import count_scenario_items, sync_scenarios

    directory = directory or Path(current_app.config["SCENARIOS_DIR"])
    notes: list[str] = []  # printed after the bar, which owns the line while it runs
    with click.progressbar(length=count_scenario_items(directory), label="Scenarios") as bar:
        try:
            summary = sync_scenarios(directory, progress=bar.update, report=notes.append)
        except ImportProblems as exc:
            raise click.ClickException("\n".join(exc.problems)) from None
    for note in notes:
        click.echo(note)
    # A list names the items behind a count (scenarios whose file is gone).
    click.echo(", ".join(f"{k} {len(v) if isinstance(v, list) else v}" for k, v in summary.items()))


@click.group("spin", help="Train and use the SPIN question classifier.")
def spin_cli():
    """Train and use the SPIN question classifier."""


def _corpus_paths() -> tuple[Path, Path]:
    base = Path(current_app.root_path) / "ml" / "corpus"
    return (Path(current_app.config.get("SPIN_TRAIN_PATH") or base / "spin_train.tsv"),
            Path(current_app.config.get("SPIN_EVAL_PATH") or base / "spin_eval.tsv"))


@spin_cli.command("train")
@click.option("--corpus", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Training TSV (default: app/ml/corpus/spin_train.tsv).")
@click.option("--eval", "eval_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Held-out TSV (default: app/ml/corpus/spin_eval.tsv, when present).")
@with_appcontext
def train(corpus, eval_path):
    """Fit the classifier, report cross-validated and held-out macro-F1, save it to MODEL_DIR."""
    from app.ml import spin

    default_train, default_eval = _corpus_paths()
    corpus, eval_path = corpus or default_train, eval_path or default_eval
    stages = ["cross-validating", "fitting", "scoring the held-out file"]
    with click.progressbar(length=len(stages), label="Training SPIN classifier") as bar:
        try:
            _pipeline, meta = spin.train(corpus, eval_path, current_app.config["MODEL_DIR"],
                                         progress=lambda stage: bar.update(1))
        except spin.CorpusError as exc:
            raise click.ClickException("\n".join(exc.problems)) from None
    spin.forget_loaded()
    click.echo(f"trained on {meta['n_train']} lines; cross-validated macro-F1 {meta['cv_macro_f1']:.3f} "
               f"(± {meta['cv_macro_f1_std']:.3f}, {meta['cv_folds']} folds)")
    if meta["heldout_macro_f1"] is not None:
        click.echo(f"held-out macro-F1 {meta['heldout_macro_f1']:.3f} on {meta['n_heldout']} lines "
                   f"({', '.join(f'{k} {v:.3f}' for k, v in meta['heldout_macro_f1_by_lang'].items())})")
    else:
        click.echo(f"no held-out file at {eval_path}: held-out macro-F1 not measured")
    click.echo(f"saved to {current_app.config['MODEL_DIR']}")


@spin_cli.command("classify")
@click.option("--json", "as_json", is_flag=True, help='One {"text", "label", "confidence"} object a line.')
@with_appcontext
def classify(as_json):
    """Read lines on stdin; print a label and confidence for each (blank lines are skipped)."""
    from app.ml import spin
    from app.services.plays import spin_classifier

    try:
        classifier = spin_classifier()
    except spin.CorpusError as exc:
        raise click.ClickException("\n".join(exc.problems)) from None
    lines = [line.strip() for line in sys.stdin.read().splitlines() if line.strip()]
    for prediction in classifier.classify_many(lines) if lines else []:
        if as_json:
            click.echo(json.dumps({"text": prediction.text, "label": prediction.label,
                                   "confidence": prediction.confidence}, ensure_ascii=False))
        else:
            click.echo(f"{prediction.label}\t{prediction.confidence:.3f}\t{prediction.text}")
