"""The README is the front door: short, exactly the two set-up commands, and links that resolve."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def _links(text: str) -> list[str]:
    """Targets of the Markdown links and images of ``text`` (inline form), outside code."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return re.findall(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", text)


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 150, f"README.md has {len(lines)} lines; the guides belong in docs/"


def test_two_setup_commands_and_ci_runs_the_test_one():
    text = README.read_text(encoding="utf-8")
    setup = text.split("## Set-up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", setup, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
    assert commands == ["./dev start", "./dev test"]
    assert "./dev test" in (ROOT / ".ci" / "run").read_text()


def test_every_relative_link_resolves():
    links = _links(README.read_text(encoding="utf-8"))
    relative = [link for link in links if not urlsplit(link).scheme and not link.startswith("#")]
    assert relative, "the README links into the docs"
    missing = [link for link in relative if not (ROOT / unquote(urlsplit(link).path)).exists()]
    assert not missing, f"README.md links to missing files: {missing}"


def test_link_check_sees_links_and_misses(tmp_path):
    """The link finder itself: inline links and images found, code left out."""
    text = "[a](docs/a.md) ![b](docs/img/b.png) [c](https://x.org) `[d](nope.md)`\n```\n[e](nope2.md)\n```\n"
    assert _links(text) == ["docs/a.md", "docs/img/b.png", "https://x.org"]
