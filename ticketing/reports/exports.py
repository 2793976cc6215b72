"""The call report as a file: XLSX (openpyxl, with a chart Excel and WPS
draw themselves) and PDF (reportlab, with the figures, a bar chart and the
formulas; Chinese text in a TrueType CJK font from Debian, embedded)."""

from __future__ import annotations

import datetime as dt
import io
from functools import cache
from pathlib import Path

COLUMNS = [
    ("bucket", "时段"), ("queue", "队列"), ("offered", "来电量"), ("answered", "接通量"),
    ("answered_in_target", "目标内接通"), ("rate_in_target", "15秒接通率"),
    ("connect_rate", "接通率"), ("abandoned", "放弃量"), ("abandon_rate", "放弃率"),
    ("asa_s", "平均应答(秒)"), ("aht_s", "平均处理(秒)"), ("longest_wait_s", "最长等待(秒)"),
]  # fmt: skip
RATES = {"rate_in_target", "connect_rate", "abandon_rate"}
FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
              "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # fmt: skip


class FontMissing(RuntimeError):
    pass


def _title(report: dict) -> str:
    first = dt.date.fromisoformat(report["start"][:10])
    last = dt.date.fromisoformat(report["end"][:10]) - dt.timedelta(days=1)
    return f"{report.get('kind', '来电报表')} {first} 至 {max(first, last)}"


def _compared(report: dict) -> list[list[str]]:
    """The comparison with the period before, as rows of text (本期, 上期, 变化)."""

    def shown(row: dict, value: object) -> str:
        if value is None:
            return "-"
        number = float(value)  # type: ignore[arg-type]
        return f"{number * 100:.1f}%" if row["unit"] == "rate" else f"{number:g}"

    rows = [["指标", "本期", "上期", "变化"]]
    for row in report.get("comparison", []):
        change = row["change"]
        step = " 个百分点" if row["unit"] == "rate" else ""
        rows.append([row["label"], shown(row, row["now"]), shown(row, row["before"]),
                     "-" if change is None else f"{change:+g}{step}"])  # fmt: skip
    return rows


def xlsx(report: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "来电"
    sheet.append([_title(report)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([label for _, label in COLUMNS])
    for row in [*report["rows"], {"bucket": "合计", "queue": "", **report["total"]}]:
        sheet.append([row.get(key) for key, _ in COLUMNS])
    for index, (key, _) in enumerate(COLUMNS, start=1):
        if key in RATES:
            for cell in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                cell[0].number_format = "0.0%"
    last = 2 + len(report["rows"])
    if report["rows"]:
        chart = BarChart()
        chart.title, chart.y_axis.title = "来电量与接通量", "通"
        chart.add_data(Reference(sheet, min_col=3, max_col=4, min_row=2, max_row=last),
                       titles_from_data=True)  # fmt: skip
        chart.set_categories(Reference(sheet, min_col=1, min_row=3, max_row=last))
        sheet.add_chart(chart, f"A{last + 3}")
    told = book.create_sheet("摘要与环比", 0)  # first: what a leader reads first
    told.append([_title(report)])
    told["A1"].font = Font(bold=True, size=14)
    for line in report.get("summary", []):
        told.append([line])
    told.append([])
    for row in _compared(report):
        told.append(row)
    told.column_dimensions["A"].width = 18
    notes = book.create_sheet("公式")
    for key, formula in report["formulas"].items():
        notes.append([key, formula])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@cache
def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for path in FONT_FILES:
        if Path(path).is_file():
            pdfmetrics.registerFont(TTFont("CJK", path, subfontIndex=0))
            return "CJK"
    raise FontMissing("没有中文字体: 请安装 fonts-wqy-zenhei (make setup 会安装)")


def pdf(report: dict) -> bytes:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22)
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=11)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), title=_title(report))

    def shown(key: str, value: object) -> str:
        if value is None:
            return "-"
        return f"{float(value) * 100:.1f}%" if key in RATES else str(value)  # type: ignore[arg-type]

    rows = [*report["rows"], {"bucket": "合计", "queue": "", **report["total"]}]
    cells = [[label for _, label in COLUMNS]]
    cells += [[shown(k, r.get(k)) for k, _ in COLUMNS] for r in rows]
    table = Table(cells, repeatRows=1)
    header = colors.HexColor("#dde6f0")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 7),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), header),
    ]))  # fmt: skip
    chart = Drawing(720, 200)
    bars = VerticalBarChart()
    bars.x, bars.y, bars.width, bars.height = 40, 30, 640, 140
    shown_rows = report["rows"][-48:] or [{"bucket": "-", "offered": 0, "answered": 0}]
    bars.data = [[r["offered"] for r in shown_rows], [r["answered"] for r in shown_rows]]
    bars.categoryAxis.categoryNames = [r["bucket"][-5:] for r in shown_rows]
    bars.categoryAxis.labels.fontName = bars.valueAxis.labels.fontName = font
    bars.categoryAxis.labels.fontSize = 6
    bars.bars[0].fillColor, bars.bars[1].fillColor = (
        colors.HexColor("#5b8ff9"),
        colors.HexColor("#5ad8a6"),
    )
    chart.add(bars)
    chart.add(String(40, 185, "来电量 (蓝) 与接通量 (绿)", fontName=font, fontSize=10))
    compared = Table(_compared(report), repeatRows=1)
    compared.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), header),
    ]))  # fmt: skip
    text = ParagraphStyle("text", fontName=font, fontSize=10, leading=14)
    said = [Paragraph(line, text) for line in report.get("summary", [])]
    story = [Paragraph(_title(report), title), Spacer(1, 6), *said, Spacer(1, 6), chart,
             Spacer(1, 6), compared, Spacer(1, 8), table,
             Spacer(1, 10), *[Paragraph(f, body) for f in report["formulas"].values()]]  # fmt: skip
    doc.build(story)
    return out.getvalue()
