"""The core's generic shipping label and packing slip, drawn with fpdf2.

The label is A6, the slip A4; both are PDFs made from a :class:`engine.protocols.ShipmentDocument`
alone (no database), CPU-bound (callers run them in a thread). Text is set
in the PDF core font Helvetica when it is all Latin-1; otherwise in DejaVu
Sans when the system has it (any script it covers), else in Helvetica with
the text folded to Latin-1 (accents dropped, other characters shown as
``?``) — never an error. The label's barcode is Code 39 of the tracking number when it is
Code 39-safe, else of ``<order number>-<fulfillment id>``.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Mapping

from engine.protocols import ShipmentDocument

_FONT_FILES = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
               Path("/usr/share/fonts/TTF/DejaVuSans.ttf"))
_CODE39 = re.compile(r"^[0-9A-Z .$/+%-]{1,40}$")


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _texts(document: ShipmentDocument) -> list[str]:
    return [*map(str, document.ship_to.values()), *map(str, document.ship_from.values()), document.carrier,
            document.service, document.tracking_number, document.order_number,
            *(text for line in document.lines for text in (line.sku, line.title))]


class _Pdf:
    """An fpdf2 page (its other methods reached through this one) with the
    body font chosen for the text: the PDF core font when every character is
    Latin-1 (about 20 ms a document), DejaVu Sans only when some are not
    (embedding it costs about 0.4 s).

    fpdf is imported here, on the first document: with numpy, fontTools and
    Pillow it is about 40 MB that a web worker which never draws one need
    not hold."""

    def __init__(self, format: str | tuple[float, float], document: ShipmentDocument) -> None:
        from fpdf import FPDF

        self._pdf = FPDF(format=format)
        self.set_auto_page_break(True, margin=8)
        self.set_margins(8, 8)
        needed = not all(_latin1(text) for text in _texts(document))
        font = next((path for path in _FONT_FILES if path.exists()), None) if needed else None
        self._unicode = font is not None
        if font is not None:
            self.add_font("body", fname=str(font))
            bold = font.with_name("DejaVuSans-Bold.ttf")
            self.add_font("body", style="B", fname=str(bold if bold.exists() else font))
            self._family = "body"
        else:
            self._family = "helvetica"
        self.add_page()

    def __getattr__(self, name: str):
        return getattr(self._pdf, name)

    def text(self, value: str, size: float = 10, height: float = 5) -> None:
        self.set_font(self._family, size=size)
        self.multi_cell(0, height, self._safe(value), new_x="LMARGIN", new_y="NEXT")

    def _safe(self, value: str) -> str:
        if self._unicode or _latin1(value):
            return value
        folded = unicodedata.normalize("NFKD", value)
        return "".join(c for c in folded if not unicodedata.combining(c)).encode("latin-1", "replace").decode("latin-1")


def address_lines(address: Mapping[str, object]) -> list[str]:
    """An address as the lines written on a parcel."""
    get = lambda key: str(address.get(key) or "").strip()  # noqa: E731
    name = " ".join(part for part in (get("first_name"), get("last_name")) if part)
    place = " ".join(part for part in (get("postal_code"), get("city")) if part)
    return [line for line in (get("name"), name, get("company"), get("line1"), get("line2"), place,
                              " ".join(p for p in (get("region"), get("country")) if p)) if line]


def _weight(grams: int) -> str:
    return f"{grams / 1000:.2f} kg" if grams else "unknown"


def barcode_text(document: ShipmentDocument) -> str:
    """What the label's barcode encodes (module docstring)."""
    tracking = document.tracking_number.strip().upper()
    return tracking if _CODE39.match(tracking) else f"{document.order_number}-{document.fulfillment_id}".upper()


def generic_label(document: ShipmentDocument) -> bytes:
    """An A6 label: from, to, order, weight, carrier, tracking number and its barcode."""
    pdf = _Pdf((105, 148), document)  # A6
    pdf.text("FROM", 7, 4)
    pdf.text("\n".join(address_lines(document.ship_from) or [str(document.ship_from.get("name") or "")]), 8, 4)
    pdf.ln(2)
    pdf.text("TO", 7, 4)
    pdf.text("\n".join(address_lines(document.ship_to)), 12, 6)
    pdf.ln(2)
    pdf.text(f"Order {document.order_number} · shipment {document.fulfillment_id}", 9)
    pdf.text(f"Weight: {_weight(document.weight_grams)}", 9)
    units = sum(line.quantity for line in document.lines)
    pdf.text(f"{units} item(s): " + ", ".join(f"{l.quantity} × {l.sku}" for l in document.lines), 8, 4)
    carrier = " ".join(part for part in (document.carrier, document.service) if part)
    if carrier:
        pdf.text(f"Carrier: {carrier}", 9)
    pdf.text(f"Tracking number: {document.tracking_number or 'none'}", 10)
    code = barcode_text(document)
    # fpdf2 draws a Code 39 character (with its gap) about 8.1 × ``w`` wide: fill the line, at most 1 mm.
    bar = min(1.0, pdf.epw / ((len(code) + 2) * 8.5))
    pdf.code39(f"*{code}*", x=pdf.l_margin, y=pdf.get_y() + 2, w=bar, h=14)
    pdf.set_y(pdf.get_y() + 18)
    pdf.text(code, 8, 4)
    return bytes(pdf.output())


def packing_slip(document: ShipmentDocument) -> bytes:
    """An A4 packing slip: the order, the address and the shipment's lines."""
    pdf = _Pdf("A4", document)
    pdf.text(str(document.ship_from.get("name") or ""), 16, 8)
    pdf.text(f"Packing slip — order {document.order_number}, shipment {document.fulfillment_id}", 12, 7)
    if document.placed_at:
        pdf.text(f"Ordered {str(document.placed_at)[:10]}", 9)
    pdf.ln(3)
    pdf.text("Ship to", 9)
    pdf.text("\n".join(address_lines(document.ship_to)), 11, 6)
    pdf.ln(3)
    with pdf.table(col_widths=(30, 110, 20), text_align=("LEFT", "LEFT", "RIGHT")) as table:
        table.row(("SKU", "Item", "Qty"))
        for line in document.lines:
            table.row((pdf._safe(line.sku), pdf._safe(line.title), str(line.quantity)))
    pdf.ln(3)
    pdf.text(f"Weight: {_weight(document.weight_grams)}", 9)
    if document.tracking_number:
        carrier = " ".join(part for part in (document.carrier, document.service) if part)
        pdf.text(f"Tracking number: {document.tracking_number}" + (f" ({carrier})" if carrier else ""), 9)
    return bytes(pdf.output())
