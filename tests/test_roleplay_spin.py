"""The SPIN classifier: pipeline contract, saved artefact with sidecar, planted behaviour, CLI."""

import json

import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from app.ml import spin
from tests.factories_roleplay import SMALL_CORPUS, SMALL_EVAL, use_small_corpus

CLEAR = [
    ("situation", "How many stores do you run today?"),
    ("problem", "What is the hardest part of managing stock today?"),
    ("implication", "What does that delay cost you in lost sales?"),
    ("need_payoff", "How would it help if you could cut stockouts in half?"),
    ("other", "Thanks for your time today."),
    ("situation", "你们现在一共有多少家门店？"),
    ("problem", "管理库存最难的地方是什么？"),
    ("implication", "这个问题对利润率有多大影响？"),
    ("need_payoff", "如果能把缺货率降一半，对您有什么帮助？"),
    ("other", "很高兴认识您。"),
]


@pytest.fixture(autouse=True)
def small_corpus(app):
    """Train on the small fixture corpus and start each test with no loaded model."""
    use_small_corpus(app)
    spin.forget_loaded()
    yield
    spin.forget_loaded()


def test_build_returns_an_unfitted_char_ngram_pipeline():
    """build_spin_pipeline: an unfitted Pipeline of char_wb TF-IDF and a seeded logistic regression."""
    pipeline = spin.build_spin_pipeline()
    assert isinstance(pipeline, Pipeline)
    tfidf, clf = pipeline.named_steps["tfidf"], pipeline.named_steps["clf"]
    assert tfidf.analyzer == "char_wb" and tfidf.ngram_range == (1, 4)
    assert clf.random_state == 0
    with pytest.raises(NotFittedError):
        pipeline.predict(["hello"])
    clone(pipeline)  # parameters only in __init__, as scikit-learn requires


def test_planted_examples_get_their_labels_in_both_languages(tmp_path):
    """Clearly worded examples of each label, Chinese and English, get that label."""
    pipeline, _meta = spin.train(SMALL_CORPUS, None, None, cross_validate=False)
    classifier = spin.SpinClassifier(pipeline, _meta)
    for label, text in CLEAR:
        assert classifier.classify(text).label == label, text


def test_same_line_same_label_and_explained():
    """Classification is deterministic and names the n-grams that pushed the line to its label."""
    pipeline, meta = spin.train(SMALL_CORPUS, None, None, cross_validate=False)
    again, _ = spin.train(SMALL_CORPUS, None, None, cross_validate=False)
    a = spin.SpinClassifier(pipeline, meta).classify("What does that cost you?")
    b = spin.SpinClassifier(again, meta).classify("What does that cost you?")
    assert (a.label, a.confidence) == (b.label, b.confidence)
    assert 0 < a.confidence <= 1
    assert a.features and all(gram in "what does that cost you?" and weight > 0 for gram, weight in a.features)


def test_train_saves_model_and_sidecar(tmp_path):
    """The sidecar records library version, corpus hash, parameters, CV and held-out macro-F1."""
    _pipeline, meta = spin.train(SMALL_CORPUS, SMALL_EVAL, tmp_path)
    saved = json.loads((tmp_path / spin.SIDECAR_FILE).read_text())
    assert saved == meta
    assert saved["sklearn_version"] == sklearn.__version__
    assert saved["corpus_sha256"] and saved["params"]["analyzer"] == "char_wb"
    assert 0 <= saved["cv_macro_f1"] <= 1 and saved["cv_folds"] >= 2
    assert 0 <= saved["heldout_macro_f1"] <= 1 and saved["n_heldout"] == 10
    assert spin.load_saved(tmp_path, SMALL_CORPUS) is not None


def test_foreign_or_stale_artefacts_are_not_loaded(tmp_path):
    """A sidecar from another library version or corpus is refused (the model is retrained instead)."""
    spin.train(SMALL_CORPUS, None, tmp_path, cross_validate=False)
    sidecar = tmp_path / spin.SIDECAR_FILE
    meta = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps({**meta, "sklearn_version": "0.1"}))
    assert spin.load_saved(tmp_path, SMALL_CORPUS) is None
    sidecar.write_text(json.dumps({**meta, "corpus_sha256": "0" * 64}))
    assert spin.load_saved(tmp_path, SMALL_CORPUS) is None
    (tmp_path / spin.MODEL_FILE).write_bytes(b"not a model")
    sidecar.write_text(json.dumps(meta))
    assert spin.load_saved(tmp_path, SMALL_CORPUS) is None
    classifier = spin.get_classifier(tmp_path, SMALL_CORPUS)  # falls back to training, and saves
    assert classifier.classify("Thanks for your time today.").label == "other"
    assert spin.load_saved(tmp_path, SMALL_CORPUS) is not None


def test_classifier_is_loaded_once_per_process(tmp_path):
    """get_classifier returns the same object until forget_loaded()."""
    first = spin.get_classifier(tmp_path, SMALL_CORPUS)
    assert spin.get_classifier(tmp_path, SMALL_CORPUS) is first
    spin.forget_loaded()
    assert spin.get_classifier(tmp_path, SMALL_CORPUS) is not first


def test_bad_corpus_names_file_and_line(tmp_path):
    """A corpus with a bad label or column count fails with FILE:LINE problems."""
    bad = tmp_path / "bad.tsv"
    bad.write_text("label\tlang\ttext\nsituation\ten\tHow many?\nquestion\ten\tWhy?\nproblem\tfr\tQuoi?\nonly two\tcols\n",
                   encoding="utf-8")
    with pytest.raises(spin.CorpusError) as info:
        spin.load_corpus(bad)
    assert info.value.problems == [
        f"{bad}:3: unknown label 'question' (use one of situation, problem, implication, need_payoff, other)",
        f"{bad}:4: unknown lang 'fr' (use zh or en)",
        f"{bad}:5: expected 3 tab-separated columns, found 2",
    ]


def test_cli_train_reports_scores(runner, app):
    """`flask spin train` prints CV and held-out macro-F1 and writes the artefact to MODEL_DIR."""
    result = runner.invoke(args=["spin", "train"])
    assert result.exit_code == 0, result.output
    assert "cross-validated macro-F1" in result.output and "held-out macro-F1" in result.output
    assert spin.read_sidecar(app.config["MODEL_DIR"])["n_train"] == 80


def test_cli_classify_json_lines(runner):
    """`flask spin classify --json` prints one {"text", "label", "confidence"} object per input line."""
    result = runner.invoke(args=["spin", "classify", "--json"],
                           input="How many stores do you run today?\n\n很高兴认识您。\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["text"] for r in rows] == ["How many stores do you run today?", "很高兴认识您。"]
    assert [r["label"] for r in rows] == ["situation", "other"]
    assert all(set(r) == {"text", "label", "confidence"} and 0 < r["confidence"] <= 1 for r in rows)
    plain = runner.invoke(args=["spin", "classify"], input="Thanks for your time today.\n")
    assert plain.output.startswith("other\t")


def test_cli_classify_with_a_broken_corpus_is_a_clear_error(runner, app, tmp_path):
    """A missing corpus is a click error naming the file, not a traceback."""
    app.config["SPIN_TRAIN_PATH"] = str(tmp_path / "missing.tsv")
    result = runner.invoke(args=["spin", "classify"], input="hello\n")
    assert result.exit_code == 1
    assert "missing.tsv:1: cannot read corpus" in result.output


def test_fast_path_matches_predict_proba():
    """The one-line scorer gives the pipeline's own predict_proba label and confidence."""
    pipeline, meta = spin.train(SMALL_CORPUS, None, None, cross_validate=False)
    classifier = spin.SpinClassifier(pipeline, meta)
    for _label, text in CLEAR + [("", "Could you tell me more?"), ("", "")]:
        proba = pipeline.predict_proba([text])[0]
        got = classifier.classify(text)
        assert got.label == pipeline.classes_[proba.argmax()]
        assert got.confidence == pytest.approx(proba.max(), abs=1e-4)

