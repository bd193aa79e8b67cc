"""Text utilities and the benchmark recorder."""

from __future__ import annotations

import json

import pytest

from hiddenrep import bench
from hiddenrep.text import word_tokenize


@pytest.mark.parametrize("text, tokens", [
    ("The cat sat.", ["the", "cat", "sat"]),
    ("Don't panic: it's 42!", ["don't", "panic", "it's", "42"]),
    ("don\u2019t", ["don't"]),  # curly apostrophe, as in news text
    ("state-of-the-art", ["state", "of", "the", "art"]),
    ("", []),
])
def test_word_tokenize(text, tokens):
    assert word_tokenize(text) == tokens


def test_record_does_nothing_outside_a_benchmark(monkeypatch, tmp_path):
    monkeypatch.delenv(bench.BENCH_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    bench.record("x.y", 1.0)
    assert list(tmp_path.iterdir()) == []


def test_record_merges_metrics_during_a_benchmark(monkeypatch, tmp_path):
    target = tmp_path / "metrics.json"
    monkeypatch.setenv(bench.BENCH_ENV, str(target))
    bench.record("a.first", 1)
    bench.record("b.second", 0.5)
    bench.record("a.first", 2)
    assert json.loads(target.read_text()) == {"a.first": 2.0, "b.second": 0.5}


def test_record_refuses_non_finite(monkeypatch, tmp_path):
    monkeypatch.setenv(bench.BENCH_ENV, str(tmp_path / "m.json"))
    with pytest.raises(ValueError, match="nan"):
        bench.record("bad", float("nan"))


def test_grading_only_bench_keeps_the_lessons_of_the_last_full_run():
    from autograder.bench import with_new_class_bench

    full = {"notebooks": {"chapters/03/03.ipynb": {"seconds": 42.8}}, "scoring": {"03": {"seconds": 9.0}},
            "grading": {"class24": {"ratio": 2.9, "ours_seconds": 60.0}},
            "metrics": {"embeddings.wordsim353.ours": 0.38, "grading.class24.ours_seconds": 60.0}}
    new = {"class24": {"ratio": 3.4, "ours_seconds": 43.0}}
    report = with_new_class_bench(full, new, {"grading.class24.ours_seconds": 43.0})
    assert report["notebooks"] == full["notebooks"] and report["scoring"] == full["scoring"]
    assert report["grading"] == new
    assert report["metrics"] == {"embeddings.wordsim353.ours": 0.38, "grading.class24.ours_seconds": 43.0}
    # With no full run before it, the report holds the class bench alone.
    assert with_new_class_bench({}, new, {}) == {"notebooks": {}, "scoring": {}, "grading": new, "metrics": {}}
