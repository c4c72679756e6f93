"""Deterministic placeholder product images (SVG), generated from their name.

``/media/placeholder/<name>.svg`` always renders the same picture for the same
name, so every process serves the same file and the demo catalog needs no
media folder. A name ``<kind>--<rest>`` (``dress--coastal-wrap-dress-1``)
draws that kind of product (:data:`SHAPES`: a dress, a mug, a scarf, ...);
another name draws a shape chosen from its hash. Colours come from the hash.
No text is drawn: the image's alt text says what it shows.
"""
from __future__ import annotations

import hashlib
import re

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,120}$")
PALETTE = ["#1f6f8b", "#99a8b2", "#e6d5b8", "#c8553d", "#588b8b", "#f28f3b", "#2d3047", "#93b7be",
           "#6b4e71", "#3c6e71", "#d9a441", "#7d8570"]
#: What each kind of product looks like (SVG shapes in a 300 × 300 box).
SHAPES: dict[str, str] = {
    "dress": '<path d="M125 40 L175 40 L172 95 L232 255 L68 255 L128 95 Z" />'
             '<path d="M125 40 L112 20 M175 40 L188 20" fill="none" stroke-width="6" />',
    "top": '<path d="M75 75 L122 48 Q150 66 178 48 L225 75 L205 120 L185 110 L185 245 L115 245 L115 110 '
           'L95 120 Z" />',
    "shirt": '<path d="M70 60 L110 40 L150 60 L190 40 L230 60 L210 110 L190 100 L190 240 L110 240 L110 100 '
             'L90 110 Z" /><path d="M130 45 L150 80 L170 45" fill="none" stroke-width="5" />',
    "jumper": '<path d="M70 72 L118 45 Q150 60 182 45 L230 72 L252 205 L222 210 L196 115 L196 248 L104 248 '
              'L104 115 L78 210 L48 205 Z" />',
    "jacket": '<path d="M70 72 L118 40 L150 70 L182 40 L230 72 L252 205 L222 210 L196 115 L196 252 L104 252 '
              'L104 115 L78 210 L48 205 Z" /><path d="M150 70 L150 252" fill="none" stroke-width="5" />',
    "trousers": '<path d="M105 40 L195 40 L205 250 L160 250 L150 110 L140 250 L95 250 Z" />',
    "scarf": '<path d="M95 60 Q150 30 205 60 L190 90 Q150 70 110 90 Z" />'
             '<rect x="112" y="85" width="42" height="165" rx="6" /><rect x="160" y="85" width="34" height="130" rx="6" />',
    "hat": '<path d="M82 200 Q82 82 150 82 Q218 82 218 200 Z" /><rect x="68" y="195" width="164" height="32" rx="8" />'
           '<circle cx="150" cy="72" r="15" />',
    "belt": '<rect x="25" y="132" width="250" height="36" rx="6" />'
            '<rect x="112" y="118" width="64" height="64" rx="8" fill="none" stroke-width="9" />',
    "socks": '<path d="M115 40 L168 40 L168 185 L222 214 Q240 250 205 260 L128 240 Q110 232 115 210 Z" />',
    "mug": '<rect x="80" y="85" width="115" height="140" rx="12" />'
           '<path d="M195 115 Q248 115 248 155 Q248 195 195 195" fill="none" stroke-width="16" />',
    "towel": '<rect x="92" y="45" width="116" height="210" rx="6" />'
             '<path d="M92 215 L208 215 M92 228 L208 228" fill="none" stroke-width="5" />',
    "bedding": '<rect x="45" y="95" width="210" height="130" rx="10" />'
               '<rect x="58" y="108" width="78" height="42" rx="14" /><rect x="164" y="108" width="78" height="42" rx="14" />',
    "cushion": '<path d="M75 90 Q150 70 225 90 Q245 150 225 210 Q150 230 75 210 Q55 150 75 90 Z" />',
    "box": '<rect x="80" y="70" width="140" height="150" rx="12" />',
    "none": '<rect x="95" y="105" width="110" height="80" rx="10" /><circle cx="150" cy="145" r="24" '
            'fill="none" stroke-width="8" />',
}
#: Kinds drawn for names without a ``<kind>--`` prefix.
HASHED = ["shirt", "trousers", "box", "mug", "cushion"]


def placeholder_url(name: str, kind: str | None = None) -> str:
    """The URL of the placeholder ``name``, drawn as ``kind`` (a key of :data:`SHAPES`) when given."""
    if kind is not None and kind not in SHAPES:
        raise ValueError(f"unknown placeholder kind {kind!r}")
    return f"/media/placeholder/{kind + '--' if kind else ''}{name}.svg"


def placeholder_svg(name: str) -> str:
    """The SVG for ``name`` (``[a-z0-9-]``). Raises ValueError for other names."""
    if not NAME.match(name):
        raise ValueError("placeholder names are lower-case letters, digits and hyphens")
    kind, _, rest = name.partition("--")
    digest = hashlib.sha256((rest or name).encode()).digest()
    if kind not in SHAPES or not rest:
        kind = HASHED[digest[2] % len(HASHED)]
    background = "#e9ecef" if kind == "none" else PALETTE[digest[0] % len(PALETTE)]
    foreground = "#adb5bd" if kind == "none" else PALETTE[(digest[0] + 1 + digest[1] % (len(PALETTE) - 1)) % len(PALETTE)]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 300" width="600" height="600" role="img">'
        f'<rect width="300" height="300" fill="{background}"/>'
        f'<g fill="{foreground}" stroke="#ffffff" stroke-width="3" stroke-opacity="0.6">{SHAPES[kind]}</g></svg>'
    )
