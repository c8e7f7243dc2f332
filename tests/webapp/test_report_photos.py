"""Photos of road reports: only images, re-encoded without EXIF, bombs and big files refused, served safely."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from fixtures_db import add_user
from PIL import Image

POINT = {"service_code": "pothole", "lat": "60.1672", "long": "24.9446"}


@pytest.fixture
def photo_app(app, tmp_path):
    app.config.update(REPORT_MEDIA_DIR=str(tmp_path / "media"), REPORT_LIMIT_CLIENT="1000 per minute")
    app.config["TOKEN"] = add_user(app, "eddie", "editor", "editor-pass")
    return app


def _post(client, data: bytes, name: str = "photo.jpg", mimetype: str = "image/jpeg", **fields):
    return client.post(
        "/open311/v2/requests.json",
        data={**POINT, **fields, "media": (io.BytesIO(data), name, mimetype)},
        content_type="multipart/form-data",
    )


def _jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = img.getexif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0112] = 6  # Orientation: rotated 90 degrees
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (60.0, 10.0, 1.5), 3: "E", 4: (24.0, 56.0, 40.2)})
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _png_bomb(side: int = 30000) -> bytes:
    """A real decompression bomb: a 1-bit PNG of side x side pixels (900 million) in well under 1 MB."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" * (1 + side // 8)
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(row * 1000) for _ in range(side // 1000)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def _media_name(app, report_id: str) -> str:
    c = app.test_client()
    item = c.get(f"/api/reports/{report_id}", headers={"Authorization": f"Bearer {app.config['TOKEN']}"}).get_json()
    return item["media_url"].rsplit("/", 1)[1]


def test_photo_is_reencoded_without_exif_and_served_safely(photo_app, tmp_path):
    c = photo_app.test_client()
    original = _jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the upload carries a position
    r = _post(c, original, name="../../secret_key.jpg")
    assert r.status_code == 201, r.get_json()
    made = r.get_json()[0]
    rid = made["service_request_id"]
    name = _media_name(photo_app, rid)
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", name)  # generated, never the uploaded name
    stored = (tmp_path / "media" / name).read_bytes()
    assert b"Exif" not in stored and b"SpyCam" not in stored
    img = Image.open(io.BytesIO(stored))
    assert img.format == "JPEG" and len(img.getexif()) == 0 and not img.getexif().get_ifd(0x8825)
    assert img.size == (48, 64)  # the camera's orientation applied before EXIF went
    assert not any(p.name.endswith(".part") for p in (tmp_path / "media").iterdir())

    # not public yet: no photo URL for the reporter or anyone; staff see it
    assert c.get(made["status_url"]).get_json()["media_url"] is None
    assert c.get(f"/open311/v2/media/{name}").status_code == 404
    staff = {"Authorization": f"Bearer {photo_app.config['TOKEN']}"}
    r = c.get(f"/open311/v2/media/{name}", headers=staff)
    assert r.status_code == 200 and r.data == stored
    assert r.headers["Content-Type"] == "image/jpeg" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert c.post(f"/api/reports/{rid}/confirm", headers=staff, json={"kind": "hazard"}).status_code == 200
    public = c.get(f"/open311/v2/requests/{rid}.json").get_json()[0]
    assert public["media_url"].endswith(f"/open311/v2/media/{name}")
    r = c.get(f"/open311/v2/media/{name}")
    assert r.status_code == 200 and r.mimetype == "image/jpeg" and r.headers["X-Content-Type-Options"] == "nosniff"
    for bad in ("..%2Fsecret_key", "secret_key", name.replace(".jpg", ".png"), "0" * 32 + ".jpg"):
        assert c.get(f"/open311/v2/media/{bad}").status_code == 404


def test_transparent_png_and_gif_become_jpeg(photo_app, tmp_path):
    c = photo_app.test_client()
    for fmt, mode in (("PNG", "RGBA"), ("GIF", "P"), ("WEBP", "RGB")):
        buf = io.BytesIO()
        Image.new(mode, (30, 20)).save(buf, fmt)
        r = _post(c, buf.getvalue(), name=f"x.{fmt.lower()}", mimetype="application/octet-stream")
        assert r.status_code == 201, (fmt, r.get_json())
        stored = tmp_path / "media" / _media_name(photo_app, r.get_json()[0]["service_request_id"])
        assert Image.open(stored).format == "JPEG"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "photo.jpg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "photo.svg"),
        (b"<html><script>alert(1)</script></html>", "photo.jpg"),
        (b"GIF89a", "photo.gif"),  # a header and nothing else
        (b"BM" + b"\x00" * 60, "photo.bmp"),  # an image type that is not accepted
    ],
)
def test_files_that_are_not_accepted_images_are_refused(photo_app, tmp_path, data, name):
    c = photo_app.test_client()
    r = _post(c, data, name=name)
    assert r.status_code == 400 and r.get_json()[0]["error_code"] == "InvalidFile"
    assert c.get("/api/reports", headers={"Authorization": f"Bearer {photo_app.config['TOKEN']}"}).get_json() == {
        "reports": []
    }


def test_truncated_jpeg_is_refused(photo_app):
    whole = _jpeg_with_gps()
    r = _post(photo_app.test_client(), whole[: len(whole) // 2])
    assert r.status_code == 400 and r.get_json()[0]["error_code"] == "InvalidFile"


def test_decompression_bomb_and_pixel_limit_are_413(photo_app, tmp_path):
    c = photo_app.test_client()
    # over REPORT_MAX_PIXELS (25 million), under Pillow's own guard: refused by the header, never decoded
    bomb = _png_bomb(8000)
    assert len(bomb) < 64 * 1024
    r = _post(c, bomb, name="map.png", mimetype="image/png")
    [err] = r.get_json()
    assert r.status_code == 413 and err["code"] == 413 and err["error_code"] == "RequestEntityTooLarge"
    assert "8000 x 8000" in err["description"]
    # far over both: Pillow's guard answers first, the same way
    bomb = _png_bomb(30000)
    assert len(bomb) < 1024 * 1024
    r = _post(c, bomb, name="map.png", mimetype="image/png")
    assert r.status_code == 413 and "pixels" in r.get_json()[0]["description"]
    photo_app.config["REPORT_MAX_PIXELS"] = 1000
    r = _post(c, _jpeg_with_gps())  # 64 x 48 = 3072 pixels
    assert r.status_code == 413
    assert not (tmp_path / "media").exists() or not list((tmp_path / "media").iterdir())


def test_photo_over_the_size_limit_is_413_and_nothing_is_stored(photo_app, tmp_path):
    photo_app.config["REPORT_PHOTO_MAX_BYTES"] = 4096
    c = photo_app.test_client()
    noise = io.BytesIO()
    Image.effect_noise((200, 200), 80).convert("RGB").save(noise, "JPEG", quality=95)
    assert 4096 < len(noise.getvalue()) < 4096 + 64 * 1024
    r = _post(c, noise.getvalue())  # over the photo limit, inside the body limit
    assert r.status_code == 413 and r.get_json()[0]["error_code"] == "RequestEntityTooLarge"
    r = _post(c, noise.getvalue() * 8)  # over the body limit: refused while reading
    assert r.status_code == 413 and r.get_json()[0]["code"] == 413
    staff = {"Authorization": f"Bearer {photo_app.config['TOKEN']}"}
    assert c.get("/api/reports", headers=staff).get_json() == {"reports": []}
    assert not (tmp_path / "media").exists() or not list((tmp_path / "media").iterdir())
