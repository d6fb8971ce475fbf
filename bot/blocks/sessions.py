"""Messages and modals of a pairing's sessions: prompts, dilemmas, check-ins,
feedback, rescheduling, the fit check, a stalled pairing and the retrospective.

Pure builders. Nothing here ever receives a rating or a private note of
someone else, so none can leak into a message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot import ids
from bot.blocks.common import (
    Block, actions, button, context, header, message, modal, option, plain, section, user_text,
)
from bot.localtime import slack_date

CADENCE_LABELS = {"weekly": "every week", "biweekly": "every two weeks", "monthly": "every four weeks"}
PROGRESS_LABELS = {"not_started": "Not started", "in_progress": "In progress", "done": "Done :tada:"}
TEXT_MAX = 2900
BRAINSTORM_STEPS = (
    "1. Each of you names one problem you're facing now (5 minutes).",
    "2. Pick the one you both find most useful and describe it together.",
    "3. Generate ideas without judging for 20 minutes.",
    "4. Each choose one experiment to try before next time.",
)


def mentions(user_ids: list[str]) -> str:
    return " and ".join(f"<@{u}>" for u in user_ids) or "your partner"


def _text_input(pair: tuple[str, str], label: str, *, multiline: bool = True, optional: bool = False,
                max_length: int = 1000, hint: str | None = None, placeholder: str | None = None,
                initial: str | None = None) -> Block:
    element: Block = {"type": "plain_text_input", "action_id": pair[1], "multiline": multiline,
                      "max_length": max_length}
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    if initial:
        element["initial_value"] = initial[:max_length]
    block: Block = {"type": "input", "block_id": pair[0], "label": plain(label, 2000), "element": element,
                    "optional": optional}
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


# --- prompts before a session ---------------------------------------------------------------------

def kickoff_prompt(*, pairing_id: int, due: dt.datetime, user_ids: list[str]) -> dict[str, Any]:
    """In the pair's conversation before session 1: goals and how you'll work."""
    text = (f"Your kick-off is {slack_date(due)}. Use it to set your goals and agree how you'll work "
            f"together: where you meet, how long, and how you'll give each other honest feedback.")
    return message(
        f"Your kick-off: {slack_date(due)}",
        [
            section(f":wave: {mentions(user_ids)}: {text}"),
            section("Each of you: write one to three goals (specific, measurable, with a date) and say "
                    "what you want from this pairing together."),
            actions(
                button("Set goals", ids.OPEN_GOALS, str(pairing_id), style="primary"),
                button("Pick a session time", ids.PICK_SESSION_TIME, str(pairing_id)),
            ),
        ],
    )


def dilemma_prompt(
    *, session_id: int, sequence: int, due: dt.datetime, partner_ids: list[str], experiment: str | None,
    reminder: bool = False, circle: bool = False,
) -> dict[str, Any]:
    """The mentee's DM (in a circle, the facilitator's): bring a dilemma (or topic) to the next session."""
    lead = ":bell: Reminder — your" if reminder else ":bulb: Your"
    if circle:
        ask = (f"{lead} circle's session {sequence} with {mentions(partner_ids)} is {slack_date(due)}, and it's "
               f"*your turn to facilitate*. What dilemma or topic will you bring? A real situation works best; "
               f"Tandem posts it in the circle's conversation so everyone can prepare.")
    else:
        ask = (f"{lead} session {sequence} with {mentions(partner_ids)} is {slack_date(due)}, and it's "
               f"*your turn to be the mentee*. What dilemma will you bring? A real situation you're unsure "
               f"about works best. Writing it down lets your partner prepare.")
    blocks = [section(ask)]
    if experiment:
        blocks.append(section(f"Your experiment from last time: _{user_text(experiment, 1000)}_\n"
                              f"How did it go? Bring what you learned."))
    blocks.append(actions(button("Write the topic" if circle else "Write my dilemma", ids.OPEN_DILEMMA,
                                 str(session_id), style="primary")))
    if not reminder:
        blocks.append(context("If you don't write one, the session becomes a brainstorm on a shared problem."))
    what = "what dilemma or topic will you bring as facilitator?" if circle else "what dilemma will you bring?"
    return message(f"Session {sequence} is {slack_date(due)}: {what}", blocks)


def dilemma_modal(
    *, session_id: int, sequence: int, situation: str | None = None, tried: str | None = None,
    want: str | None = None, circle: bool = False,
) -> dict[str, Any]:
    """The mentee (in a circle, the facilitator) writes the dilemma or topic they bring to a session."""
    return modal(f"{'Topic' if circle else 'Dilemma'}: session {sequence}", [
        _text_input(ids.DILEMMA_SITUATION, "The dilemma or topic" if circle else "The situation", max_length=2500,
                    initial=situation, placeholder="What's going on, who is involved, what's at stake?"),
        _text_input(ids.DILEMMA_TRIED, "What you've tried so far", optional=True, max_length=2500, initial=tried),
        _text_input(ids.DILEMMA_WANT, "What you want from the circle" if circle else "What you want from your partner",
                    max_length=1500, initial=want,
                    placeholder="e.g. Questions that help me see it differently; an example from your team"),
        context("Posted in your circle's conversation so everyone can prepare." if circle
                else "Posted in your pair's conversation so your partner can prepare."),
    ], callback_id=ids.DILEMMA_VIEW, submit="Share", private_metadata=str(session_id))


def experiment_reminder(*, sequence: int, due: dt.datetime, experiment: str) -> dict[str, Any]:
    """To the author of last session's experiment, before the next session."""
    text = (f":test_tube: Before session {sequence} ({slack_date(due)}), your experiment from last time: "
            f"_{user_text(experiment.rstrip(' .!'), 1000)}_. How did it go? Bring what you learned.")
    return message(f"Before session {sequence}: how did your experiment go?", [section(text)])


def dilemma_posted(
    *, mentee_id: str, mentor_ids: list[str], sequence: int, due: dt.datetime,
    situation: str, tried: str | None, want: str, circle: bool = False,
) -> dict[str, Any]:
    """The mentee's dilemma (a circle's facilitator's topic), in the group's conversation so the others can prepare."""
    if circle:
        lead = (f":thinking_face: <@{mentee_id}> facilitates session {sequence} ({slack_date(due)}) and brings "
                f"this to the circle:")
        tail = (f"{mentions(mentor_ids)}: read it before you meet; bring questions and your own experience. "
                f"<@{mentee_id}> keeps time and makes sure everyone speaks.")
        title = f"<@{mentee_id}> facilitates session {sequence}"
    else:
        lead = f":thinking_face: <@{mentee_id}> brings this dilemma to session {sequence} ({slack_date(due)}):"
        tail = f"{mentions(mentor_ids)}: you mentor this time. Read it before you meet; ask questions before giving answers."
        title = f"<@{mentee_id}>'s dilemma for session {sequence}"
    blocks = [
        section(lead),
        section(f"*{'The topic' if circle else 'The situation'}*\n{user_text(situation, TEXT_MAX)}"),
    ]
    if tried:
        blocks.append(section(f"*What I've tried*\n{user_text(tried, TEXT_MAX)}"))
    blocks += [
        section(f"*What I'd like from you*\n{user_text(want, TEXT_MAX)}"),
        context(tail),
    ]
    return message(title, blocks)


def brainstorm_prompt(*, sequence: int, due: dt.datetime, fallback: bool) -> dict[str, Any]:
    """A shared-problem prompt: brainstorm pairs, or a turn with no dilemma written."""
    intro = (f"No dilemma was written for session {sequence} ({slack_date(due)}), so make it a *brainstorm* "
             f"on a shared problem:" if fallback
             else f":busts_in_silhouette: Session {sequence} ({slack_date(due)}) is a *brainstorm* on a shared problem:")
    return message(f"Session {sequence}: a brainstorm on a shared problem",
                   [section(intro), section("\n".join(BRAINSTORM_STEPS))])


# --- check-ins -----------------------------------------------------------------------------------------

def checkin_value(session_id: int, due: dt.datetime) -> str:
    """Ties a check-in button to one date of a session: a moved session makes it stale."""
    return f"{session_id}:{int(due.timestamp())}"


def checkin_message(*, session_id: int, sequence: int, due: dt.datetime, reminder: bool) -> dict[str, Any]:
    """"Did you meet?" in the pair's conversation after a session's date."""
    value = checkin_value(session_id, due)
    lead = ":bell: Still open: did" if reminder else ":wave: Did"
    return message(
        f"Did you meet for session {sequence}?",
        [
            section(f"{lead} you meet for session {sequence} ({slack_date(due)})?"),
            actions(
                button("We met", ids.CHECKIN_MET, value, style="primary"),
                button("Rescheduled", ids.CHECKIN_RESCHEDULED, value),
                button("Skipped", ids.CHECKIN_SKIPPED, value),
            ),
            context("Your feedback stays private: your partner never sees your rating or notes."),
        ],
    )


def checkin_answered(*, sequence: int, user_id: str, answer: str) -> dict[str, Any]:
    """What replaces the check-in buttons once someone answered."""
    texts = {
        "met": f":white_check_mark: <@{user_id}> says you met for session {sequence}.",
        "skipped": f":fast_forward: <@{user_id}> says session {sequence} was skipped. No problem — see you next time.",
    }
    return message(texts[answer], [section(texts[answer])])


def feedback_ask(*, session_id: int, sequence: int, user_id: str, own: bool = False) -> dict[str, Any]:
    """DM to each member once someone said you met (`own`: to the one who said so, in case
    they closed the form); the button works for a week (`bot.feedback.FEEDBACK_OPEN_FOR`)."""
    text = (f":speech_balloon: Thanks for saying you met for session {sequence}. If you closed the form, "
            f"here it is again: how was it for you?" if own else
            f":speech_balloon: <@{user_id}> says you met for session {sequence}. How was it for you?")
    return message(text, [
        section(text),
        actions(button("Give feedback", ids.OPEN_FEEDBACK, str(session_id), style="primary")),
        context("A rating, one takeaway, and an optional private note only you can see."),
    ])


def feedback_modal(
    *, session_id: int, sequence: int, goals: list[tuple[int, str, str]],
) -> dict[str, Any]:
    """Rating, takeaway, experiment, private note, and progress on the person's goals."""
    rating = {
        "type": "input", "block_id": ids.FEEDBACK_RATING[0], "label": plain("How useful was the session?"),
        "element": {"type": "static_select", "action_id": ids.FEEDBACK_RATING[1],
                    "placeholder": plain("1 (not useful) to 5 (very useful)"),
                    "options": [option(f"{n} — {label}", str(n)) for n, label in
                                ((5, "very useful"), (4, "useful"), (3, "fine"), (2, "not very"), (1, "not useful"))]},
    }
    blocks: list[Block] = [
        rating,
        _text_input(ids.FEEDBACK_TAKEAWAY, "One takeaway", max_length=1000,
                    placeholder="What will you remember from this session?"),
        _text_input(ids.FEEDBACK_EXPERIMENT, "An experiment I'll try before next time", optional=True,
                    max_length=1000, hint="Tandem brings it back to you before your next session."),
        _text_input(ids.FEEDBACK_PRIVATE_NOTE, "Private note", optional=True, max_length=2000,
                    hint="Only you: never shown to your partner, in App Home, or to admins."),
    ]
    for goal_id, what, progress in goals[:5]:
        blocks.append({
            "type": "input", "block_id": f"{ids.FEEDBACK_GOAL_PREFIX}{goal_id}", "optional": True,
            "label": plain(f"Goal: {what}", 2000),
            "element": {"type": "static_select", "action_id": ids.FEEDBACK_GOAL_SELECT,
                        "initial_option": option(PROGRESS_LABELS[progress], progress),
                        "options": [option(label, key) for key, label in PROGRESS_LABELS.items()]},
        })
    return modal(f"Session {sequence}", blocks, callback_id=ids.FEEDBACK_VIEW, submit="Send",
                 private_metadata=str(session_id))


# --- time and cadence ------------------------------------------------------------------------------------

def reschedule_modal(
    *, pairing_id: int, session_id: int, sequence: int, initial: dt.datetime, cadence: str, stamp: int | None = None,
) -> dict[str, Any]:
    """Pick the date and time of a session (shown in the picker's own time zone) and the cadence.
    `stamp` is the session's due stamp when the form opened, like the buttons carry: a form
    left open while someone else moved the session is refused (`bot.sessions.parse_form_ref`)."""
    picker = {
        "type": "input", "block_id": ids.SESSION_TIME[0],
        "label": plain(f"When is session {sequence}?"),
        "element": {"type": "datetimepicker", "action_id": ids.SESSION_TIME[1],
                    "initial_date_time": int(initial.timestamp())},
        "hint": plain("In your own time zone; your partner sees it in theirs."),
    }
    cadence_select = {
        "type": "input", "block_id": ids.SESSION_CADENCE[0], "label": plain("Then meet"),
        "element": {"type": "static_select", "action_id": ids.SESSION_CADENCE[1],
                    "initial_option": option(CADENCE_LABELS[cadence], cadence),
                    "options": [option(label, key) for key, label in CADENCE_LABELS.items()]},
    }
    return modal("Session time", [picker, cadence_select], callback_id=ids.RESCHEDULE_VIEW, submit="Save",
                 private_metadata=f"{pairing_id}:{session_id}" + (f":{stamp}" if stamp is not None else ""))


def schedule_changed(*, user_id: str, sequence: int, due: dt.datetime, cadence: str, later: int) -> dict[str, Any]:
    """In the pair's conversation after someone picked a session time."""
    text = f":calendar: <@{user_id}> set session {sequence} for {slack_date(due)}."
    if later:
        text += f" The {later} session{'s' if later > 1 else ''} after it follow {CADENCE_LABELS[cadence]}."
    return message(f"Session {sequence}: {slack_date(due)}", [section(text)])


# --- fit, stalled, retrospective -------------------------------------------------------------------------

def fit_check(*, pairing_id: int, partner_ids: list[str]) -> dict[str, Any]:
    """Private DM after the kick-off: does the pairing feel right?"""
    text = (f":seedling: Now that you've had your kick-off with {mentions(partner_ids)}: does the pairing "
            f"feel right? Only Tandem sees your answer.")
    return message("Does your pairing feel right?", [
        section(text),
        actions(button("Feels right", ids.FIT_YES, str(pairing_id), style="primary"),
                button("Not quite", ids.FIT_NO, str(pairing_id))),
        context("If either of you says no, the pairing ends quietly and you both get priority in the next round. "
                "Nobody is told who answered."),
    ])


def fit_answered(ok: bool) -> str:
    if ok:
        return ":raised_hands: Great — enjoy your sessions."
    return (":handshake: Thanks for saying so. This pairing is ending and you'll be first in line "
            "for the next round.")


CLOSED_TEXTS = {
    "fit": "After the kick-off, this pairing didn't feel like the right fit, so it ends here. That happens, "
           "and it's nobody's fault.",
    "re-pair": "You asked for a new partner, so this pairing ends here.",
    "stopped": "This pairing has been stopped.",
    "stalled": "Your sessions haven't happened for a while and nobody picked a way forward, so this pairing "
               "ends here.",
}


def pairing_closed(*, reason: str, priority: bool) -> dict[str, Any]:
    """To each member of a pairing that ended without anyone leaving: kind, no blame."""
    text = f":seedling: {CLOSED_TEXTS.get(reason, 'This pairing has ended.')} Thank you for the time you gave each other."
    if priority:
        text += " You'll be *first in line* for a new partner in the next round."
    else:
        text += " If you'd like a break from Tandem, use `/tandem pause`."
    return message("Your Tandem pairing has ended.", [section(text)])


def stalled_prompt(*, pairing_id: int, partner_ids: list[str]) -> dict[str, Any]:
    """DM to each member when three sessions in a row did not happen."""
    text = (f":hourglass: Your last three sessions with {mentions(partner_ids)} didn't happen. That's fine — "
            f"life gets busy. The pairing is paused. What would you like?")
    return message("Your pairing is paused: continue, re-pair or stop?", [
        section(text),
        actions(
            button("Continue", ids.STALLED_CONTINUE, str(pairing_id), style="primary"),
            button("Pair me with someone else", ids.STALLED_REPAIR, str(pairing_id)),
            button("Stop", ids.STALLED_STOP, str(pairing_id)),
        ),
        context("If nobody answers within a week, the pairing ends and you both get priority in the next round."),
    ])


def resumed_message(*, user_id: str, due: dt.datetime | None) -> dict[str, Any]:
    text = f":arrow_forward: <@{user_id}> wants to continue, so your pairing is back on."
    if due is not None:
        text += f" Next session: {slack_date(due)}."
    return message(text, [section(text)])


def retro_prompt(*, pairing_id: int, partner_ids: list[str], sessions: int) -> dict[str, Any]:
    """DM after the last session: a short retrospective; the pairing has ended."""
    text = (f":checkered_flag: Your {sessions} sessions with {mentions(partner_ids)} are done — thank you both. "
            f"Two quick questions help you keep what you learned and help Tandem pair you well next time. "
            f"You're in the next round, with someone new.")
    return message("Your pairing is complete: a short retrospective", [
        section(text),
        actions(button("Answer two questions", ids.OPEN_RETRO, str(pairing_id), style="primary")),
    ])


def retro_modal(*, pairing_id: int) -> dict[str, Any]:
    again = {
        "type": "input", "block_id": ids.RETRO_AGAIN[0], "label": plain("Would you pair with them again?"),
        "element": {"type": "radio_buttons", "action_id": ids.RETRO_AGAIN[1],
                    "options": [option("Yes", "yes"), option("No", "no")]},
    }
    return modal("Retrospective", [
        _text_input(ids.RETRO_LEARNED, "What did you learn?", max_length=1000),
        again,
        context("Your answers are private: your partner never sees them."),
    ], callback_id=ids.RETRO_VIEW, submit="Send", private_metadata=str(pairing_id))


# --- in the moment ------------------------------------------------------------------------------------------

def ask_posted(*, user_id: str, partner_ids: list[str], text: str) -> dict[str, Any]:
    body = f":raising_hand: <@{user_id}> asks {mentions(partner_ids)}:\n>{user_text(text, TEXT_MAX, mentions=True).replace(chr(10), chr(10) + '>')}"
    return message(f"<@{user_id}> has a question for you", [section(body)])


def agenda_message(*, sequence: int, due: dt.datetime, items: list[tuple[str, str | None]]) -> dict[str, Any]:
    """Posted to the pair with a session's prompt: the messages its members brought to it."""
    lines = [f"• <{link.replace('>', '')}|a message> brought by {f'<@{who}>' if who else 'a former member'}"
             for link, who in items]
    text = f":pushpin: *On the agenda for session {sequence}* ({slack_date(due)}):\n" + "\n".join(lines)
    return message(f"On the agenda for session {sequence}", [section(text)])


def ask_modal(pairings: list[tuple[int, str]]) -> dict[str, Any]:
    """"Ask my peer" (a global shortcut): the question, and which pairing when there are several."""
    blocks: list[Block] = []
    if len(pairings) > 1:
        options = [{"text": plain(label, 75), "value": str(pid)} for pid, label in pairings[:100]]
        blocks.append({"type": "input", "block_id": ids.ASK_PEER_PAIRING[0], "label": plain("Ask whom", 150),
                       "element": {"type": "static_select", "action_id": ids.ASK_PEER_PAIRING[1],
                                   "options": options, "initial_option": options[0]}})
    blocks.append(_text_input(ids.ASK_PEER_TEXT, "Your question", max_length=TEXT_MAX))
    return modal("Ask my peer", blocks, callback_id=ids.ASK_PEER_VIEW, submit="Send")


def experts_message(skill: str, experts: list[tuple[str, str | None, str | None]]) -> dict[str, Any]:
    """Ephemeral: more experienced colleagues offering a skill. (user id, experience label, department)."""
    name = user_text(skill, 80)
    if not experts:
        text = (f"Nobody with more experience offers *{name}* yet. Try a related skill, or ask in the "
                f"program's channel.")
        return message(text, [section(text)])
    lines = []
    for user_id, experience, department in experts:
        extra = ", ".join(x for x in (experience, user_text(department, 80) if department else None) if x)
        lines.append(f"• <@{user_id}>" + (f" — {extra}" if extra else ""))
    blocks = [header(f"Experienced in {skill}"), section("\n".join(lines)),
              context("They opted in to Tandem and offer this skill. Say hello and ask if they have a moment.")]
    return message(f"Colleagues with more experience in {name}", blocks)


def loading_modal() -> dict[str, Any]:
    """Opened at once with the trigger id (it expires in 3 s); views.update puts the real modal in its place."""
    return modal("Tandem", [section(":hourglass_flowing_sand: One moment…")], callback_id=ids.LOADING_VIEW,
                 close="Close")


def info_modal(text: str) -> dict[str, Any]:
    """A one-line answer where no ephemeral message is possible (App Home buttons)."""
    return modal("Tandem", [section(text)], callback_id=ids.INFO_VIEW, close="OK")
