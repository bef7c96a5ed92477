"""QR codes as inline SVG, drawn by ReportLab's own QR widget (no extra package)."""

from markupsafe import Markup
from reportlab.graphics import renderSVG
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing


def qr_svg(data: str, *, size: float = 200, title: str = "QR 코드") -> Markup:
    """An <svg> element that encodes `data`, safe to place in a page."""
    widget = QrCodeWidget(data, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    svg = renderSVG.drawToString(drawing)
    svg = svg[svg.index("<svg") :]
    # ReportLab's SVG writer escapes what it draws; the title is escaped by Markup.format.
    return Markup(svg).replace(">", Markup("><title>{}</title>").format(title), 1)  # noqa: S704
