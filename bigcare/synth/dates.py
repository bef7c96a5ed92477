"""Calendar arithmetic for ages and anniversaries."""

import random
from datetime import date, timedelta


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (28 Feb for 29 Feb in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (clamped to the month's end)."""
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def birth_for_age(rng: random.Random, age: int, today: date) -> date:
    """A birth date for someone who is `age` years old today."""
    latest = add_years(today, -age)
    earliest = add_years(today, -(age + 1)) + timedelta(days=1)
    return date.fromordinal(rng.randint(earliest.toordinal(), latest.toordinal()))
