"""Reason taxonomy and a small multilingual (en/zh/de) classifier for free-text return reasons.

Keyword patterns with weights, not a trained model: reasons are short ("尺码偏小", "zu klein",
"arrived broken") and the vocabulary is narrow, so weighted patterns are accurate, explainable and
need no model download. The confidence is the winning score's share of all matched weight, damped
when little matched. A user's correction (``return update --category``) always wins over this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smartreturn.model import ReasonCategory
from smartreturn.rules.priority import REASON_SEVERITY

LABELS: dict[ReasonCategory, dict[str, str]] = {
    ReasonCategory.SIZE_FIT: {"en": "Size / fit", "zh": "尺码不合适", "de": "Größe / Passform"},
    ReasonCategory.DEFECTIVE: {"en": "Defective / damaged", "zh": "质量问题/破损", "de": "Defekt / beschädigt"},
    ReasonCategory.NOT_AS_DESCRIBED: {"en": "Not as described", "zh": "与描述不符", "de": "Nicht wie beschrieben"},
    ReasonCategory.WRONG_ITEM: {"en": "Wrong item", "zh": "发错货", "de": "Falscher Artikel"},
    ReasonCategory.MISSING_PARTS: {"en": "Missing parts", "zh": "少件/漏发", "de": "Teile fehlen"},
    ReasonCategory.ARRIVED_LATE: {"en": "Arrived late", "zh": "物流太慢", "de": "Zu spät geliefert"},
    ReasonCategory.CHANGED_MIND: {"en": "Changed mind", "zh": "不想要了", "de": "Nicht mehr benötigt"},
    ReasonCategory.BETTER_PRICE: {"en": "Better price found", "zh": "降价/买贵了", "de": "Günstiger gefunden"},
    ReasonCategory.QUALITY: {"en": "Quality below expectations", "zh": "质量不如预期", "de": "Qualität enttäuschend"},
    ReasonCategory.OTHER: {"en": "Other", "zh": "其他", "de": "Sonstiges"},
}

_PATTERNS: dict[ReasonCategory, list[tuple[str, float]]] = {
    ReasonCategory.SIZE_FIT: [
        (r"\b(too|very)\s+(small|big|large|tight|loose|short|long|narrow|wide)\b", 3),
        (r"\b(size|sizing|fit|fits|fitting|runs (small|large|big))\b", 2), (r"\b(doesn'?t|does not|didn'?t|did not)\s+fit\b", 3),
        (r"尺码|尺寸|码数|偏大|偏小|太大|太小|大了|小了|不合身|不合脚|挤脚|太紧|太松|太长|太短", 3),
        (r"\bzu\s+(klein|groß|gross|eng|weit|lang|kurz)\b", 3), (r"\b(größe|grösse|passform|passt\s+nicht|sitzt\s+nicht)\b", 3),
    ],
    ReasonCategory.DEFECTIVE: [
        (r"\b(defective|broken|damaged|faulty|cracked|torn|dead|doesn'?t work|does not work|not working|stopped working|malfunction\w*|dent(ed)?|scratch(ed|es)?|leak\w*)\b", 3),
        (r"破损|损坏|坏了|破了|碎了|裂|故障|不能用|无法使用|用不了|不工作|不开机|开不了机|坏的|漏水|漏电|漏气|划痕|瑕疵|质量问题|有问题", 3),
        (r"\b(defekt|kaputt|beschädigt|beschaedigt|gebrochen|funktioniert\s+nicht|zerbrochen|zerkratzt|undicht|mangelhaft)\b", 3),
    ],
    ReasonCategory.NOT_AS_DESCRIBED: [
        (r"\b(not as (described|pictured|shown|advertised)|different (from|than) (the )?(description|picture|photo|listing)|doesn'?t match|does not match|misleading|fake|counterfeit|not genuine|colou?r (is )?(different|wrong|off))\b", 3),
        (r"与描述不符|和描述不符|描述不符|与图片不符|图文不符|和图片不一样|色差|假货|不是正品|货不对板|实物不符", 3),
        (r"\b(entspricht nicht (der )?(beschreibung|abbildung)|nicht wie beschrieben|anders als (beschrieben|abgebildet)|fälschung|farbe (weicht|stimmt nicht))\w*", 3),
    ],
    ReasonCategory.WRONG_ITEM: [
        (r"\b(wrong (item|product|colou?r|model|size sent|one)|received (the )?wrong|sent (me )?(the )?wrong|incorrect item|not what i ordered|mix-?up)\b", 4),
        (r"发错|错发|寄错|发成了|不是我买的|型号不对|颜色发错|拿错", 4),
        (r"\b(falsche[rns]?\s+(artikel|ware|farbe|größe|modell|produkt)|falsch geliefert|nicht bestellt|verwechselt)\b", 4),
    ],
    ReasonCategory.MISSING_PARTS: [
        (r"\b(missing|incomplete|not included|parts? missing|only (one|1|half)|without the)\b", 3),
        (r"少件|漏发|缺件|缺少|少了|没有配件|配件不全|少发|不完整|没有说明书", 3),
        (r"\b(fehlt|fehlen|fehlende[rns]?|unvollständig|unvollstaendig|nicht enthalten|teile fehlen)\b", 3),
    ],
    ReasonCategory.ARRIVED_LATE: [
        (r"\b(arrived (too )?late|late delivery|delivered late|took too long|too late|never arrived in time|missed (the )?(date|event|deadline)|delayed)\b", 3),
        (r"太慢|发货慢|物流慢|迟迟不发货|超时|送达太晚|到货太晚|延迟|晚到|过了时间", 3),
        (r"\b(zu spät|zu spaet|verspätet|verspaetet|lieferung dauerte|kam zu spät|lieferverzug)\b", 3),
    ],
    ReasonCategory.CHANGED_MIND: [
        (r"\b(changed? (my )?mind|no longer (need|needed|want|wanted)|don'?t (need|want) it|not needed|ordered by mistake|accidental(ly)? order\w*|bought (it )?by mistake|gift not needed|duplicate order|ordered twice)\b", 3),
        (r"不想要了|不要了|不需要了|拍错|买错|多拍|重复购买|七天无理由|7天无理由|无理由退货|不喜欢", 3),
        (r"\b(nicht mehr benötigt|nicht mehr benoetigt|gefällt (mir )?nicht|gefaellt nicht|doch nicht|versehentlich bestellt|fehlkauf|widerruf|meinung geändert|doppelt bestellt)\b", 3),
    ],
    ReasonCategory.BETTER_PRICE: [
        (r"\b(better|lower|cheaper) (price|deal|offer)|found (it )?cheaper|price (drop|dropped|went down)|cheaper (elsewhere|somewhere)\b", 4),
        (r"降价|买贵了|别家更便宜|更便宜|价格太高|差价|价保", 4),
        (r"\b(günstiger|guenstiger|billiger|preis gesunken|besseres angebot|woanders)\b", 4),
    ],
    ReasonCategory.QUALITY: [
        (r"\b((poor|bad|low|cheap|terrible|disappointing|inferior) (build )?(quality|material|build|stitching|fabric)|quality (is )?(poor|bad|low|disappointing)|feels cheap|flimsy|thin|not worth|disappoint\w*|uncomfortable|smells?)\b", 2),
        (r"质量差|质量不好|做工差|做工粗糙|材质差|面料差|手感差|不值|一般般|有异味|味道大|不舒服|失望|太薄|起球|掉色", 2),
        (r"\b(schlechte (qualität|verarbeitung)|qualität (ist )?(schlecht|enttäuschend|mangelhaft)|billig verarbeitet|enttäuscht|enttäuschend|minderwertig|unbequem|riecht)\b", 2),
    ],
}

_COMPILED = {cat: [(re.compile(p, re.IGNORECASE), w) for p, w in pats] for cat, pats in _PATTERNS.items()}


@dataclass(frozen=True, slots=True)
class Classification:
    category: ReasonCategory
    confidence: float   # 0..1
    matched: tuple[str, ...] = ()


def classify(text: str | None) -> Classification:
    """Map a free-text reason (en/zh/de) to the taxonomy. Empty or unknown text -> OTHER, low confidence."""
    if not text or not text.strip():
        return Classification(ReasonCategory.OTHER, 0.0)
    scores: dict[ReasonCategory, float] = {}
    matched: dict[ReasonCategory, list[str]] = {}
    for category, patterns in _COMPILED.items():
        for pattern, weight in patterns:
            for match in pattern.finditer(text):
                scores[category] = scores.get(category, 0.0) + weight
                matched.setdefault(category, []).append(match.group(0))
    if not scores:
        return Classification(ReasonCategory.OTHER, 0.2)
    best = max(scores, key=lambda c: (scores[c], REASON_SEVERITY[c]))  # a tie goes to the stronger case
    share = scores[best] / sum(scores.values())
    strength = min(1.0, scores[best] / 4)
    return Classification(best, round(share * (0.5 + 0.5 * strength), 2), tuple(matched[best]))


def label(category: ReasonCategory | str | None, language: str = "en") -> str:
    if category is None:
        return LABELS[ReasonCategory.OTHER][language]
    return LABELS[ReasonCategory(category)].get(language, LABELS[ReasonCategory(category)]["en"])
