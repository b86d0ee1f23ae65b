"""Time heartbeat.windows (the STFT features) on a dataset-sized batch of beat windows.

    PYTHONPATH=. python benchmarks/bench_features.py          # 100,000 x 1,440 float32
    PYTHONPATH=. python benchmarks/bench_features.py --n-windows 20000 --dtype float64
    PYTHONPATH=. python benchmarks/bench_features.py --paths  # matrix DFT vs np.fft.rfft

(``PYTHONPATH=.`` is not needed once heartbeat is installed, e.g. ``pip install -e .``.)

Windows are random normal noise (the cost does not depend on the values). Prints the
best wall time of --repeat runs and windows per second for spectrogram, stft,
log_power and the FrequencyNormalizer with the library defaults (nperseg=64,
noverlap=48, Hann, 360 Hz).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from heartbeat import windows as features
from heartbeat.windows import _framing


def best_time(func, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
        del result
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-windows", type=int, default=100_000)
    parser.add_argument("--n-samples", type=int, default=1440)
    parser.add_argument("--fs", type=float, default=360.0)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--paths", action="store_true",
                        help="also time the two DFT paths on the same frames")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.n_windows, args.n_samples), dtype=np.float32)
    x = x.astype(args.dtype, copy=False)
    print(f"input {x.shape} {x.dtype}, fs={args.fs:g} Hz, best of {args.repeat}")

    spec = features.spectrogram(x[:10], args.fs).Sxx  # warm-up, and the image shape
    cases = {
        "spectrogram": lambda: features.spectrogram(x, args.fs),
        "stft": lambda: features.stft(x, args.fs),
        "log_power(spectrogram)": lambda: features.log_power(features.spectrogram(x, args.fs).Sxx),
    }
    for name, func in cases.items():
        seconds = best_time(func, args.repeat)
        print(f"{name:29s} {seconds:7.3f} s  {args.n_windows / seconds:10,.0f} windows/s")
    images = features.log_power(features.spectrogram(x, args.fs).Sxx)
    norm = features.FrequencyNormalizer.fit(images)
    for name, func in (
        ("FrequencyNormalizer.fit", lambda: features.FrequencyNormalizer.fit(images)),
        ("FrequencyNormalizer.transform", lambda: norm.transform(images)),
    ):
        seconds = best_time(func, args.repeat)
        print(f"{name:29s} {seconds:7.3f} s  {args.n_windows / seconds:10,.0f} windows/s")
    print(f"image per window: {spec.shape[1:]} {spec.dtype}")

    if args.paths:
        win = features.get_window("hann", 64)
        for method in ("matmul", "fft"):
            plan = _framing._make_plan(
                win, nperseg=64, noverlap=48, nfft=64, scale=1.0, doubled=True,
                detrend="constant", dtype=x.dtype.type, power=True, method=method,
            )
            seconds = best_time(
                lambda plan=plan: _framing._framed_transform(x, plan, onesided=True, mode="psd"),
                args.repeat,
            )
            print(f"psd via {method:6s}                {seconds:7.3f} s  "
                  f"{args.n_windows / seconds:10,.0f} windows/s")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
