"""Every model has a docs page, and the pages say what the code says."""

from __future__ import annotations

from steward.core import model_docs


def test_model_pages_are_current() -> None:
    stale = [
        str(path.relative_to(model_docs.ROOT))
        for path, text in model_docs.pages().items()
        if not path.exists() or path.read_text() != text
    ]
    assert not stale, f"Run `python -m steward.core.model_docs` to update: {stale}"
