from enum import StrEnum


class Channel(StrEnum):
    phone = "phone"
    sms = "sms"
    web = "web"
    wechat = "wechat"
    weibo = "weibo"
    walk_in = "walk_in"
    grid_inspector = "grid_inspector"


class OrderType(StrEnum):
    consultation = "consultation"  # 咨询
    help = "help"  # 求助
    complaint = "complaint"  # 投诉
    report = "report"  # 举报
    suggestion = "suggestion"  # 建议
    praise = "praise"  # 表扬


class Urgency(StrEnum):
    normal = "normal"
    urgent = "urgent"  # same-day limit


class State(StrEnum):
    intake = "intake"  # 受理
    case = "case"  # 立案
    dispatched = "dispatched"  # 派遣
    processing = "processing"  # 处置
    feedback = "feedback"  # 反馈
    closed = "closed"  # 核实结案
    evaluated = "evaluated"  # 评价
    merged = "merged"  # 并案: folded into another case, history kept


class Verdict(StrEnum):
    satisfied = "satisfied"  # 满意 (A)
    basic = "basic"  # 基本满意 (B)
    unsatisfied = "unsatisfied"  # 不满意 (C)


GRADES = {"A": Verdict.satisfied, "B": Verdict.basic, "C": Verdict.unsatisfied}
