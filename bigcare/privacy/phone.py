"""Korean phone numbers: normalise to the hyphenated canonical form, mask, classify."""

import re
import unicodedata

# Seoul has the only 2-digit area code; the other regions use these 3-digit ones.
_AREA_CODES = frozenset(
    {"031", "032", "033", "041", "042", "043", "044", "051", "052", "053", "054", "055"}
    | {"061", "062", "063", "064"}
)
_MOBILE_PREFIXES = frozenset({"010", "011", "016", "017", "018", "019"})
# 010 has had 8-digit subscriber numbers since its 2004 consolidation; the legacy 01X prefixes
# still carry some 7-digit ones.
_LEGACY_MOBILE_PREFIXES = _MOBILE_PREFIXES - {"010"}
_PERSONAL_PREFIXES = frozenset({"0502", "0503", "0504", "0505", "0506", "0507", "0508"})
# 15xx/16xx/18xx representative numbers (대표번호) are 8 digits with no area code.
_REPRESENTATIVE_STARTS = ("15", "16", "18")

# Only digits, an optional leading "+" and the separators people actually type; anything else
# (letters, "내선 12") means this is not a bare phone number.
_ALLOWED_RE = re.compile(r"\+?[0-9 ()./\-\u2010-\u2015\u2212]+")
_NON_DIGIT_RE = re.compile(r"[^0-9]")

MASKED_UNKNOWN = "***-****-****"


def _split(digits: str) -> tuple[str, ...] | None:
    """Split national-format digits into their groups, or None if no known plan fits."""
    n = len(digits)
    if n == 8 and digits.startswith(_REPRESENTATIVE_STARTS):
        return digits[:4], digits[4:]
    if digits.startswith("02") and n in (9, 10):
        prefix_len = 2
    elif digits[:4] in _PERSONAL_PREFIXES and n in (11, 12):
        prefix_len = 4
    elif (
        (digits[:3] == "010" and n == 11)
        or (digits[:3] in _LEGACY_MOBILE_PREFIXES and n in (10, 11))
        or (digits[:3] == "070" and n == 11)
        or (digits[:3] in _AREA_CODES | {"080"} and n in (10, 11))
    ):
        prefix_len = 3
    else:
        return None
    middle = digits[prefix_len : n - 4]
    # Subscriber numbers never start with 0; a leading 0 here means a mistyped prefix.
    if middle.startswith("0"):
        return None
    return digits[:prefix_len], middle, digits[n - 4 :]


def _national_digits(text: str) -> str:
    """Digits in national format, turning a "+82" international prefix into the trunk 0."""
    if not text.startswith("+"):
        return _NON_DIGIT_RE.sub("", text)
    rest = text[1:].lstrip()
    if not rest.startswith("82"):
        return ""  # a foreign number: not ours to normalise
    # "+82 (0)10 …" and "+82 010 …" are common misspellings of "+82 10 …".
    digits = _NON_DIGIT_RE.sub("", rest[2:])
    if len(digits) == 8 and digits.startswith(_REPRESENTATIVE_STARTS):
        return digits
    return digits if digits.startswith("0") else "0" + digits


def normalize_phone(value: str) -> str | None:
    """Canonical hyphenated form ("010-1234-5678", "02-123-4567"), or None if not a phone."""
    # NFKC folds full-width digits, hyphens and parentheses.
    text = unicodedata.normalize("NFKC", value).strip()
    if not _ALLOWED_RE.fullmatch(text):
        return None
    groups = _split(_national_digits(text))
    return "-".join(groups) if groups else None


def mask_phone(value: str) -> str:
    """Masked display form ("010-****-5678"); "***-****-****" when not a phone number."""
    canonical = normalize_phone(value)
    if canonical is None:
        return MASKED_UNKNOWN
    groups = canonical.split("-")
    # Mask the subscriber's exchange (middle) group; a 2-group number has only the last one.
    hide = 1 if len(groups) == 3 else len(groups) - 1
    groups[hide] = "*" * len(groups[hide])
    return "-".join(groups)


def is_mobile(value: str) -> bool:
    """Whether the value is a mobile number (010, 011, 016-019)."""
    canonical = normalize_phone(value)
    return canonical is not None and canonical[:3] in _MOBILE_PREFIXES
