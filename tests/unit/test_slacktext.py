"""Slack's escaping of command text, decoded once (issue 11, item 10)."""

from __future__ import annotations

from bot.blocks.common import user_text
from bot.commands import parse
from bot.slacktext import decode


def test_decode_undoes_slacks_escaping_once() -> None:
    assert decode("R&amp;D &lt;3 &amp;amp;") == "R&D <3 &amp;"
    assert decode("hi <@U123ABC|ben> in <#C0456|general>") == "hi <@U123ABC> in <#C0456>"
    assert decode("<https://example.com/a?b=1&amp;c=2|example.com>") == "https://example.com/a?b=1&c=2"
    assert decode("<!channel> <!here> <!subteam^S0001|@leads> <!subteam^S0002>") == "@channel @here @leads subteam"


def test_output_escapes_once_and_keeps_only_user_and_channel_mentions() -> None:
    typed = decode("R&amp;D &lt;3 <@U123|ben> <!channel> &lt;!here&gt; &lt;http://x|y&gt;")
    shown = user_text(typed, 3000, mentions=True)
    assert shown == "R&amp;D &lt;3 <@U123> @channel &lt;!here&gt; &lt;http://x|y&gt;"
    assert "<!" not in shown
    assert user_text("a" * 10 + " <@U1234567>", 14, mentions=True) == "a" * 10 + " …"


def test_ask_and_experts_arguments_are_decoded() -> None:
    assert parse("ask R&amp;D &lt;3").arg == "R&D <3"
    assert parse("experts R&amp;D").arg == "R&D"
    assert parse("ask <!here>").arg == "@here"
    assert parse("ask &lt;   &gt;").arg == "<   >"
    assert parse("ask &#32;").arg == "&#32;"
