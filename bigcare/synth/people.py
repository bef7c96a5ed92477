"""Synthetic households and persons: a welfare population spread over Seoul's dongs."""

import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from bigcare.privacy.rrn import make_rrn
from bigcare.synth import names
from bigcare.synth.dates import add_years, birth_for_age, months_before
from bigcare.synth.places import Address, Dong, make_address

# Household kinds and their shares among households (a welfare caseload, not the census:
# old people living alone dominate).
HOUSEHOLD_KINDS: tuple[tuple[str, float], ...] = (
    ("elder_alone", 30), ("elder_couple", 15), ("adult_alone", 11), ("family", 15),
    ("single_parent", 5), ("three_gen", 5), ("elder_with_child", 9), ("newborn", 4),
    ("grandparent", 2), ("adult_pair", 5), ("foreign_worker", 1.2),
)  # fmt: skip
_LOW_INCOME = {
    "elder_alone": 0.45,
    "single_parent": 0.55,
    "grandparent": 0.7,
    "adult_alone": 0.35,
    "elder_with_child": 0.3,
    "adult_pair": 0.3,
}


@dataclass
class Person:
    """The true person behind the records."""

    pid: str
    surname: str
    given: str
    birth: date
    sex: str
    relation: str
    foreigner: bool = False
    rrn: str = ""
    old_rrn: str = ""
    phone: str = ""
    disabled: bool = False
    twin: bool = False
    newborn: bool = False
    household: "Household" = field(init=False, repr=False)

    @property
    def name(self) -> str:
        return self.given if self.foreigner else self.surname + self.given

    def age(self, today: date) -> int:
        """Full years of age on `today`."""
        return (
            today.year
            - self.birth.year
            - ((today.month, today.day) < (self.birth.month, self.birth.day))
        )


@dataclass
class Household:
    """People sharing one address (and often one landline)."""

    hid: str
    kind: str
    address: Address
    old_address: Address | None = None
    home_phone: str = ""
    low_income: bool = False
    members: list[Person] = field(default_factory=list)

    @property
    def head(self) -> Person:
        return self.members[0]


def person_flags(person: Person) -> list[str]:
    """The truth flags of a person, in a fixed order."""
    hh = person.household
    flags = [
        name
        for name, on in (
            ("twin", person.twin),
            ("foreigner", person.foreigner),
            ("disabled", person.disabled),
            ("low_income", hh.low_income),
            ("lives_alone", len(hh.members) == 1),
            ("newborn", person.newborn),
            ("rrn_changed", bool(person.old_rrn)),
        )
        if on
    ]
    if hh.old_address is not None:
        flags.append(f"moved_from={hh.old_address.dong.code}")
    return flags


class PopulationMaker:
    """Draws households until the requested number of persons is reached."""

    def __init__(
        self,
        rng: random.Random,
        dongs: tuple[Dong, ...],
        today: date,
        *,
        kinds: tuple[tuple[str, float], ...] = HOUSEHOLD_KINDS,
        focus: dict[str, float] | None = None,
    ) -> None:
        self.rng = rng
        self.kinds = [k for k, _ in kinds]
        self.kind_cum = list(accumulate(w for _, w in kinds))
        self.dongs = dongs
        self.today = today
        # `focus` multiplies some dongs' weights: the demo crowds its own dong so the demo
        # accounts, who see one dong, have a caseload.
        focus = focus or {}
        self.dong_cum = list(accumulate(d.weight * focus.get(d.code, 1.0) for d in dongs))
        self.by_gu: dict[str, list[Dong]] = {}
        for dong in dongs:
            self.by_gu.setdefault(dong.gu, []).append(dong)
        self.phones: set[str] = set()
        self.next_person = 1

    # -- people --------------------------------------------------------------------------

    def _age(self, low: int, high: int, mode: float | None = None) -> int:
        return int(self.rng.triangular(low, high + 1, mode if mode is not None else low))

    def _birth(self, age: int) -> date:
        rng = self.rng
        # A steady trickle of people about to turn 65 or 70 (basic pension, outreach rules).
        if 60 <= age <= 75:
            roll = rng.random()
            if roll < 0.03:
                return add_years(self.today + timedelta(days=rng.randint(1, 60)), -65)
            if roll < 0.05:
                return add_years(self.today + timedelta(days=rng.randint(1, 60)), -70)
        return birth_for_age(rng, age, self.today)

    def person(
        self,
        *,
        sex: str,
        birth: date,
        relation: str,
        surname: str | None = None,
        given: str | None = None,
        taken: set[str] | None = None,
        foreigner: bool = False,
    ) -> Person:
        rng = self.rng
        if foreigner:
            surname, given = "", names.foreign_name(rng, sex=sex)
        else:
            surname = surname or names.surname(rng)
            if given is None:
                given = names.sibling_name(
                    rng, sex=sex, birth_year=birth.year, taken=taken or set()
                )
        person = Person(
            pid=f"P{self.next_person:07d}",
            surname=surname,
            given=given,
            birth=birth,
            sex=sex,
            relation=relation,
            foreigner=foreigner,
        )
        self.next_person += 1
        person.rrn = make_rrn(birth, "M" if sex == "M" else "F", rng=rng, foreigner=foreigner)
        if not foreigner and birth.year < 2015 and rng.random() < 0.004:
            # Re-registered (e.g. after identity theft): a new random back half since 2020-10.
            person.old_rrn = person.rrn
            while person.rrn == person.old_rrn:
                back = "".join(str(rng.randrange(10)) for _ in range(6))
                person.rrn = f"{person.old_rrn[:8]}{back}"
        age = person.age(self.today)
        mobile = (
            0.0 if age < 8 else 0.5 if age < 14 else 0.96 if age < 65
            else 0.8 if age < 75 else 0.55 if age < 85 else 0.3
        )  # fmt: skip
        if rng.random() < mobile:
            person.phone = self._phone("010")
        disabled = 0.03 if age < 20 else 0.06 if age < 65 else 0.12
        person.disabled = rng.random() < disabled
        return person

    def _phone(self, prefix: str) -> str:
        rng = self.rng
        while True:
            if prefix == "02":
                middle = str(
                    rng.randint(200, 999) if rng.random() < 0.3 else rng.randint(2000, 9999)
                )
            else:
                middle = str(rng.randint(2000, 9999))
            number = f"{prefix}-{middle}-{rng.randint(0, 9999):04d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def _couple(self, low: int, high: int, mode: float | None = None) -> list[Person]:
        rng = self.rng
        age = self._age(low, high, mode)
        husband = self.person(sex="M", birth=self._birth(age), relation="본인")
        wife_age = max(low - 3, min(high + 3, age - rng.randint(-2, 5)))
        foreign_wife = low < 50 and rng.random() < 0.05
        wife = self.person(
            sex="F", birth=self._birth(wife_age), relation="배우자", foreigner=foreign_wife
        )
        return [husband, wife]

    def _children(
        self, surname: str, *, count: int, low: int, high: int, relation: str = "자녀"
    ) -> list[Person]:
        rng = self.rng
        kids: list[Person] = []
        taken: set[str] = set()
        while len(kids) < count:
            birth = birth_for_age(rng, self._age(low, high, (low + high) / 2), self.today)
            twins = rng.random() < 0.025 and count - len(kids) >= 1
            for k in range(2 if twins else 1):
                sex = rng.choice("MF")
                if k == 1:
                    first = kids[-1]
                    given = names.twin_name(rng, twin=first.given, sex=sex, birth_year=birth.year)
                    kid = self.person(
                        sex=sex, birth=birth, relation=relation, surname=surname, given=given
                    )
                    kid.twin = first.twin = True
                else:
                    kid = self.person(
                        sex=sex, birth=birth, relation=relation, surname=surname, taken=taken
                    )
                taken.add(kid.given)
                kids.append(kid)
        return kids

    def _newborn(self, surname: str) -> Person:
        rng = self.rng
        if rng.random() < 0.75:
            birth = self.today - timedelta(days=rng.randint(0, 88))
        else:
            birth = self.today - timedelta(days=rng.randint(95, 700))
        baby = self.person(sex=rng.choice("MF"), birth=birth, relation="자녀", surname=surname)
        baby.newborn = birth > months_before(self.today, 3)
        return baby

    def _members(self, kind: str) -> list[Person]:
        rng = self.rng
        elder = self._age
        if kind == "elder_alone":
            sex = "F" if rng.random() < 0.7 else "M"
            return [self.person(sex=sex, birth=self._birth(elder(65, 97, 71)), relation="본인")]
        if kind == "elder_couple":
            return self._couple(65, 92, 69)
        if kind in ("adult_alone", "foreign_worker"):
            foreign = kind == "foreign_worker"
            age = elder(22, 45, 30) if foreign else elder(25, 64, 58)
            sex = "M" if rng.random() < 0.6 else "F"
            return [
                self.person(sex=sex, birth=self._birth(age), relation="본인", foreigner=foreign)
            ]
        if kind == "family":
            parents = self._couple(30, 55, 42)
            kids = self._children(
                parents[0].surname, count=rng.choice((1, 2, 2, 3)), low=0, high=24
            )
            return parents + kids
        if kind == "newborn":
            parents = self._couple(26, 40, 33)
            kids = [self._newborn(parents[0].surname)]
            if rng.random() < 0.4:
                kids += self._children(parents[0].surname, count=1, low=2, high=8)
            return parents + kids
        if kind == "single_parent":
            sex = "F" if rng.random() < 0.8 else "M"
            parent = self.person(sex=sex, birth=self._birth(elder(28, 52, 40)), relation="본인")
            count = rng.choice((1, 1, 2))
            return [parent, *self._children(parent.surname, count=count, low=0, high=18)]
        if kind == "three_gen":
            parents = self._couple(35, 52, 42)
            old = [self.person(sex="F", birth=self._birth(elder(66, 92, 76)), relation="모")]
            if rng.random() < 0.4:
                grandpa = self.person(
                    sex="M",
                    birth=self._birth(elder(68, 94, 78)),
                    relation="부",
                    surname=parents[0].surname,
                )
                old.insert(0, grandpa)
            kids = self._children(parents[0].surname, count=rng.choice((1, 2)), low=0, high=17)
            return parents + old + kids
        if kind == "elder_with_child":
            old = (
                self._couple(70, 95, 80)
                if rng.random() < 0.35
                else [self.person(sex="F", birth=self._birth(elder(72, 97, 82)), relation="본인")]
            )
            surname = old[0].surname if old[0].sex == "M" else names.surname(rng)
            children = self._children(surname, count=1, low=38, high=66)
            if rng.random() < 0.3:
                children[0].disabled = True
            return old + children
        if kind == "grandparent":
            sex = "F" if rng.random() < 0.7 else "M"
            head = self.person(sex=sex, birth=self._birth(elder(62, 85, 70)), relation="본인")
            surname = head.surname if sex == "M" else names.surname(rng)
            kids = self._children(
                surname, count=rng.choice((1, 2)), low=5, high=17, relation="손자녀"
            )
            return [head, *kids]
        # adult_pair: siblings (sometimes adult twins) or a middle-aged couple without children
        if rng.random() < 0.5:
            return self._couple(45, 64, 55)
        first = self.person(
            sex=rng.choice("MF"), birth=self._birth(elder(35, 70, 55)), relation="본인"
        )
        if rng.random() < 0.15:
            sex = rng.choice("MF")
            given = names.twin_name(rng, twin=first.given, sex=sex, birth_year=first.birth.year)
            second = self.person(
                sex=sex, birth=first.birth, relation="형제자매", surname=first.surname, given=given
            )
            first.twin = second.twin = True
        else:
            birth = self._birth(max(20, first.age(self.today) + rng.randint(-10, 10)))
            second = self.person(
                sex=rng.choice("MF"), birth=birth, relation="형제자매", surname=first.surname
            )
        second.disabled = second.disabled or rng.random() < 0.3
        return [first, second]

    # -- households ----------------------------------------------------------------------

    def pick_dong(self) -> Dong:
        return self.dongs[bisect(self.dong_cum, self.rng.random() * self.dong_cum[-1])]

    def household(self, number: int) -> Household:
        rng = self.rng
        kind = self.kinds[bisect(self.kind_cum, rng.random() * self.kind_cum[-1])]
        members = self._members(kind)
        poor = rng.random() < _LOW_INCOME.get(kind, 0.15)
        dong = self.pick_dong()
        hh = Household(
            hid=f"H{number:07d}",
            kind=kind,
            address=make_address(rng, dong, poor=poor),
            low_income=poor,
            members=members,
        )
        if rng.random() < 0.08:
            same_gu = rng.random() < 0.6
            old_dong = rng.choice(self.by_gu[dong.gu]) if same_gu else self.pick_dong()
            hh.old_address = make_address(rng, old_dong, poor=poor)
        elderly = any(p.age(self.today) >= 65 for p in members)
        unreachable = any(not p.phone and p.age(self.today) >= 65 for p in members)
        landline = 0.85 if unreachable else 0.55 if elderly else 0.2
        if rng.random() < landline:
            hh.home_phone = self._phone("02")
        for person in members:
            person.household = hh
        return hh


def make_population(
    rng: random.Random,
    dongs: tuple[Dong, ...],
    *,
    persons: int,
    today: date,
    focus: dict[str, float] | None = None,
) -> list[Household]:
    """Households holding exactly `persons` persons (the last household may be cut short)."""
    maker = PopulationMaker(rng, dongs, today, focus=focus)
    households: list[Household] = []
    total = 0
    while total < persons:
        hh = maker.household(len(households) + 1)
        keep = persons - total
        if len(hh.members) > keep:
            del hh.members[keep:]
            for person in hh.members:  # a twin whose sibling was cut off is no twin here
                person.twin = person.twin and any(
                    p is not person and p.birth == person.birth for p in hh.members
                )
        households.append(hh)
        total += len(hh.members)
    return households
