"""Pictures of ECG records, beats, spectrograms and classifier results.

Needs matplotlib (the ``plot`` extra: ``pip install 'heartbeat-ecg[plot]'``); it is imported
inside the functions, never by ``import heartbeat``.  Every function takes arrays or
result objects and returns a :class:`matplotlib.figure.Figure` drawn on the Agg
(PNG) canvas.  The figures are not registered with :mod:`matplotlib.pyplot`, so they
neither pop up windows nor pile up in pyplot's list of open figures; call
``fig.savefig(...)`` or pass ``path=`` to write a PNG (atomically: a temporary file in
the same folder, then a rename).

Public functions
----------------
plot_record              a stretch of ECG (10 s by default) with R peaks coloured by
                         AAMI class and the reference annotation symbols above it
plot_beat_context        a short view (1 s by default) centred on one beat
plot_spectrogram         one spectrogram image in dB
plot_window_comparison   ±2 s windows side by side with their spectrograms
plot_class_gallery       mean ± standard deviation beat of each class
plot_confusion_matrix    counts or normalised rates, one cell per (true, predicted)
plot_training_curves     loss, accuracy and macro-F1 per epoch (see TRAINING_HISTORY_KEYS)
reference_classes        the AAMI class of the reference beat each R peak matches
save_example_figures     the pictures above made from the shipped MIT-BIH excerpts
save_png                 write any Figure to a PNG file atomically

Modules
-------
record     plot_record, plot_beat_context, reference_classes
windows    plot_spectrogram, plot_window_comparison
classes    plot_class_gallery, plot_confusion_matrix
training   plot_training_curves, TRAINING_HISTORY_KEYS
examples   save_example_figures
_figure    matplotlib on first use, figures, colours, save_png, the drawing checks

Colours: one fixed colour per AAMI class (:data:`CLASS_COLORS`, Okabe-Ito palette,
readable with the common colour-vision deficiencies); beats with no class are black.
"""

from __future__ import annotations

from heartbeat.plot._figure import CLASS_COLORS, save_png
from heartbeat.plot.classes import plot_class_gallery, plot_confusion_matrix
from heartbeat.plot.examples import save_example_figures
from heartbeat.plot.record import plot_beat_context, plot_record, reference_classes
from heartbeat.plot.training import TRAINING_HISTORY_KEYS, plot_training_curves
from heartbeat.plot.windows import plot_spectrogram, plot_window_comparison

__all__ = [
    "CLASS_COLORS",
    "TRAINING_HISTORY_KEYS",
    "plot_beat_context",
    "plot_class_gallery",
    "plot_confusion_matrix",
    "plot_record",
    "plot_spectrogram",
    "plot_training_curves",
    "plot_window_comparison",
    "reference_classes",
    "save_example_figures",
    "save_png",
]

# doctest.testmod(heartbeat.plot) also runs the examples of the functions defined in
# the submodules (it looks only at names defined here, and at __test__)
__test__ = {name: globals()[name] for name in __all__ if callable(globals()[name])}
