"""Change management data (ISO/IEC 20000-1 8.5.1). Everything here changes only through
`changes.services`; a change's state only through its workflow (changes.workflow)."""

from .cab import CabAgendaItem, CabBoard, CabMeeting
from .catalogue import ApprovalRule, ChangeCategory, RiskOption, RiskQuestion, RiskThreshold, StandardChangeTemplate
from .change import Change, ChangeRiskAnswer
from .cmdb import DetectionCursor, ExemptSource, ProposedCIChange, UnauthorisedChange
from .schedule import ChangeConflict, ScheduleWindow

__all__ = [
    "ApprovalRule", "CabAgendaItem", "CabBoard", "CabMeeting", "Change", "ChangeCategory", "ChangeConflict",
    "ChangeRiskAnswer", "DetectionCursor", "ExemptSource", "ProposedCIChange", "RiskOption", "RiskQuestion",
    "RiskThreshold", "ScheduleWindow", "StandardChangeTemplate", "UnauthorisedChange",
]
