"""Slack's escaping, undone once on input.

The manifest asks Slack to escape `/tandem` text (`should_escape: true`), so it
arrives with `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`, and with mentions,
channels and links as `<@U123|name>`, `<#C123|name>`, `<https://…|label>`.
`decode` turns that into what the person typed, once: entities are decoded, a user
or channel mention becomes the bare `<@U123>` / `<#C123>` (the one markup the
bot's output keeps, see `bot.blocks.common.user_text(mentions=True)`), a link its
URL, and a special mention (`<!channel>`, `<!here>`, `<!subteam^S1|@team>`) its
plain words ("@channel", "@team"), which ping nobody. Output escapes once.
"""

from __future__ import annotations

import re

# What manifest.yml declares for /tandem (tests/unit/test_manifest.py keeps them agreed).
SHOULD_ESCAPE = True

_TOKEN = re.compile(r"<([^<>]*)>")
_MENTION = re.compile(r"^([@#])([UWCG][A-Z0-9]{1,30})(?:\|.*)?$")


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _token(inner: str) -> str:
    mention = _MENTION.match(inner)
    if mention:
        return f"<{mention.group(1)}{mention.group(2)}>"
    target, _, label = inner.partition("|")
    if target.startswith("!"):
        if label:
            return _unescape(label)
        word = target[1:].split("^", 1)[0]
        return f"@{word}" if word in ("channel", "here", "everyone") else _unescape(word)
    return _unescape(target or label)


def decode(text: str) -> str:
    """Command text as Slack sent it (escaped) → what the person typed."""
    out: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        out.append(_unescape(text[pos:match.start()]))
        out.append(_token(match.group(1)))
        pos = match.end()
    out.append(_unescape(text[pos:]))
    return "".join(out)
