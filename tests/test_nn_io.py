"""save/load round trip and clear errors for damaged or foreign files."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import heartbeat.nn as nn


@pytest.fixture
def model():
    m = nn.build("cnn4_dense4", n_classes=4, seed=5, input_length=40)
    m.forward(np.random.default_rng(0).standard_normal((8, 40)))  # moves BN statistics
    return m


def _rewrite(path, out, drop=(), add=None, change=None):
    with np.load(path, allow_pickle=False) as npz:
        data = {k: npz[k] for k in npz.files if k not in drop}
    data.update(add or {})
    data.update(change or {})
    np.savez(out, **data)
    return out


class TestSaveLoad:
    def test_roundtrip(self, model, tmp_path):
        path = nn.save(model, tmp_path / "m", info={"records": [100, 101]})
        assert path.name == "m.npz"
        loaded = nn.load(path)
        assert loaded.spec == model.spec
        assert loaded.info == {"records": [100, 101]}
        assert not loaded.training
        for (k, a), (k2, b) in zip({**model.named_params(), **model.named_buffers()}.items(),
                                   {**loaded.named_params(), **loaded.named_buffers()}.items(),
                                   strict=True):
            assert k == k2
            np.testing.assert_array_equal(a, b)
        x = np.random.default_rng(1).standard_normal((3, 40))
        np.testing.assert_array_equal(model.eval().forward(x), loaded.forward(x))

    def test_float64_and_kachuee(self, tmp_path):
        m = nn.build("kachuee2018", dtype=np.float64)
        loaded = nn.load(nn.save(m, tmp_path / "k.npz"))
        assert loaded.dtype == np.float64 and loaded.n_params == 55_013

    def test_no_pickle_needed(self, model, tmp_path):
        path = nn.save(model, tmp_path / "m.npz")
        with np.load(path, allow_pickle=False) as npz:
            assert json.loads(str(npz["spec"]))["name"] == "cnn4_dense4"
            assert int(npz["format_version"]) == 1

    def test_atomic_no_leftovers(self, model, tmp_path):
        nn.save(model, tmp_path / "m.npz")
        nn.save(model, tmp_path / "m.npz")
        assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]

    def test_bad_info(self, model, tmp_path):
        with pytest.raises(ValueError, match="JSON"):
            nn.save(model, tmp_path / "m.npz", info={"x": object()})
        with pytest.raises(TypeError, match="Model"):
            nn.save("model", tmp_path / "m.npz")
        assert not list(tmp_path.iterdir())


class TestCorruptFiles:
    def test_missing_file(self, tmp_path):
        with pytest.raises(FileNotFoundError):
            nn.load(tmp_path / "none.npz")

    def test_truncated(self, model, tmp_path):
        path = nn.save(model, tmp_path / "m.npz")
        data = path.read_bytes()
        for cut in (10, len(data) // 2, len(data) - 30):
            bad = tmp_path / f"cut{cut}.npz"
            bad.write_bytes(data[:cut])
            with pytest.raises(ValueError, match="not a readable model file"):
                nn.load(bad)

    def test_not_npz(self, tmp_path):
        bad = tmp_path / "x.npz"
        bad.write_text("hello")
        with pytest.raises(ValueError, match="not a readable model file"):
            nn.load(bad)

    def test_plain_npy(self, tmp_path):
        bad = tmp_path / "a.npz"
        with open(bad, "wb") as fh:
            np.save(fh, np.zeros(3))
        with pytest.raises(ValueError, match=r"not an \.npz archive"):
            nn.load(bad)

    def test_missing_array(self, model, tmp_path):
        path = nn.save(model, tmp_path / "m.npz")
        bad = _rewrite(path, tmp_path / "b.npz", drop=("param/head.0.w",))
        with pytest.raises(ValueError, match=r"missing \['head.0.w'\]"):
            nn.load(bad)

    def test_extra_array(self, model, tmp_path):
        path = nn.save(model, tmp_path / "m.npz")
        bad = _rewrite(path, tmp_path / "b.npz", add={"param/head.9.w": np.zeros(3)})
        with pytest.raises(ValueError, match=r"extra \['head.9.w'\]"):
            nn.load(bad)
        bad = _rewrite(path, tmp_path / "c.npz", add={"weights": np.zeros(3)})
        with pytest.raises(ValueError, match="unexpected entries"):
            nn.load(bad)

    def test_misshaped_array(self, model, tmp_path):
        path = nn.save(model, tmp_path / "m.npz")
        bad = _rewrite(path, tmp_path / "b.npz",
                       change={"param/head.0.w": np.zeros((3, 3), np.float32)})
        with pytest.raises(ValueError, match=r"head\.0\.w' has shape"):
            nn.load(bad)

    def test_wrong_version(self, model, tmp_path):
        path = nn.save(model, tmp_path / "m.npz")
        bad = _rewrite(path, tmp_path / "b.npz", change={"format_version": np.array(3)})
        with pytest.raises(ValueError, match="has model file format 3; this version of "
                                             r"heartbeat reads formats 1 \(a model\) and 2"):
            nn.load(bad)
        # format 2 is an ensemble's: a single model's spec under it is refused
        bad = _rewrite(path, tmp_path / "e.npz", change={"format_version": np.array(2)})
        with pytest.raises(ValueError, match="format-2 file must hold an ensemble spec"):
            nn.load(bad)
        bad = _rewrite(path, tmp_path / "c.npz", drop=("format_version",))
        with pytest.raises(ValueError, match="missing"):
            nn.load(bad)

    def test_bad_spec(self, model, tmp_path):
        path = nn.save(model, tmp_path / "m.npz")
        bad = _rewrite(path, tmp_path / "b.npz", change={"spec": np.array("{not json")})
        with pytest.raises(ValueError, match="JSON"):
            nn.load(bad)

    def test_pickled_object_refused(self, tmp_path):
        bad = tmp_path / "p.npz"
        np.savez(bad, format_version=np.array(1), spec=np.array("{}"),
                 info=np.array([{"a": 1}], dtype=object))
        with pytest.raises(ValueError):
            nn.load(bad)

    def test_zip_without_arrays(self, tmp_path):
        bad = tmp_path / "z.npz"
        with zipfile.ZipFile(bad, "w") as zf:
            zf.writestr("readme.txt", "x")
        with pytest.raises(ValueError, match="missing"):
            nn.load(bad)


def _spec_of(path):
    with np.load(path, allow_pickle=False) as npz:
        return json.loads(str(npz["spec"]))


class TestHostileFiles:
    """Each case once ended in another exception, a MemoryError or a silent wrong model."""

    def test_digest_is_written_and_checked(self, model, tmp_path):
        path = nn.save(model, tmp_path / "m.npz")
        with np.load(path) as npz:
            assert len(str(npz["digest"])) == 64
            w = npz["param/head.0.w"].copy()
        w[0, 0] += 1.0  # a plausible, finite change only the digest can tell
        bad = _rewrite(path, tmp_path / "b.npz", change={"param/head.0.w": w})
        with pytest.raises(ValueError, match=r"b\.npz'.*do not match the file's digest"):
            nn.load(bad)

    def test_file_without_digest_still_loads(self, model, tmp_path):
        path = nn.save(model, tmp_path / "m.npz")
        old = _rewrite(path, tmp_path / "old.npz", drop=("digest",))
        x = np.random.default_rng(2).standard_normal((3, 40))
        np.testing.assert_array_equal(nn.load(old).forward(x), nn.load(path).forward(x))

    @pytest.mark.parametrize("value", [np.nan, np.inf, 3e38])
    def test_non_finite_or_absurd_weights(self, model, tmp_path, value):
        path = nn.save(model, tmp_path / "m.npz")
        with np.load(path) as npz:
            b = npz["param/head.0.b"].copy()
        b[1] = value
        bad = _rewrite(path, tmp_path / "b.npz", change={"param/head.0.b": b},
                       drop=("digest",))
        with pytest.raises(ValueError, match=r"b\.npz'.*'head\.0\.b' holds NaN, inf or"):
            nn.load(bad)

    @pytest.mark.parametrize(
        ("edit", "match"),
        [
            (lambda s: s["features"][0].update(kernel_size=0), r"\['kernel_size'\]=0 must"),
            (lambda s: s.update(features=5), r"spec\['features'\] must be a list"),
            (lambda s: s["head"][0].update(in_features=10**6, out_features=10**6),
             r"\['in_features'\]=1000000 must be an integer from 1 to 65536"),
            (lambda s: s["head"].extend([{"type": "dense", "in_features": 60000,
                                          "out_features": 60000}]),
             r"about \d+ parameters, more than"),
            (lambda s: s["head"][0].update(in_features=7), r"has shape|do not fit"),
            (lambda s: s.update(input_length=True), r"spec\['input_length'\]=True"),
        ],
    )
    def test_spec_is_checked_before_arrays_and_names_the_file(self, model, tmp_path, edit,
                                                               match):
        path = nn.save(model, tmp_path / "m.npz")
        spec = _spec_of(path)
        edit(spec)
        bad = _rewrite(path, tmp_path / "s.npz", change={"spec": np.array(json.dumps(spec))})
        with pytest.raises(ValueError, match=r"s\.npz'?: .*" + match):
            nn.load(bad)

    def test_array_header_larger_than_its_entry(self, model, tmp_path):
        path = nn.save(model, tmp_path / "m.npz")
        bad = tmp_path / "h.npz"
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as dst:
            for zi in src.infolist():
                raw = src.read(zi)
                if zi.filename == "param/head.0.b.npy":  # declare 5e9 elements
                    raw = raw.replace(b"'shape': (128,), ", b"'shape': (5000000000,)")
                    assert b"5000000000" in raw
                dst.writestr(zi.filename, raw)
        with pytest.raises(ValueError, match=r"h\.npz.*declares shape \(5000000000,\)"):
            nn.load(bad)

    def test_zip_bomb_is_refused_from_its_directory(self, tmp_path):
        bomb = tmp_path / "bomb.npz"
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in ("format_version", "spec", "info"):
                zf.writestr(f"{name}.npy", b"")
            with zf.open("param/x.npy", "w", force_zip64=True) as fh:
                chunk = bytes(1 << 24)
                for _ in range(80):  # 1.3 GB of zeros, a few MB on disk
                    fh.write(chunk)
        with pytest.raises(ValueError, match=r"bomb\.npz' declares 4 arrays of \d+ bytes"):
            nn.load(bomb)

    def test_flipped_bytes_in_the_central_directory(self, model, tmp_path):
        path = nn.save(model, tmp_path / "m.npz")
        raw = bytearray(path.read_bytes())
        directory = raw.rfind(b"PK\x01\x02")
        outcomes = set()
        for offset in range(10, 46):  # every fixed field of the last directory entry
            damaged = bytearray(raw)
            damaged[directory + offset] ^= 0xFF
            (tmp_path / "d.npz").write_bytes(bytes(damaged))
            try:
                nn.load(tmp_path / "d.npz")
                outcomes.add("loaded")
            except ValueError as exc:
                assert "d.npz" in str(exc)
                outcomes.add("refused")
        assert "refused" in outcomes

    def test_directory_is_not_a_model_file(self, tmp_path):
        with pytest.raises(ValueError, match="is not a regular file"):
            nn.load(tmp_path)

    def test_npy_header_that_breaks_the_tokenizer(self, model, tmp_path):
        # a zero byte in an array's header: numpy's parser raised tokenize.TokenError
        path = nn.save(model, tmp_path / "m.npz")
        bad = tmp_path / "t.npz"
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as dst:
            for zi in src.infolist():
                raw = src.read(zi)
                if zi.filename == "param/head.0.b.npy":
                    raw = raw[:12] + b"{" + raw[13:]
                dst.writestr(zi.filename, raw)
        with pytest.raises(ValueError, match=r"t\.npz' is not a readable model file"):
            nn.load(bad)


@pytest.mark.parametrize("name", ["mitbih-ds1", "mitbih-all"])
def test_shipped_models_carry_their_digest(name):
    from heartbeat.classifier.saved import _pretrained_path

    with np.load(_pretrained_path(name), allow_pickle=False) as f:
        assert "digest" in f.files  # checked by nn.load on every load


class TestEnsembleFile:
    """An ensemble in one file (format 2): round trip, digest, and foreign entries."""

    @pytest.fixture
    def ensemble(self):
        members = [nn.build("cnn4_dense4", n_classes=4, seed=s, input_length=40)
                   for s in (1, 2)]
        members.append(nn.build("cnn_mlp", n_classes=4, seed=3, input_length=40))
        for m in members:
            m.forward(np.random.default_rng(0).standard_normal((8, 40)))  # BN statistics
        return nn.Ensemble(members).eval()

    def test_roundtrip_and_mean(self, ensemble, tmp_path):
        path = nn.save(ensemble, tmp_path / "e.npz", info={"seeds": [1, 2, 3]})
        with np.load(path, allow_pickle=False) as npz:
            assert int(npz["format_version"]) == 2
            assert "member/2/param/features.0.w" in npz.files
        loaded = nn.load(path)
        assert isinstance(loaded, nn.Ensemble) and loaded.info == {"seeds": [1, 2, 3]}
        assert loaded.spec == ensemble.spec and len(loaded.members) == 3
        assert loaded.n_params == sum(m.n_params for m in ensemble.members)
        x = np.random.default_rng(1).standard_normal((5, 40)).astype(np.float32)
        by_hand = sum(m.predict_logits(x).astype(np.float64) for m in ensemble.members) / 3
        np.testing.assert_array_equal(loaded.predict_logits(x), by_hand)
        assert loaded.predict_logits(x).dtype == np.float64

    def test_damaged_or_foreign_entries(self, ensemble, tmp_path):
        path = nn.save(ensemble, tmp_path / "e.npz")
        w = "member/1/param/head.0.w"
        with np.load(path) as npz:
            changed = npz[w].copy()
        changed.flat[0] += 1
        with pytest.raises(ValueError, match="do not match the file's digest"):
            nn.load(_rewrite(path, tmp_path / "d.npz", change={w: changed}))
        with pytest.raises(ValueError, match="belong to no member"):
            nn.load(_rewrite(path, tmp_path / "f.npz",
                             add={"member/7/param/head.0.w": changed}))
        with pytest.raises(ValueError, match="belong to no member"):
            nn.load(_rewrite(path, tmp_path / "g.npz", add={"param/head.0.w": changed}))
        with pytest.raises(ValueError, match="missing"):
            nn.load(_rewrite(path, tmp_path / "h.npz", drop=(w,)))
        with pytest.raises(ValueError, match="format-1 file"):
            nn.load(_rewrite(path, tmp_path / "v1.npz",
                             change={"format_version": np.array(1)}))

    def test_members_must_agree(self):
        a = nn.build("cnn_mlp", n_classes=4)
        with pytest.raises(ValueError, match=r"members\[1\] differs .* n_classes"):
            nn.Ensemble([a, nn.build("cnn_mlp", n_classes=5)])
        with pytest.raises(ValueError, match="dtype"):
            nn.Ensemble([a, nn.build("cnn_mlp", n_classes=4, dtype=np.float64)])
        with pytest.raises(TypeError, match="join the members of an ensemble"):
            nn.Ensemble([a, nn.Ensemble([a])])
        with pytest.raises(ValueError, match="1 to 64 members"):
            nn.Ensemble([])
