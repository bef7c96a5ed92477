"""Crisis lists from the utility and health-insurance agencies (단전·단수·단가스, 보험료 체납)."""

import random
from datetime import date, timedelta

from bigcare.synth import noise
from bigcare.synth.facilities import Facility
from bigcare.synth.people import Household, Person

Row = dict[str, object]


def _weight(hh: Household, today: date) -> float:
    """Arrears cluster in poor, single and elderly households."""
    head = hh.head
    return 1.0 + 4.0 * hh.low_income + 2.0 * (len(hh.members) == 1) + 1.5 * (head.age(today) >= 65)


def _pick(
    rng: random.Random, households: list[Household], share: float, persons: int, today: date
) -> list[Household]:
    """About share × persons households, drawn by weight without replacement (A-ES keys)."""
    wanted = max(1, round(share * persons))
    keyed = sorted(
        households,
        key=lambda hh: rng.random() ** (1.0 / _weight(hh, today)),
        reverse=True,
    )
    return keyed[:wanted]


def _payer(rng: random.Random, hh: Household, today: date) -> Person:
    adults = [p for p in hh.members if p.age(today) >= 19] or hh.members
    return hh.head if rng.random() < 0.85 else rng.choice(adults)


def _address(rng: random.Random, hh: Household) -> str:
    addr = hh.address
    if rng.random() < 0.6:
        text = f"서울특별시 {addr.dong.gu} {addr.road} {addr.number}"
        if addr.unit:
            text += f", {addr.unit}"
        if rng.random() < 0.5:
            text += f" ({addr.dong.legal})"
        return text
    text = f"서울특별시 {addr.dong.gu} {addr.dong.legal} {addr.lot}"
    return f"{text} {addr.unit}".rstrip()


def utility_rows(
    rng: random.Random, agency: Facility, households: list[Household], persons: int, today: date
) -> list[tuple[Row, Person]]:
    """Households whose electricity, water or gas is (about to be) cut off."""
    out: list[tuple[Row, Person]] = []
    nz = agency.noise
    for hh in _pick(rng, households, 0.02, persons, today):
        payer = _payer(rng, hh, today)
        kinds = ["단전"] if rng.random() < 0.6 else [rng.choice(("단수", "단가스"))]
        if rng.random() < 0.1:
            kinds.append("단가스" if kinds[0] != "단가스" else "단수")
        for kind in kinds:
            months = rng.randint(3, 18)
            cut = today - timedelta(days=rng.randint(0, 60))
            row: Row = {
                "name": noise.write_name(
                    rng,
                    payer.surname,
                    payer.given,
                    typo=nz.name_typo,
                    space=nz.name_space,
                    foreigner=payer.foreigner,
                ),
                "rrn": noise.format_rrn(payer.rrn, masked=True),
                "address": _address(rng, hh),
                "extra:구분": kind,
                "extra:체납개월": str(months),
                "extra:체납액": str(months * rng.randint(2_000, 9_000) * 10),
                "extra:공급중단일": noise.format_date(cut, agency.date_style)
                if rng.random() < 0.4
                else "",
            }
            out.append((row, payer))
    return out


def insurance_rows(
    rng: random.Random, agency: Facility, households: list[Household], persons: int, today: date
) -> list[tuple[Row, Person]]:
    """Households with long health-insurance arrears (지역가입자 세대주)."""
    out: list[tuple[Row, Person]] = []
    nz = agency.noise
    for hh in _pick(rng, households, 0.025, persons, today):
        payer = _payer(rng, hh, today)
        months = rng.randint(6, 36)
        birth = payer.birth
        if rng.random() < nz.birth_typo:
            birth = noise.date_typo(rng, birth)
        row: Row = {
            "name": noise.write_name(
                rng,
                payer.surname,
                payer.given,
                typo=nz.name_typo,
                space=nz.name_space,
                foreigner=payer.foreigner,
            ),
            "birth": noise.format_date(birth, agency.birth_style),
            "address": _address(rng, hh),
            "extra:체납개월": str(months),
            "extra:체납보험료": str(months * rng.randint(1_500, 12_000) * 10),
        }
        out.append((row, payer))
    return out
