"""The frames every listener runs in: the common part of a Slack surface, done once.

A listener is a module-level `async def` with one signature per kind, and
`handlers/__init__.py` binds it to its id through the frame of its kind:

- `button`      `(deps, click)`: ack at once, who clicked, a `StaleAction` answered
                 ephemerally (or in a small modal where there is no conversation).
- `modal_button` the same, but a loading modal opens with the trigger id before the
                 listener runs (trigger ids expire in 3 s; the database may be slow);
                 the listener shows its modal with `click.show`, a stale answer
                 replaces the loading modal.
- `view`        `(deps, submission) -> Done | None`: `FieldErrors` becomes
                 `response_action=errors`, a `StaleAction` replaces the modal with its
                 answer, otherwise the ack (closing or updating the modal), then the
                 messages are delivered and the homes refreshed.
- `command`     `(deps, call)` for a `/tandem` verb (dispatched by handlers/commands.py).
- `options`     `(deps, body) -> options`, the type-ahead answer.
- `event`       `(deps, event, body)`: ack, and an event whose listener fails is forgotten
                 so Slack's retry takes effect.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import outbox
from bot.blocks.members import answer
from bot.blocks.sessions import info_modal, loading_modal
from bot.commands import Command
from bot.deps import Deps
from bot.events import forget_event, record_event_once
from bot.home import refresh_homes
from bot.sessions import StaleAction
from bot.slack import slack_error
from handlers.payloads import who

log = logging.getLogger(__name__)

FAILED_TEXT = ":warning: Something went wrong on our side. Please try again in a minute."


class FieldErrors(Exception):
    """A view submission with fields to fix: block_id → message, shown under the fields."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


# --- buttons -------------------------------------------------------------------------------------------


@dataclass
class Click:
    """A block action: who clicked, the action's value, and where an answer can go."""

    body: dict[str, Any]
    respond: Any
    team_id: str
    user_id: str
    loading_view_id: str | None = None  # set when the frame opened a loading modal

    @property
    def value(self) -> str:
        """The clicked button's value, or the chosen option's."""
        actions = self.body.get("actions")
        action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
        option = action.get("selected_option")
        chosen = option.get("value") if isinstance(option, dict) else None
        return str(action.get("value") or chosen or "")

    @property
    def trigger_id(self) -> str:
        return str(self.body.get("trigger_id") or "")

    @property
    def in_conversation(self) -> bool:
        """Clicked in a message (an ephemeral reply is possible), not in App Home or a modal."""
        return bool(self.body.get("response_url"))

    async def show(self, deps: Deps, view: dict[str, Any]) -> None:
        """Show a modal: in place of the loading modal when one is open, else opened now."""
        await show(deps, view, loading_view_id=self.loading_view_id, trigger_id=self.trigger_id)

    async def tell(self, deps: Deps, text: str, *, replace: bool = False) -> None:
        """An ephemeral answer in the conversation the button was clicked in; elsewhere (App
        Home, a modal) a small modal, since those have nowhere to post an ephemeral message."""
        if self.in_conversation:
            await self.respond(response_type="ephemeral", replace_original=replace, **answer(text))
            if self.loading_view_id is not None:
                await self.show(deps, info_modal(text))
            return
        await self.show(deps, info_modal(text))


ButtonListener = Callable[[Deps, Click], Awaitable[None]]


def button(deps: Deps, listener: ButtonListener) -> Callable[..., Awaitable[None]]:
    async def frame(ack, body, respond) -> None:  # type: ignore[no-untyped-def]
        await ack()
        await _run_click(deps, listener, _click(body, respond))

    return _named(frame, listener)


def modal_button(deps: Deps, listener: ButtonListener) -> Callable[..., Awaitable[None]]:
    async def frame(ack, body, respond) -> None:  # type: ignore[no-untyped-def]
        await ack()
        click = _click(body, respond)
        click.loading_view_id = await open_loading(deps, click.trigger_id)
        await _run_click(deps, listener, click)

    return _named(frame, listener)


async def open_loading(deps: Deps, trigger_id: str) -> str | None:
    """Open the loading modal with the trigger id, before anything slow; its view id."""
    try:
        opened = await deps.slack.open_view(trigger_id, loading_modal())
    except SlackApiError as exc:
        log.warning("could not open a loading modal: %s", slack_error(exc))
        return None
    return str(opened.get("id") or "") or None


async def show(deps: Deps, view: dict[str, Any], *, loading_view_id: str | None, trigger_id: str) -> None:
    """views.update of the loading modal when one is open, else views.open with the trigger id."""
    try:
        if loading_view_id is not None:
            await deps.slack.update_view(loading_view_id, view)
        else:
            await deps.slack.open_view(trigger_id, view)
    except SlackApiError as exc:  # e.g. the person closed the loading modal already
        log.warning("could not show a modal: %s", slack_error(exc))


def _click(body: dict[str, Any], respond: Any) -> Click:
    team_id, user_id = who(body)
    return Click(body=body, respond=respond, team_id=team_id, user_id=user_id)


async def _run_click(deps: Deps, listener: ButtonListener, click: Click) -> None:
    try:
        await listener(deps, click)
    except StaleAction as stale:
        await click.tell(deps, str(stale))
    except Exception:
        if click.loading_view_id is not None:  # never leave "One moment…" up for good
            await click.show(deps, info_modal(FAILED_TEXT))
        raise


# --- view submissions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """A view submission: who submitted, the modal's state values and private metadata."""

    body: dict[str, Any]
    view: dict[str, Any]
    team_id: str
    user_id: str

    @property
    def values(self) -> dict[str, Any]:
        state = self.view.get("state")
        values = state.get("values") if isinstance(state, dict) else None
        return values if isinstance(values, dict) else {}

    @property
    def metadata(self) -> str | None:
        value = self.view.get("private_metadata")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Done:
    """What a view listener did: the modal to show instead of closing (or None), then the
    outbox keys to deliver, the people whose App Home changed, and any slower last step
    that runs after the ack."""

    view: dict[str, Any] | None = None
    keys: Sequence[str] = ()
    homes: Sequence[str] = ()
    then: Callable[[], Awaitable[None]] | None = field(default=None, compare=False)


ViewListener = Callable[[Deps, Submission], Awaitable[Done | None]]


def view(deps: Deps, listener: ViewListener) -> Callable[..., Awaitable[None]]:
    async def frame(ack, body, view) -> None:  # type: ignore[no-untyped-def]
        team_id, user_id = who(body)
        if not team_id and isinstance(view, dict):
            team_id = str(view.get("team_id") or "")
        submission = Submission(body=body, view=view if isinstance(view, dict) else {}, team_id=team_id,
                                user_id=user_id)
        try:
            done = await listener(deps, submission) or Done()
        except FieldErrors as fields:
            await ack(response_action="errors", errors=fields.errors)
            return
        except StaleAction as stale:
            await ack(response_action="update", view=info_modal(str(stale)))
            return
        await (ack(response_action="update", view=done.view) if done.view is not None else ack())
        if done.keys:
            await outbox.send_now(deps, list(done.keys))
        if done.homes:
            await refresh_homes(deps, team_id, list(done.homes))
        if done.then is not None:
            await done.then()

    return _named(frame, listener)


# --- commands ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """A `/tandem` invocation: the parsed command, who typed it, and Bolt's ack and respond."""

    command: Command
    payload: dict[str, Any]
    ack: Any
    respond: Any
    program_id: int | None = None  # the program it acts on (handlers/commands.py resolves it)

    @property
    def team_id(self) -> str:
        return str(self.payload.get("team_id") or "")

    @property
    def user_id(self) -> str:
        return str(self.payload.get("user_id") or "")

    @property
    def trigger_id(self) -> str:
        return str(self.payload.get("trigger_id") or "")

    @property
    def channel_id(self) -> str | None:
        """Where the command was typed (a program's channel means that program)."""
        return str(self.payload.get("channel_id") or "") or None


CommandListener = Callable[[Deps, Call], Awaitable[None]]


# --- shortcuts ---------------------------------------------------------------------------------------------


def shortcut(deps: Deps, listener: ButtonListener) -> Callable[..., Awaitable[None]]:
    """A global or message shortcut: ack, then the listener with a `Click` (the trigger id
    opens its modal; a `StaleAction` is answered in a small modal)."""
    async def frame(ack, body, respond) -> None:  # type: ignore[no-untyped-def]
        await ack()
        await _run_click(deps, listener, _click(body, respond))

    return _named(frame, listener)


# --- events and options ------------------------------------------------------------------------------------

EventListener = Callable[[Deps, dict[str, Any], dict[str, Any]], Awaitable[None]]
OptionsListener = Callable[[Deps, dict[str, Any]], Awaitable[list[dict[str, Any]]]]


def event(deps: Deps, listener: EventListener) -> Callable[..., Awaitable[None]]:
    """Ack first (nothing before it touches the database), then settle Slack's retries: the
    event id is recorded in its own short transaction, so a retry arriving meanwhile (at this
    process or a replica) finds it and is dropped; if the listener raises, the id is forgotten
    so that Slack's next retry takes effect."""
    async def frame(ack, event, body) -> None:  # type: ignore[no-untyped-def]
        await ack()
        event_id = body.get("event_id")
        if event_id:
            async with deps.sessionmaker.begin() as session:
                first = await record_event_once(session, str(event_id), str(body.get("team_id", "")), deps.clock())
            if not first:
                log.info("dropping repeated event %s", event_id)
                return
        try:
            await listener(deps, event, body)
        except Exception:
            if event_id:  # let Slack's retry of this event take effect
                async with deps.sessionmaker.begin() as session:
                    await forget_event(session, str(event_id))
            raise

    return _named(frame, listener)


def options(deps: Deps, listener: OptionsListener) -> Callable[..., Awaitable[None]]:
    async def frame(ack, body) -> None:  # type: ignore[no-untyped-def]
        await ack(options=await listener(deps, body))

    return _named(frame, listener)


def _named(frame: Callable[..., Awaitable[None]], listener: Callable[..., Any]) -> Callable[..., Awaitable[None]]:
    """Bolt and logs name a listener by its function: keep the listener's name and docstring."""
    frame.__name__ = frame.__qualname__ = listener.__name__
    frame.__doc__ = listener.__doc__
    return frame
