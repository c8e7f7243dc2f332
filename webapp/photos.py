"""Photos sent with road reports: checked, decoded and re-encoded with Pillow, stored by a generated name.

Nothing of the uploaded file is kept but its pixels:

- only JPEG, PNG, WebP and GIF are read, recognised by their content (never by the
  name or the Content-Type sent); anything else is `InvalidFileError` (400);
- the size in pixels is read from the header and checked against ``REPORT_MAX_PIXELS``
  *before* decoding (a "decompression bomb", a small file of a huge image, is
  `TooLargeError`, 413, as a file over ``REPORT_PHOTO_MAX_BYTES`` is); Pillow's own
  `PIL.Image.MAX_IMAGE_PIXELS` guard stays on as a second line;
- the camera's orientation is applied, the image scaled to at most `MAX_SIDE` pixels a
  side and saved as a new JPEG: no EXIF (camera position included), no comments, no
  colour profile;
- the file is written under ``REPORT_MEDIA_DIR`` (default ``instance/report_media``)
  with a random name, and served as ``image/jpeg`` with ``nosniff``.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import warnings
from pathlib import Path

from flask import Flask, current_app

from .errors import InvalidFileError, NotFoundError, TooLargeError

__all__ = ["FORMATS", "MAX_SIDE", "MEDIA_TYPE", "media_dir", "media_path", "save_photo"]

#: The image formats a report's photo may be in (Pillow's names).
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
#: Longest side (pixels) of a stored photo.
MAX_SIDE = 2048
#: What every stored photo is.
MEDIA_TYPE = "image/jpeg"
_NAME = re.compile(r"^[0-9a-f]{32}\.jpg$")


def media_dir(app: Flask | None = None) -> Path:
    app = app or current_app
    return Path(app.config.get("REPORT_MEDIA_DIR") or os.path.join(app.instance_path, "report_media"))


def reencode(data: bytes, *, max_pixels: int) -> bytes:
    """The photo ``data`` decoded and saved again as a plain JPEG (see the module's rules)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as src:
                width, height = src.size
                if width * height > max_pixels:
                    raise TooLargeError(
                        f"the photo is {width} x {height} pixels; at most {max_pixels:,} pixels are accepted"
                    )
                src.seek(0)  # an animation: its first frame
                src.load()
                im: Image.Image = ImageOps.exif_transpose(src)
                if im.mode in ("RGBA", "LA", "P", "PA"):
                    im = im.convert("RGBA")
                    flat = Image.new("RGB", im.size, (255, 255, 255))
                    flat.paste(im, mask=im.getchannel("A"))
                    im = flat
                elif im.mode != "RGB":
                    im = im.convert("RGB")
                im.thumbnail((MAX_SIDE, MAX_SIDE))
                out = io.BytesIO()
                im.save(out, "JPEG", quality=85, optimize=True)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooLargeError(f"the photo has too many pixels; at most {max_pixels:,} are accepted") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        if isinstance(exc, TooLargeError):
            raise
        raise InvalidFileError("the photo must be a JPEG, PNG, WebP or GIF image that can be read") from None
    return out.getvalue()


def save_photo(data: bytes) -> str:
    """Check and re-encode an uploaded photo, store it; return its generated file name."""
    cfg = current_app.config
    if len(data) > cfg["REPORT_PHOTO_MAX_BYTES"]:
        raise TooLargeError(f"the photo is larger than {cfg['REPORT_PHOTO_MAX_BYTES'] // 1024} KB")
    if not data:
        raise InvalidFileError("the photo is empty")
    jpeg = reencode(data, max_pixels=cfg["REPORT_MAX_PIXELS"])
    folder = media_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16) + ".jpg"
    tmp = folder / (name + ".part")
    tmp.write_bytes(jpeg)
    os.replace(tmp, folder / name)  # never a half-written photo under its name
    return name


def media_path(name: str) -> Path:
    """The stored photo called ``name`` (a generated name only; anything else is `NotFoundError`)."""
    path = media_dir() / name
    if not _NAME.match(name) or not path.is_file():
        raise NotFoundError("no such photo")
    return path
