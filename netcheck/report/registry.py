"""A table of output formats whose renderer modules are imported only when one is used.

The command line offers every format's name at start-up; importing every renderer (tabulate,
the models, the catalogue behind an allow list) to do so would slow every netcheck command.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar, cast

K = TypeVar("K", bound=enum.Enum)
V = TypeVar("V")


class Renderers(Generic[K, V]):
    """Format -> "module:function", where the function renders a V as text."""

    def __init__(self, table: Mapping[K, str]) -> None:
        self._table = dict(table)

    def __iter__(self) -> Iterator[K]:
        return iter(self._table)

    def choices(self) -> list[str]:
        """The formats' names, in the table's order, for a --format option."""
        return [str(fmt.value) for fmt in self._table]

    def renderer(self, fmt: K) -> Callable[[V], str]:
        module, _, name = self._table[fmt].partition(":")
        return cast(Callable[[V], str], getattr(importlib.import_module(module), name))

    def render(self, value: V, fmt: K) -> str:
        return self.renderer(fmt)(value)
