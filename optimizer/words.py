"""How a figure reads in a sentence of the report (Advice, Rule prices, Summary)."""

from __future__ import annotations


def number(value: float) -> str:
    """Four significant digits below 1,000, whole from there (at four significant digits
    9,999.6 would print as 1e+04)."""
    return f"{value:,.4g}" if abs(value) < 1e3 else f"{value:,.0f}"


def with_article(noun: str) -> str:
    """'an item', 'an ally', 'a period': the indefinite article by the noun's first letter."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
