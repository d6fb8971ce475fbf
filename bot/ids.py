"""Every callback_id, action_id and block_id, named once.

Builders, listeners and tests import these, so a typo cannot split them.
"""

# Slash command
COMMAND = "/tandem"

# Actions (buttons, selects)
JOIN = "tandem_join"
EDIT_PROFILE = "tandem_edit_profile"
PAUSE = "tandem_pause"
RESUME = "tandem_resume"
LEAVE = "tandem_leave"
LEAVE_CONFIRM = "tandem_leave_confirm"
FORGET_CONFIRM = "tandem_forget_confirm"
CANCEL = "tandem_cancel"
OPEN_GOALS = "tandem_open_goals"
OPEN_DILEMMA = "tandem_open_dilemma"
PICK_SESSION_TIME = "tandem_pick_session_time"
CHANGE_CADENCE = "tandem_change_cadence"
CHECKIN_MET = "tandem_checkin_met"
CHECKIN_RESCHEDULED = "tandem_checkin_rescheduled"
CHECKIN_SKIPPED = "tandem_checkin_skipped"
GOAL_PROGRESS = "tandem_goal_progress"
FIT_YES = "tandem_fit_yes"
FIT_NO = "tandem_fit_no"
STALLED_CONTINUE = "tandem_stalled_continue"
STALLED_REPAIR = "tandem_stalled_repair"
STALLED_STOP = "tandem_stalled_stop"
OPEN_RETRO = "tandem_open_retro"
OPEN_SETTINGS = "tandem_open_settings"

# Views (callback ids)
PROFILE_VIEW = "tandem_profile"
GOALS_VIEW = "tandem_goals"
DILEMMA_VIEW = "tandem_dilemma"
FEEDBACK_VIEW = "tandem_feedback"
RESCHEDULE_VIEW = "tandem_reschedule"
RETRO_VIEW = "tandem_retro"
SETTINGS_VIEW = "tandem_settings"

# Profile modal inputs: (block_id, action_id)
OFFERS = ("offers", "offers_select")
WANTS = ("wants", "wants_select")
NEW_OFFERS = ("new_offers", "new_offers_input")
NEW_WANTS = ("new_wants", "new_wants_input")
EXPERIENCE = ("experience", "experience_select")
DEPARTMENT = ("department", "department_input")
CAREER_GOALS = ("career_goals", "career_goals_input")
SESSION_FORMAT = ("session_format", "session_format_select")
DONT_PAIR = ("dont_pair", "dont_pair_select")
