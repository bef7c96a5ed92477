"""Synthetic Korean (and a few foreign) names: real surname shares, given names by birth cohort."""

import random
from bisect import bisect
from itertools import accumulate

# Surname shares in per cent (2015 census, rounded; 류 and 유 counted apart), then a tail of
# rare ones including two-syllable surnames.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("김", 21.5), ("이", 14.7), ("박", 8.4), ("최", 4.7), ("정", 4.3), ("강", 2.4),
    ("조", 2.1), ("윤", 2.1), ("장", 2.0), ("임", 1.7), ("한", 1.5), ("오", 1.5),
    ("서", 1.5), ("신", 1.5), ("권", 1.4), ("황", 1.4), ("안", 1.4), ("송", 1.3),
    ("류", 0.8), ("전", 1.1), ("홍", 1.1), ("고", 0.9), ("문", 0.9), ("양", 0.9),
    ("손", 0.9), ("배", 0.8), ("백", 0.8), ("허", 0.7), ("유", 1.0), ("남", 0.6),
    ("심", 0.5), ("노", 0.4), ("하", 0.5), ("곽", 0.4), ("성", 0.4), ("차", 0.4),
    ("주", 0.4), ("우", 0.4), ("구", 0.4), ("민", 0.3), ("진", 0.3), ("나", 0.3),
    ("지", 0.3), ("엄", 0.3), ("채", 0.3), ("원", 0.3), ("천", 0.2), ("방", 0.2),
    ("공", 0.2), ("현", 0.2), ("함", 0.2), ("변", 0.2), ("염", 0.1), ("여", 0.1),
    ("추", 0.1), ("도", 0.1), ("소", 0.1), ("석", 0.1), ("선", 0.1), ("설", 0.1),
    ("마", 0.1), ("길", 0.1), ("연", 0.1), ("위", 0.1), ("표", 0.1), ("명", 0.1),
    ("기", 0.1), ("반", 0.05), ("라", 0.05), ("왕", 0.05), ("금", 0.05), ("옥", 0.05),
    ("육", 0.05), ("인", 0.05), ("맹", 0.05), ("제", 0.04), ("모", 0.04), ("탁", 0.04),
    ("국", 0.03), ("어", 0.03), ("은", 0.03), ("편", 0.03), ("용", 0.03), ("예", 0.02),
    ("경", 0.02), ("봉", 0.02), ("사", 0.02), ("부", 0.02), ("가", 0.02), ("복", 0.02),
    ("태", 0.02), ("목", 0.01), ("형", 0.01), ("피", 0.01), ("두", 0.01), ("감", 0.01),
    ("음", 0.01), ("빈", 0.01), ("동", 0.01), ("온", 0.01), ("호", 0.01), ("범", 0.01),
    ("좌", 0.01), ("팽", 0.01), ("승", 0.01), ("간", 0.01), ("상", 0.01), ("시", 0.01),
    ("남궁", 0.04), ("황보", 0.02), ("제갈", 0.01), ("선우", 0.01), ("독고", 0.005),
    ("사공", 0.01), ("서문", 0.005),
)  # fmt: skip

# Popular given names per birth cohort, most popular first (drawn with Zipf-like weights so
# that 민준, 영수, 순자 … collide often, as they do in real files).
_GIVEN: dict[tuple[int, str], tuple[str, ...]] = {
    (1949, "F"): ("순자", "영자", "정자", "춘자", "옥순", "말순", "순이", "복순", "정순", "옥자",
                  "점순", "순덕", "영순", "금순", "명자", "숙자", "경자", "정희", "순례", "귀순",
                  "봉순", "막례", "분이", "간난"),
    (1949, "M"): ("영수", "영호", "영식", "정수", "상철", "재호", "종수", "병철", "성수", "광수",
                  "만수", "용수", "길수", "복만", "춘식", "기철", "동수", "창수", "봉수", "덕수",
                  "판석", "순철"),
    (1969, "F"): ("영숙", "정숙", "미숙", "영희", "경숙", "순자", "명숙", "숙자", "현숙", "정희",
                  "영미", "미경", "경희", "은숙", "순희", "옥희", "혜숙", "인숙", "영순", "미자",
                  "금숙", "말숙"),
    (1969, "M"): ("영수", "영철", "영호", "정호", "성호", "영식", "상훈", "성수", "철수", "광호",
                  "정남", "용호", "종호", "명수", "재영", "진호", "기영", "상철", "병수", "동훈",
                  "경호", "정식"),
    (1989, "F"): ("미영", "은영", "현정", "지영", "은정", "미정", "수진", "지은", "혜진", "선영",
                  "정은", "은주", "미선", "지현", "현주", "은희", "소영", "유진", "민정", "지혜",
                  "수정", "혜정"),
    (1989, "M"): ("성호", "정훈", "성민", "상현", "지훈", "동현", "성진", "준호", "재훈", "현우",
                  "민수", "영진", "상민", "준영", "진우", "성훈", "정우", "재원", "태훈", "승현",
                  "민호", "동욱"),
    (2004, "F"): ("지은", "수빈", "지현", "유진", "민지", "서영", "예진", "지원", "수연", "혜원",
                  "은비", "다은", "지수", "예은", "소연", "수민", "지민", "유나", "하은", "서현",
                  "채원", "민서"),
    (2004, "M"): ("지훈", "현우", "동현", "민수", "준호", "성민", "승현", "민재", "준영", "도현",
                  "지호", "건우", "현준", "민준", "우진", "승민", "재현", "태현", "진혁", "시우",
                  "성현", "준혁"),
    (9999, "F"): ("서연", "서윤", "지우", "하은", "하윤", "민서", "지유", "윤서", "채원", "수아",
                  "지아", "지민", "서현", "예은", "다은", "소율", "하린", "이서", "아린", "시아",
                  "유나", "서아"),
    (9999, "M"): ("민준", "서준", "도윤", "예준", "시우", "하준", "주원", "지호", "지후", "준우",
                  "준서", "도현", "건우", "현우", "우진", "선우", "서진", "연우", "유준", "이안",
                  "은우", "시윤"),
}  # fmt: skip

# Syllable pools for the long tail (first syllable, second syllable) per cohort and sex.
_SYLLABLES: dict[tuple[int, str], tuple[str, str]] = {
    (1949, "F"): ("순옥정영복말금점귀분춘명", "자순이덕례녀희님단임심분"),
    (1949, "M"): ("영정상종병광만용길기동창봉덕", "수호식철석만남배국근복춘"),
    (1969, "F"): ("영정미경명현은혜인옥금순숙", "숙희자경미순옥애란화선"),
    (1969, "M"): ("영정성상광용종명재진기병동경", "수철호식훈남석규환구준"),
    (1989, "F"): ("미은현지수혜선정소유민보희", "영정진은현주희선아경연"),
    (1989, "M"): ("성정상지동준재현민영진태승", "호훈민현진우원욱철수석"),
    (2004, "F"): ("지수민서예혜은다유하채소가", "은빈현진원연영비민나희"),
    (2004, "M"): ("지현동민준성승도건우태진재", "훈우현수호민재혁준영빈"),
    (9999, "F"): ("서지하민윤수채소이아시예다", "연윤우은유서원아율린현"),
    (9999, "M"): ("민서도예시하주지준건현우선", "준윤우원호후서현진빈율"),
}

# Foreign residents written in Hangul transliteration (결혼이민자, workers) or in Latin letters.
_FOREIGN: dict[str, tuple[str, ...]] = {
    "F": ("응우옌티마이", "쩐티흐엉", "레티투", "팜티란", "호앙티응아", "부티하", "도티뚜엣",
          "왕리", "리우옌", "천징", "쑨메이", "장샤오린", "마리아 산토스", "MARIA SANTOS",
          "NGUYEN THI LAN", "ANNA IVANOVA", "BATBAYAR SARANGEREL"),
    "M": ("응우옌반남", "쩐반훙", "레반뚜언", "왕웨이", "장웨이", "자오레이", "리밍",
          "JOHN SMITH", "TRAN VAN DUC", "NGUYEN VAN HUNG", "ALEXANDER PETROV",
          "RAHMAN MOHAMMAD", "라만 모하마드"),
}  # fmt: skip

_SURNAME_LIST = [s for s, _ in SURNAMES]
_SURNAME_CUM = list(accumulate(w for _, w in SURNAMES))
_COHORTS = sorted({year for year, _ in _GIVEN})
_POPULAR_WEIGHTS = {
    key: list(accumulate(1.0 / (rank + 1) ** 0.7 for rank in range(len(names))))
    for key, names in _GIVEN.items()
}


def _cohort(birth_year: int) -> int:
    """The cohort bucket (upper birth year) a birth year falls in."""
    return next(year for year in _COHORTS if birth_year <= year)


def surname(rng: random.Random) -> str:
    """A surname drawn with its real share of the population."""
    return _SURNAME_LIST[bisect(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]


def given_name(rng: random.Random, *, sex: str, birth_year: int) -> str:
    """A given name typical of the cohort: a popular one most of the time, else a rarer mix."""
    key = (_cohort(birth_year), sex)
    if rng.random() < 0.7:
        cum = _POPULAR_WEIGHTS[key]
        return _GIVEN[key][bisect(cum, rng.random() * cum[-1])]
    first, second = _SYLLABLES[key]
    return rng.choice(first) + rng.choice(second)


def sibling_name(rng: random.Random, *, sex: str, birth_year: int, taken: set[str]) -> str:
    """A given name not yet used in the family."""
    for _ in range(20):
        name = given_name(rng, sex=sex, birth_year=birth_year)
        if name not in taken:
            return name
    return name


def twin_name(rng: random.Random, *, twin: str, sex: str, birth_year: int) -> str:
    """A twin's given name: often sharing a syllable with the other twin (민준/민서, 서연/서윤)."""
    key = (_cohort(birth_year), sex)
    first, second = _SYLLABLES[key]
    for _ in range(20):
        if rng.random() < 0.6 and len(twin) == 2:
            name = twin[0] + rng.choice(second)
        else:
            name = given_name(rng, sex=sex, birth_year=birth_year)
        if name != twin:
            return name
    return twin[0] + rng.choice([s for s in first if s != twin[1]] or ["아"])


def foreign_name(rng: random.Random, *, sex: str) -> str:
    """A foreign resident's full name as registered (Hangul transliteration or Latin)."""
    return rng.choice(_FOREIGN[sex])
