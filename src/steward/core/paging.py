"""Pages of long lists without counting every row.

A list of a million open tickets needs its first pages and an idea of its size, not an exact
count that reads every row (``COUNT(*)`` over 150,000 open incidents takes a quarter of a
second). ``CappedPaginator`` counts at most ``cap`` rows; past that the list says "more than
N" and offers the pages up to the cap. Filters reach the rest.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator

#: Rows counted at most; the pages of a longer list stop here.
COUNT_CAP = 10_000


class CappedPaginator(Paginator):  # type: ignore[type-arg]
    """A ``Paginator`` whose count stops at ``cap`` (``capped`` says it did)."""

    def __init__(
        self, object_list: Any, per_page: int, cap: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def _counted(self) -> int:
        rows = self.object_list
        if hasattr(rows, "order_by"):
            # No order needed to count; the LIMIT lets the database stop at cap + 1 rows.
            return int(rows.order_by()[: self.cap + 1].count())
        return min(len(rows), self.cap + 1)

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        """Are there more rows than ``count`` says?"""
        return self._counted > self.cap
