"""Several trained models read as one: :class:`Ensemble`, whose logits are the members' mean.

Networks trained from different seeds (or recipes) on the same inputs disagree most on
the beats they are least sure of; averaging their logits evens out what each learned
by chance.  An ensemble has the inference side of a :class:`~heartbeat.nn.Model`
(``spec``, ``predict_logits``, ``set_threads``, ``named_params``) and is saved in one
``.npz`` by :func:`heartbeat.nn.save` (format 2: each member's arrays under
``member/<i>/``); it is not trained as a whole: train the members, then join them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from heartbeat.nn.model import Model

__all__ = ["ENSEMBLE", "MAX_MEMBERS", "Ensemble"]

ENSEMBLE = "ensemble"
"""The ``spec["name"]`` of an ensemble; ``spec["members"]`` lists the members' specs."""
MAX_MEMBERS = 64
_SHARED = ("input_channels", "input_length", "n_classes", "extra_inputs")


class Ensemble:
    """Models with the same inputs and outputs; the logits are the mean of theirs.

    Parameters
    ----------
    members : sequence of Model
        At least one, at most :data:`MAX_MEMBERS`, all with the same
        ``input_channels``, ``input_length``, ``n_classes`` and ``extra_inputs`` and
        the same dtype.  Architectures may differ.  The models are used, not copied.

    Attributes
    ----------
    members : tuple of Model
        The members, in the order their logits are added.
    info : dict
        Free-form metadata saved with the ensemble (see :func:`heartbeat.nn.save`).

    Raises
    ------
    TypeError
        If a member is not a :class:`~heartbeat.nn.Model` (an ensemble cannot be a
        member: join the members themselves).
    ValueError
        For no members, too many, or members whose inputs, outputs or dtypes differ.

    Examples
    --------
    >>> import numpy as np, heartbeat.nn as nn
    >>> a, b = nn.build("cnn_mlp", seed=0).eval(), nn.build("cnn_mlp", seed=1).eval()
    >>> both = nn.Ensemble([a, b])
    >>> x = np.random.default_rng(0).random((3, 187), dtype=np.float32)
    >>> mean = (a.predict_logits(x).astype(np.float64) + b.predict_logits(x)) / 2
    >>> bool(np.array_equal(both.predict_logits(x), mean))
    True
    """

    def __init__(self, members: Sequence[Model]) -> None:
        members = tuple(members)
        for i, member in enumerate(members):
            if not isinstance(member, Model):
                raise TypeError(f"members[{i}] must be a heartbeat.nn.Model, got "
                                f"{type(member).__name__} (join the members of an "
                                "ensemble, not the ensemble)")
        if not 1 <= len(members) <= MAX_MEMBERS:
            raise ValueError(f"an ensemble holds 1 to {MAX_MEMBERS} members, got "
                             f"{len(members)}")
        first = members[0]
        for i, member in enumerate(members[1:], start=1):
            differ = [k for k in _SHARED if member.spec[k] != first.spec[k]]
            if differ:
                raise ValueError(f"members[{i}] differs from members[0] in "
                                 f"{', '.join(differ)}: every member must read the same "
                                 "inputs and give the same outputs")
            if member.dtype != first.dtype:
                raise ValueError(f"members[{i}] has dtype {member.dtype}, members[0] "
                                 f"{first.dtype}; give them one dtype")
        self.members = members
        self.info: dict = {}

    @property
    def spec(self) -> dict[str, Any]:
        """The shared inputs and outputs, ``name="ensemble"`` and the members' specs."""
        spec: dict[str, Any] = {"name": ENSEMBLE}
        spec |= {k: self.members[0].spec[k] for k in _SHARED}
        spec["members"] = [m.spec for m in self.members]
        return spec

    @property
    def dtype(self) -> np.dtype:
        """The members' dtype."""
        return self.members[0].dtype

    @property
    def backend(self) -> str:
        """The kernel backend the members run on."""
        return self.members[0].backend

    def set_backend(self, backend: str) -> None:
        """Run every member's kernels on ``"auto" | "numba" | "numpy"``."""
        for member in self.members:
            member.set_backend(backend)

    @property
    def threads(self) -> int:
        """Threads that share each batch of each member (:meth:`set_threads`)."""
        return self.members[0].threads

    def set_threads(self, threads: int) -> Ensemble:
        """Split each member's batches over `threads` threads; return self."""
        for member in self.members:
            member.set_threads(threads)
        return self

    def eval(self) -> Ensemble:
        """Put every member in evaluation mode; return self."""
        for member in self.members:
            member.eval()
        return self

    @property
    def n_params(self) -> int:
        """Number of trainable scalars, all members together."""
        return sum(m.n_params for m in self.members)

    def named_params(self) -> dict[str, np.ndarray]:
        """Return ``{"<i>/<name>": array}``: member i's parameters under its index."""
        return {f"{i}/{k}": v for i, m in enumerate(self.members)
                for k, v in m.named_params().items()}

    def named_buffers(self) -> dict[str, np.ndarray]:
        """Return ``{"<i>/<name>": array}``: member i's buffers under its index."""
        return {f"{i}/{k}": v for i, m in enumerate(self.members)
                for k, v in m.named_buffers().items()}

    def predict_logits(self, x: np.ndarray, extra: np.ndarray | None = None,
                       batch_size: int | None = None) -> np.ndarray:
        """Return the mean of the members' evaluation-mode logits.

        Parameters
        ----------
        x, extra, batch_size
            As :meth:`heartbeat.nn.Model.predict_logits`, for every member.

        Returns
        -------
        ndarray of float64, shape (N, n_classes)
            The members' logits summed in float64 in member order, over the number of
            members (the exported NumPy file adds them the same way, bit for bit).
        """
        total = self.members[0].predict_logits(x, extra, batch_size).astype(np.float64)
        for member in self.members[1:]:
            total += member.predict_logits(x, extra, batch_size)
        return total / len(self.members)

    def __repr__(self) -> str:
        names = ", ".join(m.spec["name"] for m in self.members)
        return f"Ensemble([{names}], n_params={self.n_params}, dtype={self.dtype.name})"
