"""Training recipes compared under the shipped ``adapt="template"`` rule, from the kept logits.

Used by ``cv_patients.py template-recipes``; the rules are docs/results.md section 5
("Augmentation with early stopping", "Beats cut where the detector cuts them").  The
first recipe is the baseline, each other one a candidate.  Rows: the single models and
the seed ensemble, without adaptation and with the shipped ``TemplateRule()``
(:data:`heartbeat.classifier.template.DEFAULT_RULE`, the fallback template included),
each held-out record adapted on its own.  No threshold is chosen here.  The deciding
row is the ensemble with the shipped rule, on the held-out beats of the cut
``args.cut`` (annotated or detected peaks).
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import _fold_logits
import _recipe
import _s_fallback_folds as ff
import _s_step_folds as sf
import _template_folds as tf
import numpy as np

from heartbeat.classifier.template import DEFAULT_RULE, TemplateRule

SHIPPED = dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_SHIFT)
"""The rule shipped when the recipes ``+aug`` and ``+det`` were compared (before the
shift was adopted); ``--rule before-v-keep`` the rule from the shift to the V template
(result files with ``_shift``), ``--rule before-on-time`` the rule from the V template to
the on-time S step (``_shift_vkeep``) and ``--rule before-neighbours`` the rule from the
on-time S step to the neighbours step (``_shift_vkeep_ontime``; until session 18 named
``shipped``).  Today's :data:`DEFAULT_RULE` adds the neighbours step, which the fold
scripts' copy of the steps (on the logits' argmax) does not have: its figures come from
the package's ``adapt_template`` (``_fold_proba``, ``template_neighbours.py``)."""
RULES = {"before-shift": (SHIPPED, ""),
         "before-v-keep": (dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_V_KEEP), "_shift"),
         "before-on-time": (dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_ON_TIME),
                            "_shift_vkeep"),
         "before-neighbours": (dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_NEIGHBOURS),
                               "_shift_vkeep_ontime")}
"""``--rule`` -> (rule, result-file suffix).  Each ``before-*`` is the rule shipped until
that step was adopted: the comparisons made as ``--rule shipped`` then (session 13's
``_shift`` files, session 14's ``_shift_vkeep``, session 17's ``_shift_vkeep_ontime``)
reproduce with it."""
LEADS = ("ch0", "ch1")


def confusion(run: tf.Run, rule: TemplateRule | None) -> np.ndarray:
    """`run`'s confusion matrix without adaptation (None) or after `rule`'s V/F and S
    steps, on the fallback template where the rule sets one (as ``classify`` does)."""
    return run.confusion(None) if rule is None else ff.confusion(run, rule)


def decide(base: dict, candidate: dict) -> dict:
    """The rule on the deciding rows (summaries of the 3 folds' ensembles): the candidate
    is adopted if its N called abnormal, averaged over the leads, is lower, and on each
    lead its V F1 and S F1 are not lower than the baseline's by more than one sd of the
    baseline's."""
    primary = [float(np.mean([s[lead]["n_called_abnormal"][0] for lead in LEADS]))
               for s in (base, candidate)]
    within = {f"{key}_within_one_sd": {
        lead: bool(candidate[lead][key][0] >= base[lead][key][0] - base[lead][key][1])
        for lead in LEADS} for key in ("V_f1", "S_f1")}
    lower = primary[1] < primary[0]
    return {"primary_baseline": primary[0], "primary_candidate": primary[1],
            "primary_lower": lower} | within | {
        "passes": bool(lower and all(all(v.values()) for v in within.values()))}


COLUMNS = (("accuracy", "acc"), ("n_called_abnormal", "N->abn"), ("S_se", "S Se"),
           ("S_ppv", "S +P"), ("S_f1", "S F1"), ("V_se", "V Se"), ("V_ppv", "V +P"),
           ("V_f1", "V F1"), ("F_se", "F Se"), ("F_ppv", "F +P"))


def markdown(labels: dict, summaries: dict) -> str:
    """The rows as one Markdown table, % as mean ± sd (a mean no run defines: --)."""
    lines = ["| row | lead | " + " | ".join(c for _, c in COLUMNS) + " |",
             "|:--|:--|" + "--:|" * len(COLUMNS)]
    for key, label in labels.items():
        for lead, fig in summaries[key].items():
            cells = " | ".join("--" if fig[k][0] is None else
                               f"{100 * fig[k][0]:.1f} ± {100 * fig[k][1]:.1f}"
                               for k, _ in COLUMNS)
            lines.append(f"| {label} | {lead} | {cells} |")
    return "\n".join(lines)


def pairs(scored: dict, text: str) -> list[tuple[int, int]]:
    """The (seed, fold) runs of a recipe that have both leads."""
    return sorted({(m, f) for t, m, f, _ in scored if t == text and m != "ensemble"
                   and all((t, m, f, c) in scored for c in (0, 1))})


def run(args, scored: dict, members: list, folds: list, *, write, print_summary,
        seed_spread) -> None:
    """Score every recipe's rows under no adaptation and the shipped rule, apply the rule
    of docs/results.md to each candidate against the first recipe; write the results."""
    peaks = getattr(args, "cut", "annotations")
    rule, suffix = RULES[getattr(args, "rule", "before-shift")]
    tags = (("none", lambda k: None), ("template", lambda k: rule))
    command = "python benchmarks/cv_patients.py template-recipes " + " ".join(
        f"--recipe {text}" for text in args.recipe) + (
        "" if args.prefix == "es_" else f" --prefix {args.prefix}") + (
        "" if peaks == "annotations" else f" --cut {peaks}") + (
        "" if not suffix else f" --rule {args.rule}") + (
        "" if getattr(args, "deciding", "ensemble") == "ensemble" else " --deciding single")
    summaries, spreads, labels = {}, {}, {}
    for text in args.recipe:
        rows = sf.fold_rows(scored, text, members, folds, tags, confusion)
        base = _fold_logits.folder(Path(), f"{args.prefix}{text.replace('+', '_')}",
                                   peaks).name + suffix
        summary_of = {key: _recipe.summarise(runs, f_scores=True) for key, runs in rows.items()}
        written = sf.write_rows(write, print_summary, f"cv_template_recipes_{base}", text, rows,
                                summary_of, {"none": "", "template":
                                             ', adapt="template" (shipped rule)'}, command)
        for key, label in written.items():
            labels[(text, *key)], summaries[(text, *key)] = label, summary_of[key]
        spreads[text] = {tag: seed_spread(rows[tag, "single"]) for tag, _ in tags}
        print(f"{text}: sd over seeds within a fold, mean over folds: {spreads[text]}")
    print(markdown(labels, summaries))
    runs_of = {text: pairs(scored, text) for text in args.recipe}
    complete = {text: runs_of[text] == sorted(itertools.product(range(3), range(3)))
                for text in args.recipe}
    decisions, deciding = {}, getattr(args, "deciding", "ensemble")
    for text in args.recipe[1:]:
        decisions[text] = decide(summaries[args.recipe[0], "template", deciding],
                                 summaries[text, "template", deciding])
        decisions[text]["complete"] = complete[args.recipe[0]] and complete[text]
        decisions[text]["adopted"] = decisions[text]["passes"] and decisions[text]["complete"]
        print(f"{text} against {args.recipe[0]}: {decisions[text]}")
    write(_fold_logits.choice_name(args.prefix, peaks) + suffix,
          {"baseline": args.recipe[0], "held_out_cut": peaks,
           "rule": tf.as_dict(rule),
           "deciding_row": ("ensemble of 3 seeds" if deciding == "ensemble" else
                            "single networks (folds x seeds)")
           + ', adapt="template" (shipped rule)',
           "runs": {text: [list(p) for p in runs_of[text]] for text in args.recipe},
           "seed_spread": spreads, "decisions": decisions, "command": command})


def nested_against_shipped(args, scored: dict, members: list, folds: list, *, shipped,
                           chosen: dict, mode: str, suffix: str, label: str, command: str,
                           judge, write, print_summary, nested: bool = True
                           ) -> tuple[dict, dict]:
    """Rows of the shipped rule against the rule chosen nested (``chosen``: fold -> rule;
    with `nested` False, one rule given for every fold) for each recipe, written as
    ``cv_template_{mode}_{prefix}{recipe}{suffix}_*``; ``judge(shipped ensemble summary,
    candidate ensemble summary)`` per recipe.  Returns the judgements per recipe and each
    lead's ensemble runs over the folds."""
    tags = (("shipped", lambda k: shipped), (mode, chosen.get))
    judged, labels, table = {}, {}, {}
    for text in args.recipe:
        rows = sf.fold_rows(scored, text, members, folds, tags, ff.confusion)
        summaries = {key: _recipe.summarise(r, f_scores=True) for key, r in rows.items()}
        written = sf.write_rows(
            write, print_summary, f"cv_template_{mode}_{args.prefix}{text.replace('+', '_')}"
            f"{suffix}", text, rows, summaries, {
                "shipped": ', adapt="template" (shipped)',
                mode: f', adapt="template" {label}' + (" (nested)" if nested else "")},
            command)
        for key, row_label in written.items():
            labels[(text, *key)], table[(text, *key)] = row_label, summaries[key]
        judged[text] = judge(summaries["shipped", "ensemble"], summaries[mode, "ensemble"])
        print(f"{text}: {judged[text]}")
    print(markdown(labels, table))
    ensembles = {c: [scored[t, "ensemble", f, c] for t in args.recipe for f in folds]
                 for c in (0, 1)}
    return judged, ensembles

