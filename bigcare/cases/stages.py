"""The vocabulary of 통합사례관리: stages, steps and their Korean labels, the choices each form
offers, and which step a case may take next (pure functions of the case row)."""

from bigcare.cases.models import Case

STAGES = {
    "identified": "발굴/의뢰",
    "consulting": "초기상담",
    "intake": "접수",
    "assessment": "욕구·위기도 조사",
    "conference": "사례회의",
    "classified": "대상자 구분",
    "planned": "서비스 제공계획",
    "monitoring": "제공 및 점검",
    "closed": "종결",
}
OPEN_STAGES = tuple(s for s in STAGES if s != "closed")
REFERRAL_SOURCES = ("자체발굴", "이웃신고", "기관의뢰", "본인신청", "위기정보")
DOMAINS = {
    "health": "건강",
    "daily_living": "일상생활",
    "safety": "안전",
    "housing": "주거",
    "income": "경제",
    "employment": "고용·취업",
    "education": "교육",
    "family": "가족관계",
    "social": "사회적 관계",
}
SCORES = {0: "없음", 1: "낮음", 2: "보통", 3: "높음"}
CRISIS_LEVELS = {"high": "상", "medium": "중", "low": "하"}
CONFERENCE_KINDS = {"internal": "내부", "joint": "통합"}
CATEGORIES = {"intensive": "집중", "general": "일반", "simple": "단순"}
MONITORING_METHODS = {"visit": "방문", "phone": "전화", "office": "내방", "facility": "기관연락"}
CLOSE_REASONS = (
    "목표달성",
    "서비스 연계 완료",
    "이사",
    "사망",
    "거부",
    "연락두절",
    "타기관 이관",
    "비해당",
    "기타",
)
CONSULT_OUTCOMES = {"proceed": "접수 진행", "close": "종결"}
ASSESSMENT_KINDS = {"initial": "최초 조사", "reassessment": "재사정"}

# Steps a case in a stage may take next (besides closing, allowed from every open stage).
STEPS = {
    "consultation": "초기상담",
    "intake": "접수",
    "assessment": "욕구·위기도 조사",
    "conference": "사례회의",
    "classification": "대상자 구분",
    "plan": "서비스 제공계획",
    "monitoring": "제공 및 점검",
    "reassess": "재사정",
}
# Why a step is refused, by step: what must come first.
REFUSED = {
    "consultation": "초기상담은 발굴/의뢰 단계의 사례에만 기록할 수 있습니다",
    "intake": "초기상담 전에는 접수를 기록할 수 없습니다",
    "assessment": "접수 전에는 욕구·위기도 조사를 기록할 수 없습니다",
    "conference": "욕구·위기도 조사 전에는 사례회의를 기록할 수 없습니다",
    "classification": "사례회의 전에는 대상자 구분을 기록할 수 없습니다",
    "plan": "대상자 구분 전에는 서비스 제공계획을 세울 수 없습니다",
    "monitoring": "서비스 제공계획 전에는 제공 및 점검을 기록할 수 없습니다",
    "reassess": "재사정은 서비스 제공계획을 세운 뒤(제공계획·점검 단계)에만 할 수 있습니다",
}


def next_steps(case: Case) -> list[str]:
    """The steps the case may take now, in the order the page offers them (not closing)."""
    match case.stage:
        case "identified":
            return ["consultation"]
        case "consulting":
            return ["intake"]
        case "intake":
            return ["assessment"]
        case "assessment":
            # Reassessment pending (재사정 clears assessed_on) or done: conference next.
            return ["assessment"] if case.assessed_on is None else ["conference"]
        case "conference":
            # After 재사정 the category may stand: a new plan may follow the conference.
            return ["classification", "plan"] if case.category else ["classification"]
        case "classified":
            return ["plan"]
        case "planned":
            return ["monitoring", "reassess"]
        case "monitoring":
            return ["monitoring", "reassess"]
    return []


def is_reassessment(case: Case) -> bool:
    """Whether the assessment this case waits for is a 재사정 (it had a plan before)."""
    return case.stage == "assessment" and case.assessed_on is None
