"""Column layouts of facility exports: which fields each facility type keeps, under which header."""

import random
from dataclasses import dataclass

# Every header variant the importer's mapping suggestion recognises, per field.
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("성명", "이름", "수급자명", "대상자명", "이용자명"),
    "rrn": ("주민등록번호", "주민번호"),
    "birth": ("생년월일",),
    "sex": ("성별",),
    "phone": ("연락처", "휴대폰", "전화번호", "핸드폰"),
    "home_phone": ("집전화", "자택전화"),
    "address": ("주소", "도로명주소", "지번주소"),
    "unit": ("상세주소",),
    "dong": ("행정동", "관할동"),
    "relation": ("가구원 관계", "관계"),
    "household": ("가구번호",),
    "client_id": ("관리번호", "이용자번호", "회원번호"),
    "service": ("서비스명", "제공서비스"),
    "service_date": ("제공일", "서비스일자", "이용일"),
}

# Facility-specific extra columns (kept as-is by the importer) and the values they take.
EXTRAS: dict[str, tuple[str, ...]] = {
    "비고": ("", "", "", "", "독거", "보호자 연락 요망", "거동 불편", "청각 약함", "재등록",
             "후원 연계", "방문 시 사전 연락"),
    "담당자": ("김민정", "이수진", "박지훈", "최은영", "정다은", "강현우", "조성민", "윤혜진"),
    "독거여부": ("Y", "N"),
    "장기요양등급": ("1등급", "2등급", "3등급", "4등급", "5등급", "인지지원등급"),
    "본인부담률": ("15%", "9%", "6%", "0%"),
    "장애유형": ("지체", "뇌병변", "시각", "청각", "지적", "자폐성", "정신", "신장", "언어"),
    "등급": ("심한 장애", "심하지 않은 장애"),
    "수급구분": ("기초생활수급자", "차상위계층", "긴급지원대상", "한부모가족", "일반"),
    "가구원수": ("1", "2", "3", "4", "5"),
    "만성질환": ("고혈압", "당뇨", "고혈압·당뇨", "관절염", "없음"),
    "건강위험군": ("집중관리군", "정기관리군", "자기역량지원군"),
    "수급자격": ("생계급여", "의료급여", "주거급여", "차상위", "일반"),
    "사례관리 단계": ("초기상담", "사정", "개입", "종결"),
}  # fmt: skip

SERVICES: dict[str, tuple[str, ...]] = {
    "SENIOR_WELFARE": ("경로식당 무료급식", "건강체조", "한글교실", "스마트폰교실",
                       "노인맞춤돌봄서비스", "독거노인 안부확인", "밑반찬 배달",
                       "우울증 예방 상담"),
    "HOME_CARE": ("방문요양", "방문목욕", "방문간호", "주야간보호", "단기보호"),
    "DISABLED_WELFARE": ("주간보호", "직업재활", "활동지원", "재활치료", "평생교육", "이동지원"),
    "COMMUNITY_WELFARE": ("사례관리", "밑반찬 지원", "후원물품 지원", "방과후 공부방",
                          "정서지원 상담", "긴급지원 연계", "주거환경 개선"),
    "FOOD_BANK": ("식품 지원", "생필품 지원", "푸드마켓 이용", "긴급 식품 지원"),
    "HEALTH_CENTER": ("방문건강관리", "만성질환 관리", "치매 조기검진", "금연클리닉", "재활 방문"),
    "DONG_CENTER": ("기초생활보장 상담", "긴급복지지원", "찾아가는 방문상담", "복지사각지대 발굴",
                    "에너지바우처"),
}  # fmt: skip


@dataclass(frozen=True)
class TypeSpec:
    """How one facility type keeps its client list.

    `rrn_modes` weights: "full" (주민등록번호), "masked" (masked number plus 생년월일), "birth"
    (생년월일 + 성별 only). `optional` gives each optional field's inclusion probability.
    """

    name_headers: tuple[str, ...]
    rrn_modes: tuple[tuple[str, float], ...]
    id_headers: tuple[str, ...]
    phone_headers: tuple[str, ...]
    address_headers: tuple[str, ...]
    service_headers: tuple[str, ...]
    date_headers: tuple[str, ...]
    optional: tuple[tuple[str, float], ...]
    extras: tuple[str, ...]
    xlsx_share: float
    id_share: float = 1.0


TYPE_SPECS: dict[str, TypeSpec] = {
    "SENIOR_WELFARE": TypeSpec(
        ("성명", "이름", "이용자명"),
        (("birth", 0.6), ("masked", 0.4)),
        ("회원번호", "이용자번호"),
        ("연락처", "휴대폰", "핸드폰"),
        ("주소", "도로명주소"),
        ("서비스명", "제공서비스"),
        ("이용일", "제공일"),
        (("home_phone", 0.6), ("unit", 0.5), ("dong", 0.6)),
        ("비고", "담당자", "독거여부"),
        0.4,
    ),
    "HOME_CARE": TypeSpec(
        ("수급자명", "대상자명"),
        (("full", 0.7), ("masked", 0.3)),
        ("관리번호",),
        ("연락처", "전화번호"),
        ("주소", "도로명주소", "지번주소"),
        ("제공서비스", "서비스명"),
        ("서비스일자", "제공일"),
        (("home_phone", 0.5), ("unit", 0.6), ("sex", 0.5), ("dong", 0.5)),
        ("장기요양등급", "담당자", "본인부담률"),
        0.5,
        0.7,
    ),
    "DISABLED_WELFARE": TypeSpec(
        ("이용자명", "성명", "이름"),
        (("masked", 0.5), ("birth", 0.3), ("full", 0.2)),
        ("이용자번호", "회원번호"),
        ("연락처", "휴대폰"),
        ("주소", "도로명주소"),
        ("서비스명", "제공서비스"),
        ("이용일", "제공일"),
        (("home_phone", 0.3), ("unit", 0.4), ("dong", 0.6)),
        ("장애유형", "등급", "비고"),
        0.4,
    ),
    "COMMUNITY_WELFARE": TypeSpec(
        ("대상자명", "성명"),
        (("full", 0.6), ("masked", 0.4)),
        ("관리번호",),
        ("연락처", "휴대폰", "전화번호"),
        ("주소", "지번주소", "도로명주소"),
        ("서비스명", "제공서비스"),
        ("제공일", "서비스일자"),
        (("household", 0.8), ("home_phone", 0.6), ("dong", 0.8), ("unit", 0.4), ("sex", 0.3)),
        ("비고", "담당자", "사례관리 단계"),
        0.3,
    ),
    "FOOD_BANK": TypeSpec(
        ("이름", "성명", "이용자명"),
        (("birth", 0.6), ("masked", 0.4)),
        ("회원번호",),
        ("핸드폰", "연락처"),
        ("주소",),
        ("제공서비스", "서비스명"),
        ("이용일",),
        (("unit", 0.3), ("dong", 0.5)),
        ("수급구분", "가구원수", "비고"),
        0.3,
    ),
    "HEALTH_CENTER": TypeSpec(
        ("대상자명", "성명"),
        (("full", 0.8), ("masked", 0.2)),
        ("관리번호",),
        ("전화번호", "연락처"),
        ("주소", "도로명주소"),
        ("서비스명",),
        ("서비스일자", "제공일"),
        (("home_phone", 0.7), ("unit", 0.5), ("dong", 0.7), ("sex", 0.6)),
        ("만성질환", "담당자", "건강위험군"),
        0.3,
        0.5,
    ),
    "DONG_CENTER": TypeSpec(
        ("성명", "대상자명", "수급자명"),
        (("full", 1.0),),
        ("관리번호",),
        ("연락처", "전화번호"),
        ("주소", "도로명주소", "지번주소"),
        ("서비스명",),
        ("제공일",),
        (("household", 0.9), ("home_phone", 0.6), ("unit", 0.6), ("dong", 1.0)),
        ("담당자", "수급자격", "비고"),
        0.3,
        0.3,
    ),
}


@dataclass(frozen=True)
class Layout:
    """One facility's columns in order: (field, header); `rrn_mode` as in TypeSpec."""

    columns: tuple[tuple[str, str], ...]
    rrn_mode: str

    @property
    def fields(self) -> set[str]:
        return {name for name, _ in self.columns}


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    total = sum(w for _, w in options)
    roll = rng.random() * total
    for value, weight in options:
        roll -= weight
        if roll < 0:
            return value
    return options[-1][0]


def choose_layout(rng: random.Random, type_code: str) -> Layout:
    """A facility's own column choice within its type's habits."""
    spec = TYPE_SPECS[type_code]
    mode = _weighted(rng, spec.rrn_modes)
    optional = {name for name, p in spec.optional if rng.random() < p}
    cols: list[tuple[str, str]] = []
    if rng.random() < spec.id_share:
        cols.append(("client_id", rng.choice(spec.id_headers)))
    if "household" in optional:
        cols.append(("household", "가구번호"))
    cols.append(("name", rng.choice(spec.name_headers)))
    if "household" in optional:
        cols.append(("relation", rng.choice(HEADERS["relation"])))
    if mode in ("full", "masked"):
        cols.append(("rrn", rng.choice(HEADERS["rrn"])))
    if mode in ("masked", "birth"):
        cols.append(("birth", "생년월일"))
    if mode == "birth" or "sex" in optional:
        cols.append(("sex", "성별"))
    cols.append(("phone", rng.choice(spec.phone_headers)))
    if "home_phone" in optional:
        cols.append(("home_phone", rng.choice(HEADERS["home_phone"])))
    cols.append(("address", rng.choice(spec.address_headers)))
    if "unit" in optional:
        cols.append(("unit", "상세주소"))
    if "dong" in optional:
        cols.append(("dong", rng.choice(HEADERS["dong"])))
    cols.append(("service", rng.choice(spec.service_headers)))
    cols.append(("service_date", rng.choice(spec.date_headers)))
    extras = rng.sample(spec.extras, rng.randint(1, min(3, len(spec.extras))))
    cols += [(f"extra:{name}", name) for name in extras]
    return Layout(columns=tuple(cols), rrn_mode=mode)


# The crisis agencies' fixed layouts.
UTILITY_COLUMNS = (
    ("name", "성명"),
    ("rrn", "주민번호"),
    ("address", "주소"),
    ("extra:구분", "구분"),
    ("extra:체납개월", "체납개월"),
    ("extra:체납액", "체납액"),
    ("extra:공급중단일", "공급중단일"),
)
INSURANCE_COLUMNS = (
    ("name", "성명"),
    ("birth", "생년월일"),
    ("address", "주소"),
    ("extra:체납개월", "체납개월"),
    ("extra:체납보험료", "체납보험료"),
)
