"""Saving figures through the run's context (so claims never write files themselves)."""

from __future__ import annotations


def save(ctx, fig, stem: str) -> list[str]:
    """Saves ``fig`` as figures/<stem>.pdf and .png via ``ctx.save_figure``; returns [stem] or []."""
    from numeric.figures import close

    try:
        if ctx is None or ctx.save_figure is None:
            return []
        return [ctx.save_figure(fig, stem)]
    finally:
        close(fig)
