"""Simple geometric illustrations drawn with Pillow, so demo images carry no licence terms."""

import io
import random

from PIL import Image, ImageDraw

PALETTE = ["#0b4f5c", "#083a44", "#c2410c", "#f6b73c", "#12707f", "#eef5f4", "#14232b"]


def draw(kind: str, *, seed: int, size=(1600, 900)) -> bytes:
    """A PNG of one of a few motifs: skyline, transit, grid, network, bars, circles."""
    rng = random.Random(seed)  # the same seed always gives the same picture
    width, height = size
    background = rng.choice(["#eef5f4", "#14232b", "#0b4f5c", "#fdf3e1"])
    image = Image.new("RGB", size, background)
    pen = ImageDraw.Draw(image)
    colours = [c for c in PALETTE if c != background]

    if kind == "skyline":
        pen.ellipse((width * 0.68, height * 0.12, width * 0.82, height * 0.37), fill="#f6b73c")
        x = 0
        while x < width:
            w = rng.randint(60, 160)
            h = rng.randint(int(height * 0.2), int(height * 0.75))
            pen.rectangle((x, height - h, x + w, height), fill=rng.choice(colours))
            for wy in range(height - h + 20, height - 20, 40):
                for wx in range(x + 14, x + w - 20, 30):
                    if rng.random() < 0.35:
                        pen.rectangle((wx, wy, wx + 12, wy + 18), fill="#f6b73c")
            x += w + rng.randint(4, 18)
    elif kind == "transit":
        for _ in range(5):
            colour = rng.choice(colours)
            points = [(0, rng.randint(0, height))]
            x = 0
            while x < width:
                x += rng.randint(150, 320)
                points.append((x, rng.randint(80, height - 80)))
            pen.line(points, fill=colour, width=22, joint="curve")
            for px, py in points[1:-1]:
                pen.ellipse(
                    (px - 20, py - 20, px + 20, py + 20), fill="#ffffff", outline=colour, width=8
                )
    elif kind == "grid":
        step = 100
        for gx in range(0, width, step):
            for gy in range(0, height, step):
                if rng.random() < 0.55:
                    pen.rectangle(
                        (gx + 8, gy + 8, gx + step - 8, gy + step - 8), fill=rng.choice(colours)
                    )
    elif kind == "network":
        nodes = [(rng.randint(80, width - 80), rng.randint(80, height - 80)) for _ in range(28)]
        for i, a in enumerate(nodes):
            for b in nodes[i + 1 :]:
                if abs(a[0] - b[0]) + abs(a[1] - b[1]) < 420:
                    pen.line((a, b), fill=colours[0], width=5)
        for x, y in nodes:
            r = rng.randint(14, 34)
            pen.ellipse((x - r, y - r, x + r, y + r), fill=rng.choice(colours))
    elif kind == "bars":
        count = 12
        gap = width / count
        for i in range(count):
            h = rng.randint(int(height * 0.15), int(height * 0.85))
            pen.rectangle(
                (i * gap + 20, height - h, (i + 1) * gap - 20, height), fill=rng.choice(colours)
            )
    else:  # circles
        for _ in range(40):
            r = rng.randint(30, 180)
            x, y = rng.randint(0, width), rng.randint(0, height)
            pen.ellipse((x - r, y - r, x + r, y + r), fill=rng.choice(colours))

    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
