"""Seeded random generators: every draw in the generator flows from the world's seed."""

import random


def seeded(*parts: object) -> random.Random:
    """An independent, reproducible generator for one part of the world ("20261125/people")."""
    # Synthetic test data, not secrets: a seeded Mersenne Twister is exactly what we want.
    return random.Random("/".join(str(p) for p in parts))  # noqa: S311
