"""Turn a true person into the rows one facility's export holds for them, with its noise."""

import random
from datetime import date, timedelta

from bigcare.synth import noise
from bigcare.synth.dates import add_years
from bigcare.synth.facilities import Facility
from bigcare.synth.layouts import EXTRAS, SERVICES
from bigcare.synth.people import Person
from bigcare.synth.places import Address

Row = dict[str, object]

_RELATION_VARIANTS = {
    "본인": ("본인", "본인", "세대주"),
    "자녀": ("자녀", "자녀", "{child}"),
    "부": ("부", "부친"),
    "모": ("모", "모친"),
    "형제자매": ("형제자매", "{sibling}"),
}


def pick_service(rng: random.Random, type_code: str, person: Person, today: date) -> str:
    """The service a person plausibly got from a facility of this type."""
    age = person.age(today)
    hh = person.household
    if type_code == "HEALTH_CENTER":
        if person.newborn or (person.sex == "F" and any(p.newborn for p in hh.members)):
            return "출산가정 방문"
        if age < 6:
            return "영유아 건강검진"
    elif type_code == "DONG_CENTER":
        if 64 <= age <= 65 and add_years(person.birth, 65) > today - timedelta(days=30):
            return "기초연금 신청 안내"
        if any(p.newborn for p in hh.members):
            return "출산지원금 신청"
    elif type_code == "COMMUNITY_WELFARE" and age < 18:
        return "방과후 공부방"
    options = SERVICES[type_code]
    if type_code == "COMMUNITY_WELFARE":
        options = options[:5] + options[6:]
    return rng.choice(options)


def _service_dates(rng: random.Random, person: Person, today: date, count: int) -> list[date]:
    earliest = max(person.birth, today - timedelta(days=364)).toordinal()
    if person.newborn:
        earliest = min(today.toordinal(), person.birth.toordinal() + 7)
    days = sorted(rng.randint(earliest, today.toordinal()) for _ in range(count))
    return [date.fromordinal(d) for d in days]


class Renderer:
    """One facility's view of its clients: a client record each, one row per service episode."""

    def __init__(self, rng: random.Random, facility: Facility, today: date) -> None:
        if facility.layout is None:
            raise ValueError("crisis agencies have no client layout")
        self.rng = rng
        self.fac = facility
        self.today = today
        self.layout = facility.layout
        self.fields = facility.layout.fields
        # Column order, not set order: rng draws must not depend on string hashing.
        self.headers = dict(facility.layout.columns)
        self.xlsx = facility.export_format == "xlsx"
        self.next_client = 1
        self.households: dict[str, int] = {}
        self.id_prefix = rng.choice(("", "", f"{today.year - rng.randint(0, 3)}-", "S", "C"))

    # -- field formats -------------------------------------------------------------------

    def date_value(self, day: date, style: str) -> object:
        if self.fac.xlsx_dates:
            return day
        if self.rng.random() < self.fac.noise.date_restyle:
            style = self.rng.choice(noise.DATE_STYLES)
        return noise.format_date(day, style)

    def phone_value(self, number: str) -> str:
        if not number or self.rng.random() < self.fac.noise.phone_missing:
            return ""
        style = self.fac.phone_style
        if self.rng.random() < self.fac.noise.phone_restyle:
            style = self.rng.choice(noise.PHONE_STYLES)
        return noise.format_phone(number, style)

    def address_value(self, addr: Address, header: str) -> str:
        rng, fac = self.rng, self.fac
        if header == "도로명주소":
            road = True
        elif header == "지번주소":
            road = False
        else:
            road = fac.road_form != (rng.random() < fac.noise.other_address_form)
        if road:
            text = f"{addr.dong.gu} {addr.road} {addr.number}"
        else:
            text = f"{addr.dong.gu} {addr.dong.legal} {addr.lot}"
            if addr.building and rng.random() < 0.5:
                text += f" {addr.building}"
        if fac.city_prefix:
            text = f"{fac.city_prefix} {text}"
        if addr.unit and "unit" not in self.fields:
            text += f", {addr.unit}" if road else f" {addr.unit}"
        if road and rng.random() < fac.paren_dong and rng.random() >= fac.noise.dong_missing:
            if addr.building and rng.random() < 0.6:
                text += f" ({addr.dong.legal}, {addr.building})"
            else:
                text += f" ({addr.dong.legal})"
        return text

    def _relation(self, person: Person) -> str:
        rel = person.relation
        if rel == "배우자":
            options: tuple[str, ...] = ("배우자", "배우자", "처" if person.sex == "F" else "남편")
        elif rel == "손자녀":
            options = ("손자녀", "손자" if person.sex == "M" else "손녀")
        else:
            options = _RELATION_VARIANTS.get(rel, (rel,))
        return self.rng.choice(options).format(
            child="아들" if person.sex == "M" else "딸",
            sibling="형제" if person.sex == "M" else "자매",
        )

    def _extras(self, person: Person) -> Row:
        rng, hh = self.rng, person.household
        out: Row = {}
        for key in self.headers:
            if not key.startswith("extra:"):
                continue
            name = key[6:]
            if name == "독거여부":
                value = "Y" if len(hh.members) == 1 else "N"
            elif name == "가구원수":
                value = str(len(hh.members))
            elif name == "수급구분":
                value = (
                    rng.choice(EXTRAS[name][:2]) if hh.low_income else rng.choice(EXTRAS[name][2:])
                )
            else:
                value = rng.choice(EXTRAS[name])
            out[key] = value
        return out

    # -- records -------------------------------------------------------------------------

    def client(self, person: Person) -> Row:
        """The facility's record of a person: identity fields with this facility's noise."""
        rng, fac, nz = self.rng, self.fac, self.fac.noise
        hh = person.household
        stale = rng.random() < nz.stale
        addr = hh.old_address if hh.old_address is not None and stale else hh.address
        rrn = person.old_rrn if person.old_rrn and stale else person.rrn
        row: Row = {
            "name": noise.write_name(
                rng,
                person.surname,
                person.given,
                typo=nz.name_typo,
                space=nz.name_space,
                foreigner=person.foreigner,
            ),
        }
        number = self.next_client
        self.next_client += 1
        if fac.numeric_ids:
            client_id: object = 10_000 + number
            row["client_id"] = client_id if self.xlsx else str(client_id)
        else:
            row["client_id"] = f"{self.id_prefix}{number:05d}"
        if "rrn" in self.fields:
            masked = self.layout.rrn_mode == "masked"
            if rng.random() < nz.rrn_missing:
                row["rrn"] = ""
            else:
                if not masked and rng.random() < nz.rrn_typo:
                    rrn = noise.rrn_typo(rng, rrn)
                row["rrn"] = noise.format_rrn(rrn, masked=masked, hyphen=fac.rrn_hyphen)
        if "birth" in self.fields:
            birth = person.birth
            if rng.random() < nz.birth_typo:
                birth = noise.date_typo(rng, birth)
            row["birth"] = self.date_value(birth, fac.birth_style)
        row["sex"] = noise.format_sex(person.sex, fac.sex_style)
        has_home_column = "home_phone" in self.fields
        mobile = person.phone or ("" if has_home_column else hh.home_phone)
        row["phone"] = self.phone_value(mobile)
        if has_home_column:
            row["home_phone"] = self.phone_value(hh.home_phone)
        if "address" in self.headers:
            row["address"] = self.address_value(addr, self.headers["address"])
        row["unit"] = addr.unit
        if rng.random() < nz.dong_missing:
            row["dong"] = ""
        else:
            row["dong"] = (
                addr.dong.name if rng.random() < 0.85 else f"{addr.dong.gu} {addr.dong.name}"
            )
        if "household" in self.fields:
            local = self.households.setdefault(hh.hid, len(self.households) + 1)
            row["household"] = local if self.xlsx and fac.numeric_ids else f"{local:05d}"
            row["relation"] = self._relation(person)
        row.update(self._extras(person))
        return row

    def rows(self, person: Person, episodes: int) -> list[tuple[date, Row]]:
        """(service day, row) per service episode, sharing the client record (a few broken)."""
        client = self.client(person)
        out: list[tuple[date, Row]] = []
        service = pick_service(self.rng, self.fac.type_code, person, self.today)
        for day in _service_dates(self.rng, person, self.today, episodes):
            row = dict(client)
            if self.rng.random() < 0.3:
                service = pick_service(self.rng, self.fac.type_code, person, self.today)
            row["service"] = service
            row["service_date"] = self.date_value(day, self.fac.date_style)
            if self.rng.random() < self.fac.noise.bad_row:
                noise.break_row(self.rng, row, available=self.fields)
            out.append((day, row))
        return out
