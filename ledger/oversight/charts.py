"""Chart geometry for server-drawn SVG: positions and sizes as numbers the templates put
into presentation attributes (x, y, width, height, fill), so the strict CSP needs no
inline style and no script. Every chart is also shown as a table of its numbers."""

from dataclasses import dataclass

BAR_HEIGHT = 18
BAR_GAP = 8
LABEL_WIDTH = 120
VALUE_WIDTH = 36


@dataclass
class Bar:
    label: str
    value: int
    url: str
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    text_x: float = 0
    text_y: float = 0
    tone: str = ""


def hbars(items: list[Bar], *, width: int = 420) -> dict:
    """Horizontal bars, one per item, scaled to the largest value."""
    top = max([item.value for item in items] + [1])
    span = width - LABEL_WIDTH - VALUE_WIDTH
    for index, item in enumerate(items):
        item.x = LABEL_WIDTH
        item.y = index * (BAR_HEIGHT + BAR_GAP)
        item.width = round(span * item.value / top, 1) if item.value else 0
        item.height = BAR_HEIGHT
        item.text_x = item.x + item.width + 4
        item.text_y = item.y + BAR_HEIGHT - 4
    height = max(len(items) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT)
    return {"bars": items, "width": width, "height": height, "label_x": LABEL_WIDTH - 6}


def week_columns(weeks: list[dict], *, width: int = 720, height: int = 220) -> dict:
    """Paired columns per week (new, resolved); each week dict has new / resolved Bars."""
    top = max([w["new"].value for w in weeks] + [w["resolved"].value for w in weeks] + [1])
    plot_top, plot_bottom = 14, height - 30
    span = plot_bottom - plot_top
    slot = width / max(len(weeks), 1)
    column = slot * 0.32
    for index, week in enumerate(weeks):
        for offset, key in ((0.16, "new"), (0.52, "resolved")):
            bar = week[key]
            bar.height = round(span * bar.value / top, 1)
            bar.width = round(column, 1)
            bar.x = round(index * slot + slot * offset, 1)
            bar.y = round(plot_bottom - bar.height, 1)
            bar.text_x = round(bar.x + column / 2, 1)
            bar.text_y = round(bar.y - 3, 1)
        week["label_x"] = round(index * slot + slot / 2, 1)
    return {
        "weeks": weeks,
        "width": width,
        "height": height,
        "axis_y": plot_bottom,
        "label_y": height - 12,
    }
