"""How a figure reads in a sentence of the report (Advice, Rule prices, Summary)."""

from __future__ import annotations


def number(value: float) -> str:
    """Four significant digits below 1,000, whole from there (at four significant digits
    9,999.6 would print as 1e+04)."""
    return f"{value:,.4g}" if abs(value) < 1e3 else f"{value:,.0f}"


def with_article(noun: str) -> str:
    """'an item', 'an ally', 'a period': the indefinite article by the noun's first letter."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def money(value: float, currency: str = "") -> str:
    """An amount of money in a sentence: ``number`` and the currency, when one is named
    ("212,000 EUR")."""
    return f"{number(value)} {currency}" if currency else number(value)


def compact_money(value: float, currency: str = "") -> str:
    """An amount of money at a glance: "3.21 bn EUR", "400 M EUR", "12,500 EUR" (three
    significant digits from a million up)."""
    for scale, suffix in ((1e9, "bn"), (1e6, "M")):
        if abs(value) >= scale:
            text = f"{value / scale:,.3g} {suffix}"
            break
    else:
        text = f"{value:,.0f}"
    return f"{text} {currency}" if currency else text
