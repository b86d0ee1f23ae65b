"""Choose training recipes on patients the model has not seen: k folds by record within DS1.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/cv_patients.py folds \\
        --recipe ch0 --recipe ch0+ch1 --folds 3 --seeds 0 1 2
    PYTHONPATH=. python benchmarks/cv_patients.py pooled --recipe ch0 --recipe ch0+ch1
    PYTHONPATH=. python benchmarks/cv_patients.py table
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/cv_patients.py final
    PYTHONPATH=. python benchmarks/cv_patients.py template
    PYTHONPATH=. python benchmarks/cv_patients.py template-s
    PYTHONPATH=. python benchmarks/cv_patients.py template-s-gate
    PYTHONPATH=. python benchmarks/cv_patients.py template-s-keep
    PYTHONPATH=. python benchmarks/cv_patients.py template-recipes \\
        --recipe ch0+ch1 --recipe ch0+ch1+aug
    PYTHONPATH=. python benchmarks/cv_patients.py template-lag --cut detector
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/cv_patients.py final --adapt template
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/cv_patients.py final --adapt template \
        --cut detector

``folds``: the 22 DS1 records are dealt into k folds (every beat of a record in one
fold; the deal balances the folds' S, V and F counts and is fixed, printed and stored).
For each recipe, seed and fold a model is trained on the other k-1 folds **as the
shipped models are trained**: all N beats, balanced batches of 64, Adam 1e-3, at most
12 epochs, early stopping with patience 3 on the validation macro-F1 of a few records
of the *training* folds (:func:`validation_records`: chosen from class counts only,
printed and stored).  It is then scored on every N, S, V, F beat of the held-out fold,
lead 0 (MLII) and lead 1: per class Se, +P and F1, and the share of N beats called
abnormal; the held-out logits are kept (``--logits-dir``).  The same beats cut where
``classify()`` cuts them, at the detected R peaks, are scored too (``chC_detcut``, logits
in the folder with the suffix ``_detcut``; ``_fold_logits.py``).  Mean and sd over folds
and seeds.  DS2 is not read.  ``--early-stopping 0 --steps 500 --n-cap 6000 --n-sample 3000
--prefix ''`` is the first protocol (a fixed budget of steps, results ``cv_<recipe>``).

``pooled``: rows from the kept logits, no training: the seed ensemble (the seeds'
logits averaged, per fold), ``adapt="prior"`` (heartbeat.classifier.adapt, per held-out
record), and the temperature and reject threshold fitted out of fold.

``template-lag``: the template step with a beat slid against the template
(``TemplateRule.max_lag_s``), the shift chosen nested from the kept logits
(``_template_lag.py``).

``table``: the fold summaries of every recipe run so far, as Markdown.

``template``: ``adapt="template"`` (heartbeat.classifier.template) from the kept logits
and the held-out records' own beats, no training: its thresholds chosen for each
held-out fold on the other two (``_template_folds.py``), the single-model and ensemble
rows with and without it, the default decided by the rule of docs/results.md section 5,
and the thresholds chosen on all three folds (``cv_template_choice.json``).

``template-s``: the S step of ``adapt="template"`` (a beat called N that matches the
template and comes early becomes S; a beat called S that matches and is not early
becomes N) from the same logits: its thresholds chosen nested (``_s_step_folds.py``)
on the shipped V/F step, the rows with and without it, the default decided by the
rule of docs/results.md section 5 (``cv_template_s_choice.json``).

``template-s-gate``: the S step's rhythm guard (a beat in irregular rhythm does not
become S) from the same logits, chosen nested on the shipped S step
(``_s_gate_folds.py``; ``cv_template_sgate_choice.json``).

``template-s-fallback``: the fallback template (when too few beats are called N) and
the S step's sudden prematurity, by the rule of docs/results.md section 5
(``_s_fallback_folds.py``; ``cv_template_sfallback_choice.json``).

``template-s-keep``: when the S step takes a beat called S of the template's shape back
to N (``TemplateRule.s_min_keep_ratio``), chosen nested on the shipped rule by the rule
of docs/results.md section 5 (``_s_keep_folds.py``; ``cv_template_skeep_choice.json``).

``template-early``: an early beat held to a closer match before V and F are taken from
it (``TemplateRule.early_rr_ratio``, ``early_min_correlation``), chosen nested on the
shipped rule (``_template_early.py``; ``cv_template_early[_detcut]_choice.json``).

``template-vkeep``: a beat called V that matches the template keeps V if it is closer
to the recording's own V beats (``TemplateRule.v_keep_min_correlation``); and
``template-vgain``: an early beat of that shape becomes V (``v_gain_min_correlation``);
each chosen nested on the rule shipped before it; ``--confirm VALUE`` scores one setting
on other folds (``_template_vkeep.py``; ``cv_template_{vkeep,vgain}_<prefix>[_detcut]_
{choice,confirm}.json``).

``template-recipes``: the first recipe against each other one, all under the shipped
``adapt="template"`` rule (``TemplateRule()``, nothing chosen), single models and the
seed ensemble, with and without it; the candidate is judged by the rule of
docs/results.md section 5 on the ensemble with the rule (``_template_recipes.py``;
``cv_template_recipes_choice.json``).

``final``: the shipped ``mitbih-ds1`` model, or with ``--model PATH`` a candidate
trained on DS1 by ``train_candidate.py``, is scored once on DS2, lead 0 and lead 1;
with ``--adapt template`` also after ``adapt="template"`` (the shipped rule, each DS2
record on its own), with each record's share of beats called V or F; with ``--cut
detector`` the DS2 beats are cut where ``classify()`` cuts them (the detected R peaks
matched to the annotations; a second view of the same model, nothing chosen from it).

Results go to ``benchmarks/results/cv_es_<recipe>[_ensemble|_prior|_calibration].json``,
``cv_template_*.json`` and ``cv_final*.json``.  Recipes: ``ch0`` (lead 0 only, today's
recipe), ``+aug`` (augmented batches, :class:`heartbeat.training.Augmenter` with the
NST ``ma``/``bw`` noise), ``ch0+ch1`` (both leads as training views; the annotations
hold for both), ``+det`` (training and early-stopping beats cut at the R peaks the
detector finds on each lead, labelled by the annotation each matches), ``+jit``
(training and early-stopping beats cut at annotated peaks moved at random,
``_jitter``).  The template
modes score the beats cut at the annotated peaks, or with ``--cut detector`` at the
detected ones.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _fold_logits
import _recipe
from _common import REPO
from _fold_logits import load_runs, save_logits

import heartbeat.nn as nn
from heartbeat import datasets

RESULTS = REPO / "benchmarks" / "results"
# built beat sets (both leads, all 48 records) are cached here
CACHE = Path(os.environ.get("HEARTBEAT_CACHE", REPO / "scratch" / "cache"))
WITHIN = {"ds1": datasets.DS1, "all": datasets.RECORDS}
"""``folds --within``: the records dealt into folds (DS1 for ``mitbih-ds1``'s choices,
all 48 for the default model's)."""


def parse_recipe(text: str, **options) -> _recipe.Recipe:
    """``ch0+ch1+aug`` -> the Recipe; `options` set its other fields (steps, n_cap, ...)."""
    parts = text.split("+")
    channels = tuple(int(p[2:]) for p in parts if p.startswith("ch"))
    cuts = {tag[1:]: peaks for peaks, tag in _recipe.PEAK_TAGS.items() if tag}
    unknown = [p for p in parts if not (p.startswith("ch") or p == "aug" or p in cuts)]
    cut = [cuts[p] for p in parts if p in cuts]
    if unknown or not channels or len(cut) > 1:
        raise SystemExit(f"recipe {text!r}: write leads and options as ch0+ch1+aug+det "
                         "(one of +det, +jit)")
    return _recipe.Recipe(channels=channels, augment="aug" in parts,
                          peaks=cut[0] if cut else "annotations", **options)


def deal_folds(data: datasets.BeatSet, k: int) -> list[list[str]]:
    """Deal DS1's records into k folds, balancing S, V and F (largest records first).

    Each record, most S and V first, goes to the fold whose N, S and V shares (counts
    over the class totals) sum smallest after adding it; ties go to the fold with
    fewer records.  Deterministic.  F is not balanced: 373 of DS1's 415 F beats are
    in record 208, so no deal can put F on both sides.
    """
    names = sorted(set(data.record.tolist()))
    counts = np.array([np.bincount(data.y[data.record == r], minlength=5)[:4]
                       for r in names], dtype=float)  # (records, N S V F)
    share = counts[:, :3] / np.maximum(counts[:, :3].sum(axis=0), 1)  # N, S, V
    order = np.argsort(-share[:, 1:].sum(axis=1), kind="stable")
    load = np.zeros((k, 3))
    folds: list[list[str]] = [[] for _ in range(k)]
    for r in order:
        cost = (load + share[r]).sum(axis=1) + 1e-3 * np.array([len(f) for f in folds])
        j = int(np.argmin(cost))
        load[j] += share[r]
        folds[j].append(names[r])
    return [sorted(f) for f in folds]


def validation_records(data: datasets.BeatSet, n_groups: int) -> list[str]:
    """The early-stopping records of one fold run, from the training records' class counts.

    The training records are dealt into `n_groups` groups as :func:`deal_folds` deals
    folds; of the groups without the record richest in F beats (208 in DS1, whose F
    beats no other record can replace), the one holding the largest share of the
    scarcer of S and V is held out for early stopping, so that validation macro-F1
    sees both.  Uses no held-out beat; deterministic.
    """
    names = sorted(set(data.record.tolist()))
    f_counts = [int(np.sum((data.record == r) & (data.y == 3))) for r in names]
    richest_f = names[int(np.argmax(f_counts))]
    totals = np.bincount(data.y, minlength=5)

    def scarcer_share(group: list[str]) -> float:
        counts = np.bincount(data.y[np.isin(data.record, group)], minlength=5)
        return float(min(counts[1] / max(totals[1], 1), counts[2] / max(totals[2], 1)))

    groups = [g for g in deal_folds(data, n_groups) if richest_f not in g]
    return max(groups, key=scarcer_share)


def run_folds(args) -> None:
    # both held-out cuts, and the recipes' own training cuts (+jit) if they differ
    sources = dict.fromkeys([*_fold_logits.CUTS, *(parse_recipe(t).peaks for t in args.recipe)])
    cuts = {p: {c: _recipe.beats(c, CACHE, peaks=p) for c in (0, 1)} for p in sources}
    within = WITHIN[args.within]
    # the fold records' beats (--within), per cut and lead
    pool = {p: {c: b[np.isin(b.record, within)] for c, b in leads.items()}
            for p, leads in cuts.items()}
    annotated = pool["annotations"]  # folds and early-stopping records: as before
    folds = deal_folds(annotated[0], args.folds)
    print("folds:", folds, flush=True)
    options = {"n_cap": args.n_cap, "steps": args.steps, "max_epochs": args.epochs,
               "early_stopping": args.early_stopping or None, "exclude_q": not args.keep_q}
    n_total = len(args.recipe) * len(args.seeds) * len(folds)
    t_start, n_done = time.perf_counter(), 0
    for text in args.recipe:
        recipe = parse_recipe(text, **options)
        name = f"{args.prefix}{recipe.name().replace('+', '_')}"
        runs = []
        t0 = time.perf_counter()
        for seed in args.seeds:
            for i, held in enumerate(folds):
                training = [r for r in within if r not in held]
                val_records = [] if recipe.early_stopping is None else \
                    validation_records(annotated[0][np.isin(annotated[0].record, training)],
                                       args.validation_groups)
                fit_records = [r for r in training if r not in val_records]
                views = [s[np.isin(s.record, fit_records)]
                         for c, s in pool[recipe.peaks].items() if c in recipe.channels]
                val = [s[np.isin(s.record, val_records)]
                       for c, s in pool[recipe.peaks].items() if c in recipe.channels]
                t_run = time.perf_counter()
                model, history, counts = _recipe.train(recipe, views, seed=seed,
                                                       validation=val or None,
                                                       quiet=not args.verbose)
                run = {"seed": seed, "fold": i, "held_out": held,
                       "validation_records": val_records, "epochs": history.n_epochs,
                       "best_epoch": history.best_epoch,
                       "train_class_counts": counts.tolist(),
                       "train_s": round(time.perf_counter() - t_run, 1)}
                for c, s in annotated.items():
                    held_beats = s[np.isin(s.record, held)]
                    if args.n_sample:
                        run[f"ch{c}"] = _recipe.score(model, held_beats,
                                                      n_sample=args.n_sample, seed=seed)
                        continue
                    out = _recipe.held_out_logits(model, held_beats)
                    run[f"ch{c}"] = _recipe.figures(
                        _recipe.confusion(out["y"], out["logits"].argmax(axis=1)))
                    save_logits(args.logits_dir / name / f"seed{seed}_fold{i}_ch{c}.npz",
                                out, counts)
                if not args.n_sample:  # and as classify() cuts them
                    _fold_logits.score_detector_cut(
                        model, run, pool["detector"], held, logits_dir=args.logits_dir,
                        name=name, seed=seed, fold=i, counts=counts)
                if args.models_dir is not None:  # for looks that need the network itself
                    (args.models_dir / name).mkdir(parents=True, exist_ok=True)
                    nn.save(model, args.models_dir / name / f"seed{seed}_fold{i}.npz")
                runs.append(run)
                n_done += 1
                a, b = run["ch0"], run["ch1"]
                per_run = (time.perf_counter() - t_start) / n_done
                print(f"{recipe.name()} seed {seed} fold {i} (val {' '.join(val_records)}; "
                      f"{history.n_epochs} epochs, best {history.best_epoch}): "
                      f"ch0 S {a['S']['se']:.3f}/{a['S']['ppv']:.3f} V {a['V']['se']:.3f}/"
                      f"{a['V']['ppv']:.3f} N->abn {a['n_called_abnormal']:.4f}; ch1 V "
                      f"{b['V']['se']:.3f}/{b['V']['ppv']:.3f} N->abn "
                      f"{b['n_called_abnormal']:.4f} ({run['train_s']:.0f} s training; "
                      f"about {per_run * (n_total - n_done) / 60:.0f} min left)",
                      flush=True)
                kept = earlier_runs(name, runs)
                result = {"recipe": _recipe.recipe_dict(recipe), "folds": folds,
                          "seeds": sorted({r["seed"] for r in kept + runs}),
                          "n_sample": args.n_sample,
                          "summary": _recipe.summarise(kept + runs),
                          "summary_detcut": _fold_logits.summary_at(kept + runs, "detector"),
                          "runs": kept + runs,
                          "wall_s": round(time.perf_counter() - t0, 1),
                          "load_avg_end": os.getloadavg(),
                          "command": "python benchmarks/cv_patients.py "
                          + " ".join(a for a in sys.argv[1:] if not a.startswith("/"))}
                write(name, result)  # after every run: a stopped batch keeps its runs
        print_summary(recipe.name(), result["summary"])


def earlier_runs(name: str, runs: list[dict]) -> list[dict]:
    """Runs of other (seed, fold) pairs already in the result file: a batch of further
    seeds (run beside or after the first) adds to the file instead of replacing it."""
    path = RESULTS / f"cv_{name}.json"
    if not path.exists():
        return []
    mine = {(r["seed"], r["fold"]) for r in runs}
    return [r for r in json.loads(path.read_text()).get("runs", [])
            if (r["seed"], r["fold"]) not in mine]


def scored_runs(args) -> tuple[dict, list, list]:
    """The kept held-out logits at the cut ``args.cut`` (``_fold_logits.scored_runs``)."""
    return _fold_logits.scored_runs(args, CACHE)


def run_template(args) -> None:
    """Nested choice and rows of adapt="template" (see ``_template_folds``)."""
    import _s_step_folds as sf
    import _template_folds as tf

    scored, members, folds = scored_runs(args)

    def inner(fold_set):
        return tf.choose({c: [scored[t, "ensemble", f, c] for t in args.recipe
                              for f in fold_set] for c in (0, 1)})

    chosen = {}
    for k in folds:
        rule, figs = inner([f for f in folds if f != k])
        chosen[k] = rule
        print(f"fold {k}: chosen on folds {[f for f in folds if f != k]}: {rule} {figs}",
              flush=True)
    final_rule, final_figs = inner(folds)
    print(f"all folds: {final_rule} {final_figs}")
    decisions = {}
    for text in args.recipe:
        rows = sf.fold_rows(scored, text, members, folds,
                            (("none", lambda k: None), ("template", chosen.get)),
                            lambda run, rule: run.confusion(rule))
        summaries = {key: _recipe.summarise(r, f_scores=True) for key, r in rows.items()}
        decisions[text] = tf.decide(summaries["none", "single"],
                                    summaries["template", "single"])
        sf.write_rows(write, print_summary, f"cv_template_{args.prefix}{text.replace('+', '_')}",
                      text, rows, summaries,
                      {"none": "", "template": ', adapt="template" (nested)'},
                      "python benchmarks/cv_patients.py template")
        print(f"{text}: default rule: {decisions[text]}")
    write("cv_template_choice",
          {"per_fold": {str(k): tf.as_dict(r) for k, r in chosen.items()},
           "all_folds": tf.as_dict(final_rule),
           "all_folds_figures": final_figs, "decisions": decisions,
           "default": all(d["passes"] for d in decisions.values()),
           "grid": {k: [str(x) for x in v] for k, v in tf.GRID.items()},
           "command": "python benchmarks/cv_patients.py template"})


TEMPLATE_STEPS = {
    "template-s": ("_s_step_folds", ["ch0", "ch0+ch1"]),
    "template-s-gate": ("_s_gate_folds", ["ch0", "ch0+ch1"]),
    "template-s-fallback": ("_s_fallback_folds", ["ch0", "ch0+ch1"]),
    "template-s-keep": ("_s_keep_folds", ["ch0", "ch0+ch1"]),
    "template-lag": ("_template_lag", ["ch0+ch1"]),
    "template-early": ("_template_early", ["ch0+ch1"]),
    "template-vkeep": ("_template_vkeep", ["ch0+ch1"]),
    "template-vgain": ("_template_vkeep", ["ch0+ch1"]),
}
"""Mode -> (the module that chooses that step of adapt="template" nested on the kept
logits and writes its rows, the default recipes)."""


def run_template_step(args) -> None:
    """One step of adapt="template" chosen nested (the module of :data:`TEMPLATE_STEPS`)."""
    import importlib

    step = importlib.import_module(TEMPLATE_STEPS[args.mode][0])
    step.run(args, *scored_runs(args), write=write, print_summary=print_summary)


def run_template_recipes(args) -> None:
    """Recipes compared under the shipped adapt="template" rule (``_template_recipes``)."""
    import _pooled
    import _template_recipes as tr

    tr.run(args, *scored_runs(args), write=write, print_summary=print_summary,
           seed_spread=_pooled.seed_spread)


def print_summary(name: str, summary: dict) -> None:
    print(f"\n{name}: mean (sd) over folds and seeds")
    for key, fig in summary.items():
        cells = ", ".join(f"{k} {100 * m:.1f} ({100 * s:.1f})" for k, (m, s) in fig.items())
        print(f"  {key}: {cells}")


def run_table(args) -> None:
    """Print the fold summaries of every recipe scored so far as one Markdown table.

    Rows of single models are summarised over the (seed, fold) runs that every such
    row has (and, with --seeds, of those seeds only), so rows compare like with like.
    """
    cols = [("accuracy", "acc"), ("n_called_abnormal", "N->abn"), ("S_se", "S Se"),
            ("S_ppv", "S +P"), ("S_f1", "S F1"), ("V_se", "V Se"), ("V_ppv", "V +P"),
            ("V_f1", "V F1")]
    results = [json.loads(p.read_text())
               for p in sorted(RESULTS.glob(f"cv_{args.prefix}ch*.json"))]
    results = [r for r in results if "summary" in r]  # not the out-of-fold calibration
    keyed = [r for r in results if "seed" in r["runs"][0]]
    common = set.intersection(*({(x["seed"], x["fold"]) for x in r["runs"]} for r in keyed)) \
        if keyed else set()
    if args.seeds:
        common = {k for k in common if k[0] in args.seeds}
    print(f"single-model rows over (seed, fold) runs {sorted(common)}\n")
    print("| recipe | lead | " + " | ".join(c for _, c in cols) + " |")
    print("|:--|:--|" + "--:|" * len(cols))
    for res in results:
        if res in keyed:
            res["summary"] = _recipe.summarise([x for x in res["runs"]
                                        if (x["seed"], x["fold"]) in common])
        for lead, fig in res["summary"].items():
            cells = " | ".join(f"{100 * fig[k][0]:.1f} ± {100 * fig[k][1]:.1f}" for k, _ in cols)
            label = res.get("row", res["recipe"]["name"])
            print(f"| {label} | {lead} | {cells} |")


def write(name: str, result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"cv_{name}.json" if not name.startswith("cv_") else \
        RESULTS / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    os.replace(tmp, path)
    print(f"wrote {path}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("folds", "pooled", "table", "final", "template",
                                         "template-recipes", *TEMPLATE_STEPS))
    parser.add_argument("--recipe", action="append", default=None)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--early-stopping", type=int, default=3,
                        help="patience (epochs) on the validation records, as the shipped "
                        "models; 0: no early stopping, train --steps steps")
    parser.add_argument("--epochs", type=int, default=12,
                        help="maximum epochs with early stopping")
    parser.add_argument("--validation-groups", type=int, default=4,
                        help="early stopping holds out one of this many groups of the "
                        "training records (validation_records)")
    parser.add_argument("--steps", type=int, default=500,
                        help="without early stopping: optimiser steps per run (whole epochs)")
    parser.add_argument("--within", choices=tuple(WITHIN), default="ds1",
                        help="folds: deal the DS1 records (mitbih-ds1's choices) or all 48 "
                        "(the default model's)")
    parser.add_argument("--keep-q", action="store_true",
                        help="folds: train on Q beats too, as the default mitbih-all "
                        "(held-out scores leave Q out either way)")
    parser.add_argument("--n-cap", type=int, default=None,
                        help="N beats drawn from the training records (default: all)")
    parser.add_argument("--n-sample", type=int, default=0,
                        help="classify only this many N beats per held-out fold and lead "
                        "and weight them up (default 0: every beat, logits kept)")
    parser.add_argument("--prefix", default="es_",
                        help="result files cv_PREFIX<recipe>.json ('' for the first, "
                        "500-step protocol)")
    parser.add_argument("--logits-dir", type=Path, default=CACHE.parent / "cv_logits",
                        help="held-out logits of every run (for the pooled rows)")
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="folds: seeds to train (default 0); pooled and table: "
                        "use only the runs of these seeds (default: all kept)")
    parser.add_argument("--verbose", action="store_true", help="print every epoch")
    parser.add_argument("--models-dir", type=Path, default=None,
                        help="folds: also keep each fold's trained model here")
    parser.add_argument("--model", nargs="+", default=None,
                        help="final: a candidate model file, or several whose logits are "
                        "averaged (a seed ensemble); default: shipped mitbih-ds1")
    parser.add_argument("--adapt", choices=("none", "template"), default="none",
                        help="final: also score adapt=\"template\" per DS2 record "
                        "(result file cv_final[_TAG]_template.json)")
    parser.add_argument("--tag", default="candidate",
                        help="final --model: result file cv_final_TAG.json")
    parser.add_argument("--cut", choices=tuple(_fold_logits.CUTS), default="annotations",
                        help="template modes: score the held-out beats cut at the "
                        "annotated peaks or at the detected ones (logits folder _detcut); "
                        "final: score DS2's beats cut there (result file ..._detcut.json)")
    parser.add_argument("--rule", choices=("before-shift", "before-v-keep", "before-on-time",
                                           "before-neighbours"),
                        default="before-shift",
                        help="template-recipes: the adapt=\"template\" rule of the rows: "
                        "as shipped before the shift (the +aug and +det comparisons), "
                        "from the shift to the V template (session 13's comparisons, "
                        "then named shipped; files with _shift), from the V template to "
                        "the on-time S step (session 14's, _shift_vkeep) or from the "
                        "on-time S step to the neighbours step (session 17's, then "
                        "named shipped; _shift_vkeep_ontime)")
    parser.add_argument("--deciding", choices=("ensemble", "single"), default="ensemble",
                        help="template-recipes: judge the seed ensemble's rows (a recipe "
                        "shipped as an ensemble) or the single networks' (the default "
                        "model is one network)")
    parser.add_argument("--early-rule", choices=("first", "second"), default="first",
                        help="template-early: the bound on N called abnormal "
                        "(_template_early.BOUNDS)")
    parser.add_argument("--confirm", type=float, default=None, metavar="VALUE",
                        help="template-vkeep, template-vgain: score this setting against "
                        "the rule shipped before it on every fold, nothing chosen")
    parser.add_argument("--shift", choices=("any", "on-time"), default="any",
                        help="template-lag: which beats may be slid against the template "
                        "(_template_lag.ON_TIME)")
    args = parser.parse_args()
    if args.mode == "final":
        import _final_ds2

        _final_ds2.run(args, write=write, cache=CACHE)
    elif args.mode == "pooled":
        import _pooled

        args.recipe = args.recipe or ["ch0"]
        _pooled.run(args, write=write, print_summary=print_summary, load_runs=load_runs,
                    results=RESULTS)
    elif args.mode == "template":
        args.recipe = args.recipe or ["ch0", "ch0+ch1"]
        run_template(args)
    elif args.mode in TEMPLATE_STEPS:
        args.recipe = args.recipe or TEMPLATE_STEPS[args.mode][1]
        run_template_step(args)
    elif args.mode == "template-recipes":
        args.recipe = args.recipe or ["ch0+ch1", "ch0+ch1+aug"]
        run_template_recipes(args)
    elif args.mode == "table":
        run_table(args)
    else:
        args.recipe = args.recipe or ["ch0"]
        args.seeds = args.seeds or [0]
        run_folds(args)


if __name__ == "__main__":
    main()
