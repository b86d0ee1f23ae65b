"""Tests of heartbeat.classifier.adapt and classify(adapt=...)."""

from __future__ import annotations

import numpy as np
import pytest

import heartbeat
from heartbeat.classifier.adapt import adapt_prior, training_prior
from heartbeat.io.examples import load_example


def _gaussian_posteriors(rng, n, prior_test, prior_train, means=(0.0, 1.5)):
    """Beats drawn with `prior_test` from two unit Gaussians; posteriors under both priors."""
    y = (rng.random(n) >= prior_test[0]).astype(int)
    x = rng.standard_normal(n) + np.asarray(means)[y]
    like = np.exp(-0.5 * (x[:, None] - np.asarray(means)[None, :]) ** 2)
    post_train = like * prior_train
    post_true = like * prior_test
    return (post_train / post_train.sum(axis=1, keepdims=True),
            post_true / post_true.sum(axis=1, keepdims=True))


class TestAdaptPrior:
    def test_recovers_the_shifted_prior_and_bayes_posteriors(self):
        rng = np.random.default_rng(0)
        train, test = np.array([0.5, 0.5]), np.array([0.9, 0.1])
        proba, bayes = _gaussian_posteriors(rng, 20_000, test, train)
        adapted = adapt_prior(proba, train)
        assert adapted.mean(axis=0) == pytest.approx(test, abs=0.02)
        np.testing.assert_allclose(adapted, bayes, atol=0.03)

    def test_no_shift_changes_little(self):
        rng = np.random.default_rng(1)
        prior = np.array([0.5, 0.5])
        proba, _ = _gaussian_posteriors(rng, 20_000, prior, prior)
        np.testing.assert_allclose(adapt_prior(proba, prior), proba, atol=0.03)

    def test_rows_sum_to_one_and_input_kept(self):
        rng = np.random.default_rng(2)
        proba = rng.dirichlet(np.ones(5), size=50)
        copy = proba.copy()
        out = adapt_prior(proba, np.full(5, 0.2))
        np.testing.assert_allclose(out.sum(axis=1), 1.0)
        np.testing.assert_array_equal(proba, copy)

    def test_class_absent_from_training_is_not_reweighted(self):
        proba = np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1]])
        out = adapt_prior(proba, np.array([0.5, 0.5, 0.0]))
        np.testing.assert_allclose(out[:, 2], proba[:, 2], rtol=1e-12)

    def test_empty(self):
        assert adapt_prior(np.zeros((0, 5)), np.full(5, 0.2)).shape == (0, 5)


class TestTrainingPrior:
    def test_balanced_and_shuffled(self):
        info = {"classes": ["N", "S", "V"], "train_class_counts": {"N": 90, "S": 0, "V": 10},
                "params": {"sampler": "balanced"}}
        np.testing.assert_allclose(training_prior(info, 3), [0.5, 0.0, 0.5])
        info["params"]["sampler"] = "shuffle"
        np.testing.assert_allclose(training_prior(info, 3), [0.9, 0.0, 0.1])

    def test_missing_counts_give_uniform(self):
        np.testing.assert_allclose(training_prior({}, 4), [0.25] * 4)

    def test_shipped_ds1_leaves_out_q(self):
        info = heartbeat.BeatClassifier.pretrained("mitbih-ds1").info
        np.testing.assert_allclose(training_prior(info, 5), [0.25, 0.25, 0.25, 0.25, 0.0])


class TestClassifyAdapt:
    def test_sinus_excerpt_keeps_its_n_beats(self):
        ex = load_example("100")  # regular sinus rhythm, 2 annotated A beats
        plain = heartbeat.classify(ex.signal[:, 0], ex.fs, model="mitbih-ds1")
        adapted = heartbeat.classify(ex.signal[:, 0], ex.fs, model="mitbih-ds1",
                                     adapt="prior")
        np.testing.assert_array_equal(adapted.r_peaks, plain.r_peaks)
        assert adapted.counts()["N"] >= plain.counts()["N"]
        assert adapted.counts()["V"] + adapted.counts()["F"] == 0
        assert adapted.probabilities[:, 0].mean() > plain.probabilities[:, 0].mean()

    def test_bad_adapt(self):
        with pytest.raises(ValueError, match="adapt"):
            heartbeat.classify(np.zeros(3600), 360.0, adapt="labels")


@pytest.fixture(scope="module")
def excerpt():
    ex = load_example("100")
    return ex.signal[:, 0], ex.fs


class TestSinusRhythmStaysN:
    """A regular sinus excerpt (record 100, MLII) must not come back as V or F beats."""

    @pytest.mark.parametrize("change", ["as recorded", "inverted", "x0.25"])
    def test_no_v_or_f(self, excerpt, change):
        signal, fs = excerpt
        signal = {"as recorded": signal, "inverted": -signal, "x0.25": 0.25 * signal}[change]
        for adapt in ("none", "prior", "template"):
            result = heartbeat.classify(signal, fs, model="mitbih-ds1", adapt=adapt)
            assert result.counts()["V"] + result.counts()["F"] == 0, (change, adapt)
            assert result.counts()["N"] >= 0.9 * len(result)

    def test_with_nst_muscle_noise(self, excerpt):
        from conftest import _require
        from heartbeat.io import read_record

        noise = read_record(_require("nstdb-noise", "ma.hea") / "ma").signal[:, 0]
        signal, fs = excerpt
        n = noise[: len(signal)] - noise[: len(signal)].mean()
        rms = np.sqrt(np.mean((signal - signal.mean()) ** 2))
        noisy = signal + n * (rms / 2) / np.sqrt(np.mean(n ** 2))  # 6 dB SNR
        result = heartbeat.classify(noisy, fs, model="mitbih-ds1")
        assert result.counts()["V"] + result.counts()["F"] == 0
        assert result.counts()["N"] >= 0.9 * len(result)
