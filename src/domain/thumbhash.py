"""ThumbHash: a ~25-byte placeholder of an image, from which a blurred preview can be drawn.

A port of Evan Wallace's public algorithm (https://evanw.github.io/thumbhash/): the image,
composited over its own average colour, is converted to a luminance channel and two colour
channels (yellow-blue, red-green), plus alpha when any pixel is transparent; each channel is
reduced to its lowest DCT coefficients, and those are quantised to a few bits. The header
holds the average colour, the scales and the aspect ratio; the coefficients follow, two per
byte. The decoder is here too, for tests and for anyone drawing the placeholder server-side.

Pure arithmetic on RGBA bytes; nothing here decodes or encodes image files.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MAX_SIDE = 100
# whether coefficient (cx, cy) belongs to a channel's triangle of coefficients
_Inside = Callable[[int, int], bool]


def _round(value: float) -> int:
    """JavaScript's Math.round (halves up), which the reference implementation uses."""
    return math.floor(value + 0.5)


@dataclass(frozen=True, slots=True)
class _Channel:
    dc: float
    ac: list[float]
    scale: float


def _encode_channel(channel: Sequence[float], w: int, h: int, nx: int, ny: int) -> _Channel:
    """The DC term and the normalised AC terms of the lowest `nx` x `ny` triangle of the DCT.

    The cosine transform is separable: each row is projected on each horizontal cosine once,
    and every coefficient then sums those projections down the columns.
    """
    rows = [channel[y * w : (y + 1) * w] for y in range(h)]
    projected = []
    for cx in range(nx):
        fx = [math.cos(math.pi / w * cx * (x + 0.5)) for x in range(w)]
        projected.append([sum(v * f for v, f in zip(row, fx, strict=True)) for row in rows])
    dc, ac, scale = 0.0, [], 0.0
    for cy in range(ny):
        fy = [math.cos(math.pi / h * cy * (y + 0.5)) for y in range(h)]
        cx = 0
        while cx * ny < nx * (ny - cy):
            total = sum(p * f for p, f in zip(projected[cx], fy, strict=True)) / (w * h)
            if cx or cy:
                ac.append(total)
                scale = max(scale, abs(total))
            else:
                dc = total
            cx += 1
    if scale:
        ac = [0.5 + 0.5 / scale * value for value in ac]
    return _Channel(dc, ac, scale)


def encode(width: int, height: int, rgba: bytes) -> bytes:
    """The ThumbHash of `width` x `height` RGBA pixels (each side at most 100)."""
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise ValueError(f"{width}x{height} does not fit in {MAX_SIDE}x{MAX_SIDE}")
    if len(rgba) != width * height * 4:
        raise ValueError("rgba must hold width * height * 4 bytes")
    pixels = width * height
    avg_r = avg_g = avg_b = avg_a = 0.0
    for i in range(0, pixels * 4, 4):
        alpha = rgba[i + 3] / 255
        avg_r += alpha / 255 * rgba[i]
        avg_g += alpha / 255 * rgba[i + 1]
        avg_b += alpha / 255 * rgba[i + 2]
        avg_a += alpha
    if avg_a:
        avg_r, avg_g, avg_b = avg_r / avg_a, avg_g / avg_a, avg_b / avg_a

    has_alpha = avg_a < pixels
    l_limit = 5 if has_alpha else 7  # fewer luminance bits when alpha takes some
    longest = max(width, height)
    lx = max(1, _round(l_limit * width / longest))
    ly = max(1, _round(l_limit * height / longest))
    lum, yb, rg, alphas = [], [], [], []
    for i in range(0, pixels * 4, 4):
        alpha = rgba[i + 3] / 255
        r = avg_r * (1 - alpha) + alpha / 255 * rgba[i]
        g = avg_g * (1 - alpha) + alpha / 255 * rgba[i + 1]
        b = avg_b * (1 - alpha) + alpha / 255 * rgba[i + 2]
        lum.append((r + g + b) / 3)
        yb.append((r + g) / 2 - b)
        rg.append(r - g)
        alphas.append(alpha)

    l_channel = _encode_channel(lum, width, height, max(3, lx), max(3, ly))
    p_channel = _encode_channel(yb, width, height, 3, 3)
    q_channel = _encode_channel(rg, width, height, 3, 3)
    channels = [l_channel, p_channel, q_channel]
    if has_alpha:
        channels.append(_encode_channel(alphas, width, height, 5, 5))

    landscape = width > height
    header24 = (
        _round(63 * l_channel.dc)
        | (_round(31.5 + 31.5 * p_channel.dc) << 6)
        | (_round(31.5 + 31.5 * q_channel.dc) << 12)
        | (_round(31 * l_channel.scale) << 18)
        | (int(has_alpha) << 23)
    )
    header16 = (
        (ly if landscape else lx)
        | (_round(63 * p_channel.scale) << 3)
        | (_round(63 * q_channel.scale) << 9)
        | (int(landscape) << 15)
    )
    hash_ = [header24 & 255, (header24 >> 8) & 255, header24 >> 16, header16 & 255, header16 >> 8]
    if has_alpha:
        alpha_channel = channels[3]
        hash_.append(_round(15 * alpha_channel.dc) | (_round(15 * alpha_channel.scale) << 4))
    factors = [factor for channel in channels for factor in channel.ac]
    start = len(hash_)
    hash_.extend([0] * ((len(factors) + 1) // 2))
    for index, factor in enumerate(factors):
        hash_[start + (index >> 1)] |= _round(15 * factor) << ((index & 1) << 2)
    return bytes(hash_)


@dataclass(frozen=True, slots=True)
class Decoded:
    """A placeholder drawn from a ThumbHash: at most 32 px on its longer side, RGBA."""

    width: int
    height: int
    rgba: bytes


def aspect_ratio(hash_: bytes) -> float:
    """Width over height, as the hash records it (to about one part in seven)."""
    has_alpha = hash_[2] & 0x80
    landscape = hash_[4] & 0x80
    lx = (5 if has_alpha else 7) if landscape else hash_[3] & 7
    ly = hash_[3] & 7 if landscape else (5 if has_alpha else 7)
    return lx / ly


def average_rgba(hash_: bytes) -> tuple[float, float, float, float]:
    """The image's average colour recorded in the hash, each channel 0..1."""
    header = hash_[0] | (hash_[1] << 8) | (hash_[2] << 16)
    lum = (header & 63) / 63
    yb = ((header >> 6) & 63) / 31.5 - 1
    rg = ((header >> 12) & 63) / 31.5 - 1
    alpha = (hash_[5] & 15) / 15 if header >> 23 else 1.0
    return (*_rgb(lum, yb, rg), alpha)


def _rgb(lum: float, yb: float, rg: float) -> tuple[float, float, float]:
    b = lum - 2 / 3 * yb
    r = (3 * lum - b + rg) / 2
    g = r - rg
    return (max(0.0, min(1.0, r)), max(0.0, min(1.0, g)), max(0.0, min(1.0, b)))


class _Factors:
    """Reads the quantised AC factors that follow the header, two per byte."""

    def __init__(self, hash_: bytes, start: int) -> None:
        self._hash = hash_
        self._index = start * 2

    def channel(self, nx: int, ny: int, scale: float) -> list[float]:
        factors = []
        for cy in range(ny):
            cx = 0 if cy else 1
            while cx * ny < nx * (ny - cy):
                byte = self._hash[self._index >> 1] if self._index >> 1 < len(self._hash) else 0
                nibble = (byte >> ((self._index & 1) << 2)) & 15
                factors.append((nibble / 7.5 - 1) * scale)
                self._index += 1
                cx += 1
        return factors


def decode(hash_: bytes) -> Decoded:
    """Draw the placeholder a ThumbHash describes."""
    header24 = hash_[0] | (hash_[1] << 8) | (hash_[2] << 16)
    header16 = hash_[3] | (hash_[4] << 8)
    l_dc = (header24 & 63) / 63
    p_dc = ((header24 >> 6) & 63) / 31.5 - 1
    q_dc = ((header24 >> 12) & 63) / 31.5 - 1
    l_scale = ((header24 >> 18) & 31) / 31
    has_alpha = bool(header24 >> 23)
    p_scale = ((header16 >> 3) & 63) / 63
    q_scale = ((header16 >> 9) & 63) / 63
    landscape = bool(header16 >> 15)
    lx = max(3, (5 if has_alpha else 7) if landscape else header16 & 7)
    ly = max(3, header16 & 7 if landscape else (5 if has_alpha else 7))
    a_dc = (hash_[5] & 15) / 15 if has_alpha else 1.0
    a_scale = (hash_[5] >> 4) / 15 if has_alpha else 0.0

    factors = _Factors(hash_, 6 if has_alpha else 5)
    l_ac = factors.channel(lx, ly, l_scale)
    # saturation boosted by 1.25 to make up for the quantisation, as the reference does
    p_ac = factors.channel(3, 3, p_scale * 1.25)
    q_ac = factors.channel(3, 3, q_scale * 1.25)
    a_ac = factors.channel(5, 5, a_scale) if has_alpha else []

    ratio = aspect_ratio(hash_)
    w = _round(32 if ratio > 1 else 32 * ratio)
    h = _round(32 / ratio if ratio > 1 else 32)
    out = bytearray(w * h * 4)
    nx, ny = max(lx, 5 if has_alpha else 3), max(ly, 5 if has_alpha else 3)
    for y in range(h):
        fy = [math.cos(math.pi / h * (y + 0.5) * cy) for cy in range(ny)]
        for x in range(w):
            fx = [math.cos(math.pi / w * (x + 0.5) * cx) for cx in range(nx)]
            lum = l_dc + _sum(l_ac, fx, fy, lambda cx, cy: cx * ly < lx * (ly - cy), ly)
            yb = p_dc + _sum(p_ac, fx, fy, lambda cx, cy: cx < 3 - cy, 3)
            rg = q_dc + _sum(q_ac, fx, fy, lambda cx, cy: cx < 3 - cy, 3)
            alpha = a_dc + (_sum(a_ac, fx, fy, lambda cx, cy: cx < 5 - cy, 5) if has_alpha else 0)
            r, g, b = _rgb(lum, yb, rg)
            i = (y * w + x) * 4
            out[i : i + 4] = bytes(
                (int(255 * r), int(255 * g), int(255 * b), int(255 * max(0.0, min(1.0, alpha))))
            )
    return Decoded(w, h, bytes(out))


def _sum(
    factors: Sequence[float],
    fx: Sequence[float],
    fy: Sequence[float],
    inside: _Inside,
    rows: int,
) -> float:
    """The AC terms of one channel at one pixel (the DC term is added by the caller)."""
    total, j = 0.0, 0
    for cy in range(rows):
        cx = 0 if cy else 1
        while inside(cx, cy):
            total += factors[j] * fx[cx] * fy[cy] * 2
            j += 1
            cx += 1
    return total
