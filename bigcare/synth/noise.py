"""How facility staff actually write things down: formats, typos and a few broken rows."""

import random
from dataclasses import dataclass
from datetime import date

# Hangul syllable arithmetic: syllable = 0xAC00 + (initial * 21 + medial) * 28 + final.
_BASE, _MEDIALS, _FINALS = 0xAC00, 21, 28
# Medial vowel confusions: ㅐ↔ㅔ, ㅒ↔ㅖ, ㅓ↔ㅗ, ㅙ↔ㅚ↔ㅞ, ㅕ↔ㅛ.
_VOWEL_SWAPS = {
    1: (5,),
    5: (1,),
    3: (7,),
    7: (3,),
    4: (8,),
    8: (4,),
    10: (11, 15),
    11: (10, 15),
    15: (10, 11),
    6: (12,),
    12: (6,),
}
# Finals people add by mistake (ㄴ, ㄹ, ㅇ) and confusions between them (ㄴ↔ㅇ, ㅂ↔ㅁ).
_ADD_FINALS = (4, 8, 21)
_FINAL_SWAPS = {4: 21, 21: 4, 17: 16, 16: 17}
_SURNAME_VARIANTS = {"류": "유", "유": "류", "이": "리", "임": "림", "노": "로", "라": "나"}

DATE_STYLES = ("iso", "dot", "compact", "short", "korean")
SEX_STYLES = (("남", "여"), ("M", "F"), ("남자", "여자"), ("1", "2"))
PHONE_STYLES = ("dash", "plain", "space", "intl", "paren")


def _split(ch: str) -> tuple[int, int, int] | None:
    code = ord(ch) - _BASE
    if not 0 <= code < 11172:
        return None
    return code // (_MEDIALS * _FINALS), code // _FINALS % _MEDIALS, code % _FINALS


def _join(initial: int, medial: int, final: int) -> str:
    return chr(_BASE + (initial * _MEDIALS + medial) * _FINALS + final)


def jamo_typo(rng: random.Random, given: str) -> str:
    """One jamo-level slip in a given name: a vowel swap, a dropped, added or changed 받침."""
    syllables = [(i, parts) for i, ch in enumerate(given) if (parts := _split(ch)) is not None]
    rng.shuffle(syllables)
    for i, (initial, medial, final) in syllables:
        options: list[tuple[int, int, int]] = []
        options += [(initial, m, final) for m in _VOWEL_SWAPS.get(medial, ())]
        if final:
            options.append((initial, medial, 0))
            if final in _FINAL_SWAPS:
                options.append((initial, medial, _FINAL_SWAPS[final]))
        else:
            options.append((initial, medial, rng.choice(_ADD_FINALS)))
        if options:
            return given[:i] + _join(*rng.choice(options)) + given[i + 1 :]
    return given


def write_name(
    rng: random.Random, surname: str, given: str, *, typo: float, space: float, foreigner: bool
) -> str:
    """A name as a facility typed it."""
    if foreigner:
        roll = rng.random()
        if roll < space:
            return given.replace(" ", "")
        if roll < space + typo and given.isascii():
            return given.title()
        return given
    roll = rng.random()
    if roll < typo:
        given = jamo_typo(rng, given)
    elif roll < typo + 0.002 and surname in _SURNAME_VARIANTS:
        surname = _SURNAME_VARIANTS[surname]
    if rng.random() < space:
        return f"{surname} {given}"
    return surname + given


def format_date(day: date, style: str) -> str:
    """A date in one of the styles Korean offices use."""
    if style == "dot":
        return f"{day.year}.{day.month:02d}.{day.day:02d}"
    if style == "compact":
        return f"{day.year}{day.month:02d}{day.day:02d}"
    if style == "short":
        return f"{day.year % 100:02d}.{day.month:02d}.{day.day:02d}"
    if style == "korean":
        return f"{day.year}년 {day.month}월 {day.day}일"
    return day.isoformat()


def date_typo(rng: random.Random, day: date) -> date:
    """A mistyped but possible date: day and month swapped, or one digit off."""
    if day.day <= 12 and day.day != day.month and rng.random() < 0.5:
        return day.replace(month=day.day, day=day.month)
    for _ in range(10):
        field = rng.choice(("year", "day", "month"))
        try:
            if field == "year":
                return day.replace(year=day.year + rng.choice((-1, 1, -10, 10)))
            if field == "day":
                return day.replace(day=day.day + rng.choice((-1, 1, -10, 10)))
            return day.replace(month=day.month + rng.choice((-1, 1)))
        except ValueError:
            continue
    return day


def rrn_typo(rng: random.Random, rrn: str) -> str:
    """One wrong digit in the back half, or two neighbours transposed (date part stays valid)."""
    digits = list(rrn)
    if rng.random() < 0.3:
        i = rng.randint(9, 12)
        digits[i], digits[i - 1] = digits[i - 1], digits[i]
    else:
        i = rng.randint(8, 13)
        digits[i] = str((int(digits[i]) + rng.randint(1, 9)) % 10)
    return "".join(digits)


def format_rrn(rrn: str, *, masked: bool, hyphen: bool = True) -> str:
    """Full or masked display of a hyphenated RRN."""
    if masked:
        return f"{rrn[:8]}******"
    return rrn if hyphen else rrn.replace("-", "")


def format_phone(number: str, style: str) -> str:
    """A canonical hyphenated phone number in another common style."""
    prefix, middle, last = number.split("-")
    if style == "plain":
        return prefix + middle + last
    if style == "space":
        return f"{prefix} {middle} {last}"
    if style == "intl":
        return f"+82-{prefix[1:]}-{middle}-{last}"
    if style == "paren":
        return f"{prefix}){middle}-{last}"
    return number


def format_sex(sex: str, style: tuple[str, str]) -> str:
    return style[0] if sex == "M" else style[1]


@dataclass(frozen=True)
class NoiseProfile:
    """Per-facility error rates (each a probability per client record or per row)."""

    name_typo: float
    name_space: float
    rrn_typo: float
    rrn_missing: float
    birth_typo: float
    phone_missing: float
    phone_restyle: float
    stale: float
    other_address_form: float
    dong_missing: float
    date_restyle: float
    bad_row: float

    @classmethod
    def draw(cls, rng: random.Random) -> "NoiseProfile":
        """A facility's habits: most are careful, a few are sloppy."""
        sloppy = rng.random() < 0.2
        k = 2.0 if sloppy else 1.0
        return cls(
            name_typo=round(rng.uniform(0.005, 0.03) * k, 4),
            name_space=round(rng.uniform(0.0, 0.03) * k, 4),
            rrn_typo=round(rng.uniform(0.0, 0.015) * k, 4),
            rrn_missing=round(rng.uniform(0.0, 0.04) * k, 4),
            birth_typo=round(rng.uniform(0.0, 0.012) * k, 4),
            phone_missing=round(rng.uniform(0.02, 0.08) * k, 4),
            phone_restyle=round(rng.uniform(0.0, 0.12) * k, 4),
            stale=round(rng.uniform(0.2, 0.9), 4),
            other_address_form=round(rng.uniform(0.0, 0.12) * k, 4),
            dong_missing=round(rng.uniform(0.0, 0.08) * k, 4),
            date_restyle=round(rng.uniform(0.0, 0.04) * k, 4),
            bad_row=round(rng.uniform(0.002, 0.008) * k, 4),
        )


def break_row(rng: random.Random, row: dict[str, object], *, available: set[str]) -> None:
    """Make one row genuinely unusable for the quarantine: impossible RRN or birth date, no name,
    or a phone with letters in it."""
    kinds = [k for k in ("rrn", "birth", "name", "phone") if k in available]
    kind = rng.choice(kinds) if kinds else "name"
    if kind == "rrn":
        value = str(row.get("rrn") or "")
        front = value[:6] if len(value) >= 6 else "800101"
        bad_front = front[:2] + rng.choice(("13", "00", "14")) + front[4:6]
        if rng.random() < 0.5:
            bad_front = front[:4] + rng.choice(("32", "45", "00"))
        row["rrn"] = f"{bad_front}-{rng.randint(1, 2)}{rng.randint(0, 999999):06d}"
    elif kind == "birth":
        year = rng.randint(1930, 1960)
        row["birth"] = rng.choice(
            (f"{year}-13-02", f"{year}.02.30", f"{year}0231", f"{year}-00-15")
        )
    elif kind == "phone":
        value = str(row.get("phone") or "010-1234-5678")
        i = rng.randrange(len(value))
        row["phone"] = value[:i] + rng.choice("OolIaㅇ") + value[i + 1 :]
    else:
        row["name"] = ""
