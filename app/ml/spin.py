"""The SPIN classifier: labels a typed line situation / problem / implication / need_payoff / other.

Character n-grams (``char_wb``) need no word segmentation, so one model serves
Chinese and English. Training saves the fitted pipeline with a sidecar JSON
(scikit-learn version, corpus hash, parameters, scores); loading accepts only
an artefact whose sidecar matches this library version and this corpus, else
the model is retrained. Each process loads the model once.
"""

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import joblib
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from app.services.errors import ImportProblems

LABELS = ("situation", "problem", "implication", "need_payoff", "other")
LANGS = ("zh", "en")
MODEL_FILE = "spin.joblib"
SIDECAR_FILE = "spin.json"
ARTEFACT_KIND = "rehearse-spin-classifier"
DEFAULT_CORPUS = Path(__file__).resolve().parent / "corpus"
RANDOM_STATE = 0


class CorpusError(ImportProblems, ValueError):
    """A corpus file that cannot be used; ``problems`` are "FILE:LINE: message" strings."""


@dataclass(frozen=True)
class Corpus:
    """Labelled lines: texts, labels and languages, in file order."""

    texts: list
    labels: list
    langs: list
    digest: str


@dataclass(frozen=True)
class Prediction:
    """A line's label, the model's confidence, and the n-grams that pushed it there."""

    text: str
    label: str
    confidence: float
    features: tuple = ()  # ((n-gram, weight), …), strongest first


def build_spin_pipeline(random_state: int = RANDOM_STATE, ngram_range: tuple = (1, 4), C: float = 10.0) -> Pipeline:
    """Return an unfitted pipeline: character n-gram TF-IDF, then multinomial logistic regression."""
    return Pipeline([
        ("tfidf", TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range, lowercase=True, sublinear_tf=True,
                                  min_df=1)),
        ("clf", LogisticRegression(C=C, max_iter=5000, random_state=random_state)),
    ])


def load_corpus(path) -> Corpus:
    """Read a TSV with header ``label<TAB>lang<TAB>text``; raise CorpusError naming FILE:LINE."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise CorpusError([f"{path}:1: cannot read corpus: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise CorpusError([f"{path}:1: not UTF-8 ({exc.reason})"]) from None
    lines = text.splitlines()
    problems: list[str] = []
    if not lines or lines[0].strip().split("\t") != ["label", "lang", "text"]:
        raise CorpusError([f"{path}:1: the header must be 'label<TAB>lang<TAB>text'"])
    texts, labels, langs = [], [], []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            problems.append(f"{path}:{number}: expected 3 tab-separated columns, found {len(parts)}")
            continue
        label, lang, sentence = (p.strip() for p in parts)
        if label not in LABELS:
            problems.append(f"{path}:{number}: unknown label {label!r} (use one of {', '.join(LABELS)})")
        elif lang not in LANGS:
            problems.append(f"{path}:{number}: unknown lang {lang!r} (use zh or en)")
        elif not sentence:
            problems.append(f"{path}:{number}: empty text")
        else:
            texts.append(sentence)
            labels.append(label)
            langs.append(lang)
    if problems:
        raise CorpusError(problems)
    missing = [label for label in LABELS if label not in labels]
    if missing:
        raise CorpusError([f"{path}:1: no examples of {', '.join(missing)}: every label needs examples"])
    return Corpus(texts, labels, langs, hashlib.sha256(raw).hexdigest())


def _cv_folds(labels: list) -> int:
    """Return how many stratified folds the smallest class allows (at most 5)."""
    smallest = min(labels.count(label) for label in set(labels))
    return max(2, min(5, smallest))


def train(
    train_path, eval_path=None, model_dir=None, progress: Optional[Callable[[str], None]] = None,
    cross_validate: bool = True,
) -> tuple[Pipeline, dict]:
    """Fit on the training corpus, score it, and save model + sidecar to ``model_dir`` when given.

    ``cross_validate=False`` skips the k-fold score (the first-use fallback in a
    request does not wait for it; `flask spin train` always computes it).
    """
    say = progress or (lambda message: None)
    corpus = load_corpus(train_path)
    pipeline = build_spin_pipeline()
    params = {"ngram_range": [1, 4], "analyzer": "char_wb", "C": 10.0, "random_state": RANDOM_STATE,
              "model": "LogisticRegression"}
    folds = StratifiedKFold(n_splits=_cv_folds(corpus.labels), shuffle=True, random_state=RANDOM_STATE)
    cv = None
    # One BLAS thread: on a busy small machine, thread hand-offs made a 0.2 s fit take 10 s.
    with threadpool_limits(limits=1):
        if cross_validate:
            say("cross-validating")
            cv = cross_val_score(build_spin_pipeline(), corpus.texts, corpus.labels, cv=folds, scoring="f1_macro")
        say("fitting")
        pipeline.fit(corpus.texts, corpus.labels)
    meta = {
        "kind": ARTEFACT_KIND, "sklearn_version": sklearn.__version__, "corpus_sha256": corpus.digest,
        "corpus": str(train_path), "n_train": len(corpus.texts), "params": params, "labels": list(LABELS),
        "cv_folds": folds.get_n_splits() if cv is not None else 0,
        "cv_macro_f1": round(float(np.mean(cv)), 4) if cv is not None else None,
        "cv_macro_f1_std": round(float(np.std(cv)), 4) if cv is not None else None,
        "heldout_macro_f1": None, "n_heldout": 0,
    }
    if eval_path is not None and Path(eval_path).exists():
        say("scoring the held-out file")
        held = load_corpus(eval_path)
        with threadpool_limits(limits=1):
            predicted = pipeline.predict(held.texts)
        meta["heldout_macro_f1"] = round(float(f1_score(held.labels, predicted, average="macro")), 4)
        meta["n_heldout"] = len(held.texts)
        meta["heldout_macro_f1_by_lang"] = {
            lang: round(float(f1_score([y for y, g in zip(held.labels, held.langs) if g == lang],
                                       [p for p, g in zip(predicted, held.langs) if g == lang], average="macro")), 4)
            for lang in LANGS if lang in held.langs
        }
        meta["eval_corpus_sha256"] = held.digest
    if model_dir is not None:
        save(pipeline, meta, model_dir)
    return pipeline, meta


def save(pipeline: Pipeline, meta: dict, model_dir) -> None:
    """Write the model and its sidecar (model first, so a sidecar never names a missing model)."""
    folder = Path(model_dir)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (MODEL_FILE + ".tmp")
    joblib.dump(pipeline, tmp)
    tmp.replace(folder / MODEL_FILE)
    (folder / SIDECAR_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")


def read_sidecar(model_dir) -> Optional[dict]:
    """Return the saved sidecar, or None when there is none or it is unreadable."""
    try:
        return json.loads((Path(model_dir) / SIDECAR_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def load_saved(model_dir, train_path) -> Optional[tuple[Pipeline, dict]]:
    """Return the saved model when it is ours, from this scikit-learn version and this corpus; else None."""
    meta = read_sidecar(model_dir)
    if not meta or meta.get("kind") != ARTEFACT_KIND or meta.get("sklearn_version") != sklearn.__version__:
        return None
    try:
        digest = hashlib.sha256(Path(train_path).read_bytes()).hexdigest()
    except OSError:
        return None
    if meta.get("corpus_sha256") != digest:
        return None
    try:
        pipeline = joblib.load(Path(model_dir) / MODEL_FILE)  # only our own artefact, checked above
    except Exception:  # a truncated or foreign file: retrain rather than fail
        return None
    if not isinstance(pipeline, Pipeline) or list(getattr(pipeline, "classes_", [])) != sorted(LABELS):
        return None
    return pipeline, meta


class SpinClassifier:
    """A fitted SPIN pipeline with prediction and explanation.

    One line is scored straight from the fitted parts (TF-IDF row, class
    weights, softmax), the same arithmetic as ``predict_proba`` of a
    multinomial logistic regression, so the row is built once for both the
    label and its explanation.
    """

    def __init__(self, pipeline: Pipeline, meta: dict):
        self.pipeline = pipeline
        self.meta = meta
        self._tfidf = pipeline.named_steps["tfidf"]
        clf = pipeline.named_steps["clf"]
        self._classes = [str(c) for c in clf.classes_]
        self._coef = np.asarray(clf.coef_)
        self._intercept = np.asarray(clf.intercept_)
        self._vocab = np.array(self._tfidf.get_feature_names_out())

    def _proba(self, rows) -> np.ndarray:
        scores = np.asarray(rows @ self._coef.T) + self._intercept
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def classify(self, text: str, top: int = 5) -> Prediction:
        """Label one line; the same text always gets the same label."""
        text = (text or "").strip()
        row = self._tfidf.transform([text])
        proba = self._proba(row)[0]
        best = int(np.argmax(proba))
        return Prediction(text=text, label=self._classes[best], confidence=round(float(proba[best]), 4),
                          features=self._explain(row, best, top))

    def classify_many(self, texts: list[str]) -> list[Prediction]:
        """Label several lines at once (no explanations)."""
        proba = self._proba(self._tfidf.transform(texts))
        return [Prediction(text=t, label=self._classes[int(np.argmax(p))], confidence=round(float(np.max(p)), 4))
                for t, p in zip(texts, proba)]

    def explain(self, text: str, label: str, top: int = 5) -> tuple:
        """Return the n-grams of ``text`` that weigh most towards ``label`` (TF-IDF value × class weight)."""
        return self._explain(self._tfidf.transform([text]), self._classes.index(label), top)

    def _explain(self, row, class_index: int, top: int) -> tuple:
        weights = self._coef[class_index]
        contributions = [(str(self._vocab[j]), float(v * weights[j])) for j, v in zip(row.indices, row.data)]
        contributions = [c for c in contributions if c[1] > 0 and c[0].strip()]
        contributions.sort(key=lambda c: (-c[1], c[0]))
        return tuple((gram, round(w, 4)) for gram, w in contributions[:top])


_lock = threading.Lock()
_loaded: dict = {}


def get_classifier(model_dir, train_path, eval_path=None) -> SpinClassifier:
    """Return this process's classifier: cached, else loaded from model_dir, else trained and saved."""
    key = (str(model_dir), str(train_path))
    cached = _loaded.get(key)
    if cached is not None:
        return cached
    with _lock:
        cached = _loaded.get(key)
        if cached is None:
            found = load_saved(model_dir, train_path)
            if found is None:
                found = train(train_path, eval_path, model_dir, cross_validate=False)
            cached = SpinClassifier(*found)
            _loaded[key] = cached
    return cached


def forget_loaded() -> None:
    """Drop the per-process cache (after `flask spin train`, and in tests)."""
    with _lock:
        _loaded.clear()
