"""The data files shipped inside the package: forms and checklists (the seed review's
are the demo's own, in ``reviewflow/demo/data``).

One place knows where they live, so listing built-ins and reading them is the same for
every kind (and works from a wheel as well as from a source checkout).
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


def data_path(*parts: str) -> Traversable:
    """A file or folder under ``reviewflow/data``."""
    path = resources.files("reviewflow") / "data"
    for part in parts:
        path = path / part
    return path


def builtin_names(folder: str) -> list[str]:
    """Names (without ``.toml``) of the TOML files in ``reviewflow/data/<folder>``."""
    return sorted(
        p.name.removesuffix(".toml")
        for p in data_path(folder).iterdir()
        if p.name.endswith(".toml")
    )


def read_data(*parts: str) -> str:
    """The text of a shipped data file."""
    return data_path(*parts).read_text(encoding="utf-8")
