"""Score several seeds of one window model and their ensemble from saved probabilities.

Reads the ``.npz`` files that ``benchmarks/window_results.py --save-probs`` writes (one
per training run: softmax probabilities of the returned best-epoch model on the
validation and test parts, their labels and window identities, and the run's CSV row)
and prints, as Markdown:

* one row per run: init seed, best epoch / epochs run, validation macro-F1 and
  accuracy, test accuracy, sensitivity, specificity (abnormal = positive) and counts;
* the mean and sample standard deviation (n - 1) of those figures over the runs;
* the **ensemble**: the mean of the runs' probabilities, predicted class = argmax
  (a tie goes to class 0, normal), scored on validation and test;
* the run a choice on validation alone would keep: the highest validation macro-F1
  (recomputed from the saved probabilities), the lowest init seed if tied.

The files must hold the same validation and test windows in the same order (same
split); this is checked on the labels, records and sample indices.  With ``--csv`` the
rows are also written to a CSV file.  Run from the repository root, e.g.::

    python benchmarks/window_ensemble.py scratch/win-seeds/probs/cnn_random_i*.npz
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from heartbeat._atomic import atomic_open
from heartbeat.metrics import confusion_matrix, macro_f1

ID_KEYS = ("y", "record", "sample")


@dataclasses.dataclass(frozen=True, eq=False)
class Run:
    """One training run's saved probabilities (see ``window_results.py --save-probs``)."""

    name: str
    row: dict
    val_proba: np.ndarray  # (n_val, 2)
    test_proba: np.ndarray  # (n_test, 2)
    ids: dict  # "val_y", "val_record", "val_sample", "test_y", ... -> arrays

    @property
    def init_seed(self) -> int:
        """The seed of the weights, dropout and sampler (``--init-seed``)."""
        return int(self.row["init_seed"])


@dataclasses.dataclass(frozen=True)
class BinaryScores:
    """Two-class scores with abnormal (1) as the positive class."""

    accuracy: float
    sensitivity: float
    specificity: float
    macro_f1: float
    tp: int
    fn: int
    tn: int
    fp: int

    @property
    def n_correct(self) -> int:
        """Windows classified correctly."""
        return self.tp + self.tn


def load_run(path: str | Path) -> Run:
    """Read one ``--save-probs`` file."""
    with np.load(path) as d:
        ids = {f"{part}_{k}": d[f"{part}_{k}"] for part in ("val", "test") for k in ID_KEYS}
        return Run(name=Path(path).stem, row=json.loads(str(d["row"])),
                   val_proba=d["val_proba"], test_proba=d["test_proba"], ids=ids)


def check_aligned(runs: Sequence[Run]) -> None:
    """Raise ValueError unless all runs hold the same windows in the same order.

    Also raises if a run's probabilities are not all finite (a diverged run).
    """
    if not runs:
        raise ValueError("no runs given")
    for run in runs:
        if not (np.isfinite(run.val_proba).all() and np.isfinite(run.test_proba).all()):
            raise ValueError(f"{run.name} has probabilities that are not finite")
    first = runs[0]
    for run in runs[1:]:
        for key, ref in first.ids.items():
            if not np.array_equal(run.ids[key], ref):
                raise ValueError(f"{run.name} and {first.name} differ in {key}: not the "
                                 "same split")
        for part in ("val_proba", "test_proba"):
            if getattr(run, part).shape != getattr(first, part).shape:
                raise ValueError(f"{run.name} and {first.name} differ in {part} shape")


def predict(proba: np.ndarray) -> np.ndarray:
    """Class with the highest probability per row; a tie goes to the lower class.

    >>> predict(np.array([[0.7, 0.3], [0.5, 0.5], [0.2, 0.8]])).tolist()
    [0, 0, 1]
    """
    return np.asarray(proba).argmax(axis=1)


def ensemble_proba(probas: Sequence[np.ndarray]) -> np.ndarray:
    """Mean of the members' probabilities, element by element.

    >>> ensemble_proba([np.array([[0.75, 0.25]]), np.array([[0.25, 0.75]])]).tolist()
    [[0.5, 0.5]]
    """
    if not probas:
        raise ValueError("no probabilities given")
    return np.mean(np.stack([np.asarray(p, dtype=np.float64) for p in probas]), axis=0)


def binary_scores(y_true: np.ndarray, y_pred: np.ndarray) -> BinaryScores:
    """Accuracy, sensitivity, specificity and macro-F1 with abnormal (1) positive.

    >>> s = binary_scores(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]))
    >>> s.accuracy, s.sensitivity, s.specificity, (s.tp, s.fn, s.tn, s.fp)
    (0.75, 1.0, 0.5, (2, 0, 1, 1))
    """
    cm = confusion_matrix(y_true, y_pred, n_classes=2)  # rows true, columns predicted
    tn, fp, fn, tp = (int(v) for v in cm.ravel())
    return BinaryScores(accuracy=(tp + tn) / max(int(cm.sum()), 1),
                        sensitivity=tp / max(tp + fn, 1), specificity=tn / max(tn + fp, 1),
                        macro_f1=float(macro_f1(y_true, y_pred, 2)),
                        tp=tp, fn=fn, tn=tn, fp=fp)


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (n - 1; 0 for a single value).

    >>> mean_sd([1.0, 2.0, 3.0])
    (2.0, 1.0)
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        raise ValueError("no values given")
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def choose_by_validation(runs: Sequence[Run]) -> Run:
    """The run with the highest validation macro-F1; the lowest init seed if tied."""
    if not runs:
        raise ValueError("no runs given")
    return max(sorted(runs, key=lambda r: r.init_seed),
               key=lambda r: binary_scores(r.ids["val_y"], predict(r.val_proba)).macro_f1)


@dataclasses.dataclass(frozen=True)
class Summary:
    """Per-run and ensemble scores of several runs of one model on one split."""

    runs: tuple[Run, ...]
    val: tuple[BinaryScores, ...]
    test: tuple[BinaryScores, ...]
    ensemble_val: BinaryScores
    ensemble_test: BinaryScores
    chosen: Run

    def mean_sd(self, part: str, field: str) -> tuple[float, float]:
        """Mean and sample standard deviation of one score over the runs."""
        return mean_sd([getattr(s, field) for s in getattr(self, part)])


def summarize(runs: Sequence[Run]) -> Summary:
    """Score each run and the ensemble of all of them; see the module docstring."""
    check_aligned(runs)
    runs = tuple(sorted(runs, key=lambda r: r.init_seed))
    val_y, test_y = runs[0].ids["val_y"], runs[0].ids["test_y"]
    return Summary(
        runs=runs,
        val=tuple(binary_scores(val_y, predict(r.val_proba)) for r in runs),
        test=tuple(binary_scores(test_y, predict(r.test_proba)) for r in runs),
        ensemble_val=binary_scores(val_y, predict(ensemble_proba([r.val_proba
                                                                  for r in runs]))),
        ensemble_test=binary_scores(test_y, predict(ensemble_proba([r.test_proba
                                                                    for r in runs]))),
        chosen=choose_by_validation(runs))


def _pct(x: float, digits: int = 2) -> str:
    return f"{100 * x:.{digits}f} %"


def _counts(s: BinaryScores) -> str:
    return f"{s.tp:,} / {s.fn:,} / {s.tn:,} / {s.fp:,}"


def table_rows(summary: Summary) -> list[dict]:
    """One dict per run, then "mean ± sd", "ensemble" and "chosen by validation"."""
    rows = []
    for run, v, t in zip(summary.runs, summary.val, summary.test, strict=True):
        r = run.row
        rows.append({
            "run": f"init seed {run.init_seed}",
            "best epoch / run": f"{r['best_epoch']} / {r['epochs_run']}",
            "val macro-F1": f"{v.macro_f1:.4f}", "val acc.": _pct(v.accuracy),
            "test accuracy": _pct(t.accuracy, 3), "sensitivity": _pct(t.sensitivity),
            "specificity": _pct(t.specificity), "TP / FN / TN / FP": _counts(t),
            "test correct": f"{t.n_correct:,}",
            "training time": f"{float(r['train_s']):,.0f} s",
            "load start -> end": f"{r['load_avg_start']} -> {r['load_avg']}"})
    ms = {"macro_f1": summary.mean_sd("val", "macro_f1"),
          "accuracy": summary.mean_sd("val", "accuracy"),
          "test_accuracy": summary.mean_sd("test", "accuracy"),
          "sensitivity": summary.mean_sd("test", "sensitivity"),
          "specificity": summary.mean_sd("test", "specificity")}
    rows.append({
        "run": "mean ± sd", "best epoch / run": "",
        "val macro-F1": "{:.4f} ± {:.4f}".format(*ms["macro_f1"]),
        "val acc.": "{:.2f} ± {:.2f} %".format(*(100 * x for x in ms["accuracy"])),
        "test accuracy": "{:.3f} ± {:.3f} %".format(*(100 * x for x in ms["test_accuracy"])),
        "sensitivity": "{:.2f} ± {:.2f} %".format(*(100 * x for x in ms["sensitivity"])),
        "specificity": "{:.2f} ± {:.2f} %".format(*(100 * x for x in ms["specificity"])),
        "TP / FN / TN / FP": "", "test correct": "", "training time": "",
        "load start -> end": ""})
    ev, et = summary.ensemble_val, summary.ensemble_test
    rows.append({
        "run": f"ensemble of {len(summary.runs)}", "best epoch / run": "",
        "val macro-F1": f"{ev.macro_f1:.4f}", "val acc.": _pct(ev.accuracy),
        "test accuracy": _pct(et.accuracy, 3), "sensitivity": _pct(et.sensitivity),
        "specificity": _pct(et.specificity), "TP / FN / TN / FP": _counts(et),
        "test correct": f"{et.n_correct:,}", "training time": "", "load start -> end": ""})
    i = summary.runs.index(summary.chosen)
    rows.append({**rows[i], "run": f"chosen by validation: init seed {summary.chosen.init_seed}"})
    return rows


def markdown(rows: list[dict]) -> str:
    """Rows as a Markdown table (columns from the first row)."""
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def main(argv=None):
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", help="--save-probs files of one model and split")
    ap.add_argument("--csv", default=None, help="also write the table rows here")
    args = ap.parse_args(argv)
    summary = summarize([load_run(f) for f in args.files])
    r0 = summary.runs[0].row
    print(f"{r0['model']} ({'h' + str(r0['hidden_size']) + ', ' if r0['hidden_size'] else ''}"
          f"split {r0['split']}): {len(summary.runs)} runs, "
          f"{len(summary.runs[0].ids['val_y']):,} validation and "
          f"{len(summary.runs[0].ids['test_y']):,} test windows\n")
    rows = table_rows(summary)
    print(markdown(rows))
    if args.csv:
        text = io.StringIO(newline="")
        writer = csv.DictWriter(text, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        with atomic_open(args.csv) as fh:
            fh.write(text.getvalue().encode())


if __name__ == "__main__":
    main()
