"""Draw the PWA icons (web/icons/*.png) with Pillow: `.venv/bin/python scripts/make_icons.py`.

Two overlapping rings (two people, one tie) on the brand teal. The `any` icons are rounded squares
with transparent corners; the `maskable` ones fill the whole square and keep the mark inside the
central 80% safe zone, since launchers crop maskable icons to any shape they like.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "web" / "icons"
TEAL = (15, 93, 90, 255)
CREAM = (247, 245, 240, 255)
AMBER = (242, 177, 76, 255)
SUPERSAMPLE = 4  # draw big, then downsample: Pillow's shapes are not anti-aliased


def _mark(draw: ImageDraw.ImageDraw, size: int, scale: float) -> None:
    """Two rings side by side; `scale` is the mark's width as a share of the canvas."""
    radius = size * scale / 3.2
    width = max(2, round(radius * 0.32))
    cy = size / 2
    offset = radius * 0.62
    for cx, colour in ((size / 2 - offset, CREAM), (size / 2 + offset, AMBER)):
        box = (cx - radius, cy - radius, cx + radius, cy + radius)
        draw.ellipse(box, outline=colour, width=width)


def draw_icon(px: int, *, maskable: bool) -> Image.Image:
    size = px * SUPERSAMPLE
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    if maskable:
        draw.rectangle((0, 0, size, size), fill=TEAL)
        _mark(draw, size, 0.62)
    else:
        draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size * 0.22, fill=TEAL)
        _mark(draw, size, 0.78)
    small = img.resize((px, px), Image.Resampling.LANCZOS)
    # A 64-colour palette keeps the edges smooth at a third of the bytes (the shell budget is 150 KB).
    return small.quantize(colors=64, method=Image.Quantize.FASTOCTREE)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for px in (192, 512):
        draw_icon(px, maskable=False).save(OUT / f"icon-{px}.png", optimize=True)
        draw_icon(px, maskable=True).save(OUT / f"maskable-{px}.png", optimize=True)
    # iOS ignores the manifest icons and wants an opaque square (it rounds the corners itself).
    draw_icon(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    draw_icon(48, maskable=False).save(OUT / "favicon.png", optimize=True)


if __name__ == "__main__":
    main()
