"""Time fitting and ranking 100,000 deals × 20 behaviours against one plain LogisticRegression fit.

Run: .venv/bin/python bench/model_rank.py [--deals 100000] [--behaviours 20]
Target (issue 8): the whole ranking (5 folds × 2 repeats, permutation importance
on every held-out fold) in under 30 s on the project's 2-core machine.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sklearn.linear_model import LogisticRegression  # noqa: E402

from app.ml.ranking import BehaviourRanker  # noqa: E402


def generate(n: int, k: int, seed: int = 0):
    """Return Poisson counts with planted effects: a third positive, a sixth negative, the rest zero."""
    rng = np.random.default_rng(seed)
    X = rng.poisson(rng.uniform(0.3, 2.5, k), size=(n, k)).astype(float)
    effects = np.zeros(k)
    effects[: k // 3] = np.linspace(1.2, 0.3, k // 3)
    effects[k // 3: k // 2] = -0.6
    logit = -0.5 + np.log1p(X) @ effects
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y, tuple(f"behaviour_{j:02d}" for j in range(k)), effects


def main() -> None:
    """Time the plain fit and the full ranking; print the timings and the recovered order."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--behaviours", type=int, default=20)
    args = parser.parse_args()
    X, y, names, effects = generate(args.deals, args.behaviours)

    start, cpu = time.perf_counter(), time.process_time()
    LogisticRegression(max_iter=1000, random_state=0).fit(np.log1p(X), y)
    plain, plain_cpu = time.perf_counter() - start, time.process_time() - cpu

    start, cpu = time.perf_counter(), time.process_time()
    ranker = BehaviourRanker(n_splits=5, n_repeats=2, perm_repeats=5, random_state=0).fit(X, y, names)
    full, full_cpu = time.perf_counter() - start, time.process_time() - cpu

    result = ranker.result_
    print(f"deals × behaviours:            {args.deals:,} × {args.behaviours}")
    print(f"plain LogisticRegression fit:  {plain:6.2f} s wall, {plain_cpu:6.2f} s CPU")
    print(f"ranking (5×2 CV, permutation): {full:6.2f} s wall, {full_cpu:6.2f} s CPU "
          f"({full / plain:.0f}× the plain fit)")
    print(f"cross-validated AUC:           {result['metrics']['cv_auc']:.4f} ± {result['metrics']['cv_auc_std']:.4f}")
    planted = [n for n, e in sorted(zip(names, effects), key=lambda p: -abs(p[1])) if e != 0]
    found = [r["name"] for r in result["behaviours"][: len(planted)]]
    print(f"planted non-zero effects in the top {len(planted)}: {len(set(found) & set(planted))} of {len(planted)}")
    print("target: under 30 s —", "met" if full < 30 else "MISSED")


if __name__ == "__main__":
    main()
