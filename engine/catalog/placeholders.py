"""Deterministic placeholder product images (SVG), generated from their name.

``/media/placeholder/<name>.svg`` always renders the same picture for the same
name: a background colour and a simple shape chosen from a hash of the name,
and the name as a caption. Nothing is stored on disk, so every process serves
the same file and the demo catalog needs no media folder.
"""
from __future__ import annotations

import hashlib
import re
from html import escape

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,120}$")
PALETTE = ["#1f6f8b", "#99a8b2", "#e6d5b8", "#c8553d", "#588b8b", "#f28f3b", "#2d3047", "#93b7be",
           "#6b4e71", "#3c6e71", "#d9a441", "#7d8570"]
SHAPES = [
    # a shirt
    '<path d="M70 60 L110 40 L150 60 L190 40 L230 60 L210 110 L190 100 L190 240 L110 240 L110 100 L90 110 Z" />',
    '<path d="M105 40 L195 40 L205 250 L160 250 L150 110 L140 250 L95 250 Z" />',  # trousers
    '<rect x="80" y="70" width="140" height="150" rx="12" />',  # a box
    '<circle cx="150" cy="140" r="80" />',  # a round thing
    '<path d="M90 230 L150 50 L210 230 Z" />',  # a cone
]


def placeholder_url(name: str) -> str:
    return f"/media/placeholder/{name}.svg"


def placeholder_svg(name: str) -> str:
    """The SVG for ``name`` (``[a-z0-9-]``). Raises ValueError for other names."""
    if not NAME.match(name):
        raise ValueError("placeholder names are lower-case letters, digits and hyphens")
    digest = hashlib.sha256(name.encode()).digest()
    background = PALETTE[digest[0] % len(PALETTE)]
    foreground = PALETTE[(digest[0] + 1 + digest[1] % (len(PALETTE) - 1)) % len(PALETTE)]
    shape = SHAPES[digest[2] % len(SHAPES)]
    caption = escape(name.replace("-", " ")[:40])
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 300" width="600" height="600" role="img">'
        f'<rect width="300" height="300" fill="{background}"/>'
        f'<g fill="{foreground}" stroke="#ffffff" stroke-width="3" stroke-opacity="0.6">{shape}</g>'
        '<rect y="262" width="300" height="38" fill="#000000" fill-opacity="0.35"/>'
        f'<text x="150" y="287" font-family="sans-serif" font-size="16" fill="#ffffff" '
        f'text-anchor="middle">{caption}</text></svg>'
    )
