"""Fuzz the file readers: WFDB headers, signal and annotation files, model files, the CLI.

Each case mutates a real file (the WFDB conformance corpus in wfdb-samples, a saved
model) and runs a public entry on it in the worker process (``fuzz_harness``).
Accepted: success, or a ValueError/TypeError/FileNotFoundError naming the file or
argument; nothing may be opened outside the case folder (a secret file lies beside
it, and hostile headers name it).  The default run is CI-sized; the ``slow`` twin of
each test is the campaign of docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import fuzz_harness
import numpy as np
import pytest
from fuzz_harness import fresh, hostile_tokens, judge, mutate_bytes, mutate_text
from hypothesis import given, settings
from hypothesis import strategies as st

FAST = 40  # examples per test in the default run
SLOW = 3000  # examples per file test in the campaign (with the signal test: 20,600 cases)

#: Records of the corpus with their signal files, all small (< 700 kB).
RECORDS = {
    "03700181": ["03700181.dat"], "100_3chan": ["100_3chan.dat"],
    "310derive": ["310derive.dat"], "310derive_2": ["310derive_2.dat"],
    "310derive_3": ["310derive_3.dat"], "311derive": ["311derive.dat"],
    "311derive_2": ["311derive_2.dat"], "311derive_3": ["311derive_3.dat"],
    "311derive_4": ["311derive_4.dat"],
    "binformats": [f"binformats.d{i}" for i in range(10)],
    "test01_00s": ["test01_00s.dat"], "test01_00s_frame": ["test01_00s.dat"],
    "test01_00s_skew": ["test01_00s.dat"], "test01_00s_skewframe": ["test01_00s.dat"],
    "v102s": ["v102s.dat"],
}
ANNOTATIONS = ["03700181.gqrsh", "03700181.sqrs", "100.qrs", "12726.wqrs", "12726.anI"]
ARGUMENTS = ["channels", "sampfrom", "sampto", "expand_frames", "extension", "path"]

SECRET = "@SECRET@"  # replaced by the secret file's absolute path in each case
TOKENS = [t.replace("/tmp/secret.dat", SECRET)
          for t in hostile_tokens(Path("/tmp/secret.dat"))]

token = st.one_of(
    st.sampled_from(TOKENS),
    st.integers(-(2**70), 2**70).map(str),
    st.floats().map(repr),
    st.text(max_size=12),
)
text_edits = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 10**6), token),
                      min_size=1, max_size=4)
byte_edits = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 10**9), st.integers(0, 255)),
                      min_size=1, max_size=6)
read_kwargs = st.fixed_dictionaries({}, optional={
    "channels": st.one_of(st.none(), st.integers(-2, 12), st.sampled_from(["MLII", "V5", "x"]),
                          st.lists(st.integers(-1, 12), max_size=3)),
    "sampfrom": st.one_of(st.integers(-3, 5000), st.integers(-(2**70), 2**70)),
    "sampto": st.one_of(st.none(), st.integers(-3, 5000), st.integers(-(2**70), 2**70)),
    "expand_frames": st.one_of(st.booleans(), st.just("yes")),
})

# the session's fixtures (a conftest.py here would shadow the suite's own)
case_dir, fuzz_root, worker = fuzz_harness.case_dir, fuzz_harness.fuzz_root, fuzz_harness.worker


CAMPAIGN = pytest.mark.skipif(
    not os.environ.get("HEARTBEAT_FUZZ_CAMPAIGN"),
    reason="the 20,600-case campaign (about 30 min): set HEARTBEAT_FUZZ_CAMPAIGN=1 and run "
    "-m slow, see docs/reliability.md")


def twin(body, strategies, fast=FAST, slow=SLOW):
    """A CI-sized test and its campaign twin (``slow``, opt-in) from one body and strategies."""
    campaign = settings(max_examples=slow)(given(**strategies)(body))
    return (settings(max_examples=fast)(given(**strategies)(body)),
            CAMPAIGN(pytest.mark.slow(campaign)))


def _copy_record(data: Path, case: Path, record: str) -> str:
    shutil.copyfile(data / f"{record}.hea", case / f"{record}.hea")
    for name in RECORDS[record]:
        shutil.copyfile(data / name, case / name)
    return (case / f"{record}.hea").read_text("latin-1")


def _names(case: Path) -> list[str]:
    return [str(case), *ARGUMENTS]


_STRATEGIES_header_mutations = dict(
    record=st.sampled_from(sorted(RECORDS)), edits=text_edits, kwargs=read_kwargs,
    header_only=st.booleans())


def _header_mutations(wfdb_samples_dir, worker, case_dir, record, edits, kwargs, header_only):
    case = fresh(case_dir)
    text = _copy_record(wfdb_samples_dir, case, record)
    secret = str(case.parent / "secret.dat")
    edits = [(op, pos, tok.replace(SECRET, secret)) for op, pos, tok in edits]
    (case / f"{record}.hea").write_bytes(mutate_text(text, edits).encode("utf-8"))
    entry = "read_header" if header_only else "read_record"
    args = {"path": str(case / record)} | ({} if header_only else {"kwargs": kwargs})
    judge(worker, {"entry": entry, "args": args}, _names(case))


_STRATEGIES_signal_file_mutations = dict(
    record=st.sampled_from(sorted(RECORDS)), edits=byte_edits, kwargs=read_kwargs)


def _signal_file_mutations(wfdb_samples_dir, worker, case_dir, record, edits, kwargs):
    case = fresh(case_dir)
    _copy_record(wfdb_samples_dir, case, record)
    target = case / RECORDS[record][edits[0][1] % len(RECORDS[record])]
    target.write_bytes(mutate_bytes(target.read_bytes(), edits))
    judge(worker, {"entry": "read_record", "args": {"path": str(case / record),
                                                     "kwargs": kwargs}}, _names(case))


_STRATEGIES_annotation_mutations = dict(name=st.sampled_from(ANNOTATIONS), edits=byte_edits)


def _annotation_mutations(wfdb_samples_dir, worker, case_dir, name, edits):
    case = fresh(case_dir)
    record, extension = name.split(".")
    (case / name).write_bytes(mutate_bytes((wfdb_samples_dir / name).read_bytes(), edits))
    judge(worker, {"entry": "read_annotations",
                   "args": {"path": str(case / record), "extension": extension}},
          _names(case))


test_header_mutations, test_header_mutations_campaign = twin(
    _header_mutations, _STRATEGIES_header_mutations)
test_signal_file_mutations, test_signal_file_mutations_campaign = twin(
    _signal_file_mutations, _STRATEGIES_signal_file_mutations)
test_annotation_mutations, test_annotation_mutations_campaign = twin(
    _annotation_mutations, _STRATEGIES_annotation_mutations)


# ----------------------------------------------------------------------- model files
@pytest.fixture(scope="session")
def saved_classifier() -> Path:
    """The shipped default classifier, as bytes to mutate."""
    from heartbeat.classifier.saved import _pretrained_path

    return _pretrained_path(None)


def _spec_edit(spec: dict, key_path: list, value: object) -> dict:
    node = spec
    for key in key_path[:-1]:
        node = node[key % len(node)] if isinstance(node, list) else node.get(key, {})
        if not isinstance(node, (dict, list)) or not node:
            return spec
    last = key_path[-1]
    if isinstance(node, list):
        node[last % len(node)] = value
    elif isinstance(node, dict):
        node[last if isinstance(last, str) else sorted(node)[last % len(node)]] = value
    return spec


spec_value = st.one_of(st.integers(-2, 3), st.integers(-(2**70), 2**70), st.floats(),
                       st.sampled_from([None, "", "x", [], {}, [1], {"type": "dense"}, True]))
spec_path = st.one_of(
    st.tuples(st.sampled_from(["features", "head"]), st.integers(0, 20),
              st.sampled_from(["kernel_size", "in_channels", "out_channels", "stride",
                               "in_features", "out_features", "type", "padding",
                               "dilation", "layers"])).map(list),
    st.sampled_from(["features", "head", "n_classes", "input_length", "input_channels",
                     "extra_inputs", "format", "name", "extra_transform"]).map(lambda k: [k]),
)


_STRATEGIES_model_mutations = dict(
    mode=st.sampled_from(["bytes", "spec", "array"]), edits=byte_edits, path=spec_path,
    value=spec_value, which=st.integers(0, 100), element=st.integers(0, 10**6),
    number=st.sampled_from([np.nan, np.inf, -np.inf, 3e38, -1e7, 1e6, 0.0, 5e-45]),
    entry=st.sampled_from(["nn_load", "classifier_load"]))


def _model_mutations(saved_classifier, worker, case_dir, mode, edits, path, value, which,
                     element, number, entry):
    case = fresh(case_dir)
    target = case / "model.npz"
    if mode == "bytes":
        target.write_bytes(mutate_bytes(saved_classifier.read_bytes(), edits))
    else:
        with np.load(saved_classifier, allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}
        if mode == "spec":
            spec = _spec_edit(json.loads(str(data["spec"])), path, value)
            data["spec"] = np.array(json.dumps(spec))
        else:
            key = sorted(k for k in data if k.startswith("param/"))[which % 28]
            arr = data[key].copy()
            arr.reshape(-1)[element % arr.size] = number
            data[key] = arr
        np.savez(target, **data)
    t = np.arange(2 * 360) / 360.0
    probe = np.exp(-(((t % 0.8) - 0.4) ** 2) / 2e-4).tolist()
    judge(worker, {"entry": entry, "args": {"path": str(target), "probe": probe}},
          [str(target), "path"])


test_model_mutations, test_model_mutations_campaign = twin(
    _model_mutations, _STRATEGIES_model_mutations)


# ----------------------------------------------------------------------- the CLI
_STRATEGIES_cli_inputs = dict(kind=st.sampled_from(["csv", "npy", "wfdb"]), edits=byte_edits,
       fs=st.one_of(st.none(), st.sampled_from(["360", "0", "-1", "1e999", "nan", "x", "1e10",
                                                "0.01", "125"])),
       channel=st.one_of(st.none(), st.sampled_from(["0", "1", "-1", "9", "x"])),
       command=st.sampled_from(["segment", "predict"]))


def _cli_inputs(wfdb_samples_dir, worker, case_dir, kind, edits, fs, channel, command):
    case = fresh(case_dir)
    rng = np.random.default_rng(len(edits))
    ecg = np.round(rng.standard_normal(2000), 3)
    if kind == "csv":
        src = case / "ecg.csv"
        src.write_bytes(mutate_bytes(("mlii\n" + "\n".join(map(str, ecg))).encode(), edits))
    elif kind == "npy":
        src = case / "ecg.npy"
        raw = case / "raw.npy"
        np.save(raw, ecg)
        src.write_bytes(mutate_bytes(raw.read_bytes(), edits))
    else:
        _copy_record(wfdb_samples_dir, case, "100_3chan")
        dat = case / "100_3chan.dat"
        dat.write_bytes(mutate_bytes(dat.read_bytes(), edits))
        src = case / "100_3chan"
    argv = [command, str(src), "--out", str(case / ("out.npz" if command == "segment"
                                                    else "out.csv"))]
    argv += ["--fs", fs] if fs is not None else []
    argv += ["--channel", channel] if channel is not None else []
    judge(worker, {"entry": "cli", "args": {"argv": argv}},
          [str(case), src.name, "fs", "channel", "usage:", "argument"])


test_cli_inputs, test_cli_inputs_campaign = twin(
    _cli_inputs, _STRATEGIES_cli_inputs, slow=SLOW // 5)
