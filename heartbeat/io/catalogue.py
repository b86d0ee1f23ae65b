"""The PhysioNet databases with reference beat annotations, each at a fixed version.

:func:`heartbeat.io.download` fetches any of them by name; ``heartbeat download --list``
prints this table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CATALOGUE", "DATABASES", "PHYSIONET", "Database"]

PHYSIONET = "https://physionet.org/"
"""PhysioNet's server; a database lives in its folder ``files/NAME/VERSION/``."""


@dataclass(frozen=True)
class Database:
    """A PhysioNet database with reference beat annotations.

    Attributes
    ----------
    name : str
        PhysioNet's short name (the folder name), e.g. ``"incartdb"``.
    version : str
        The published version downloaded, e.g. ``"1.0.0"``.
    title : str
        The database's full name.
    n_records : int
        Number of records.
    fs : float
        Sampling frequency of its records in Hz.
    annotator : str
        Extension of the reference beat annotation files.
    """

    name: str
    version: str
    title: str
    n_records: int
    fs: float
    annotator: str = "atr"

    @property
    def folder(self) -> str:
        """The database's folder relative to the server, ``files/NAME/VERSION/``."""
        return f"files/{self.name}/{self.version}/"


CATALOGUE: dict[str, Database] = {db.name: db for db in (
    Database("mitdb", "1.0.0", "MIT-BIH Arrhythmia Database", 48, 360.0),
    Database("svdb", "1.0.0", "MIT-BIH Supraventricular Arrhythmia Database", 78, 128.0),
    Database("nstdb", "1.0.0", "MIT-BIH Noise Stress Test Database", 15, 360.0),
    Database("ltdb", "1.0.0", "MIT-BIH Long-Term ECG Database", 7, 128.0),
    Database("incartdb", "1.0.0", "St Petersburg INCART 12-lead Arrhythmia Database",
             75, 257.0),
    Database("edb", "1.0.0", "European ST-T Database", 90, 250.0),
    Database("stdb", "1.0.0", "MIT-BIH ST Change Database", 28, 360.0),
    Database("nsrdb", "1.0.0", "MIT-BIH Normal Sinus Rhythm Database", 18, 128.0),
)}
"""The PhysioNet databases with beat annotations that :func:`download` knows by name.

Versions and folders as published on PhysioNet (``https://physionet.org/content/NAME/
VERSION/``); ``nstdb``'s records ``bw``, ``em`` and ``ma`` are noise without
annotations."""

DATABASES: dict[str, str] = {name: PHYSIONET + db.folder for name, db in CATALOGUE.items()}
"""Known database names -> their folder on PhysioNet's public file server."""
