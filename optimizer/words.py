"""How a figure reads in a sentence of the report: Advice, Rule prices, Diagnosis, the
solve phases' messages and the input's warnings all print a quantity the same way."""

from __future__ import annotations


def figure(value: float, unit: str = "") -> str:
    """A figure in a sentence, with its unit when one is named ("1,450 missiles",
    "212,000 EUR", "12.35"): four significant digits below 1,000, whole from there (at
    four significant digits 9,999.6 would print as 1e+04)."""
    text = f"{value:,.4g}" if abs(value) < 1e3 else f"{value:,.0f}"
    return f"{text} {unit}" if unit else text


def with_article(noun: str) -> str:
    """'an item', 'an ally', 'a period': the indefinite article by the noun's first letter."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


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
