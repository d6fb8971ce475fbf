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
LEAVE_CONFIRM = "tandem_leave_confirm"
FORGET_CONFIRM = "tandem_forget_confirm"
CANCEL = "tandem_cancel"
OPEN_GOALS = "tandem_open_goals"
OPEN_DILEMMA = "tandem_open_dilemma"
PICK_SESSION_TIME = "tandem_pick_session_time"
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
ADMIN_SEND_CHART = "tandem_admin_send_chart"
ADMIN_SEND_EXPORT = "tandem_admin_send_export"
PICK_PROGRAM = "tandem_pick_program"  # "which program?": value "<program id>|<command text>" or "all|admin stats"
HEADSUP_SKIP = "tandem_headsup_skip"  # value "<program id>:<round due stamp>"
HEADSUP_PAUSE = "tandem_headsup_pause"  # value "<program id>"

# Shortcuts (callback ids; manifest.yml lists them)
ASK_PEER_SHORTCUT = "tandem_ask_peer"  # global: a modal that posts to the current partner(s)
BRING_SHORTCUT = "tandem_bring_to_session"  # message: its permalink goes on the next session's agenda

# Views (callback ids)
PROFILE_VIEW = "tandem_profile"
PROFILE_LOADING_VIEW = "tandem_profile_loading"  # shown while the profile is read; no submit
GOALS_VIEW = "tandem_goals"
DILEMMA_VIEW = "tandem_dilemma"
FEEDBACK_VIEW = "tandem_feedback"
RESCHEDULE_VIEW = "tandem_reschedule"
RETRO_VIEW = "tandem_retro"
SETTINGS_VIEW = "tandem_settings"
START_CIRCLE = "tandem_start_circle"  # admin stats: "Start a circle for <skill>" (value "program id:skill id")
ASK_PEER_VIEW = "tandem_ask_peer_view"

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
WORK_DAYS = ("work_days", "work_days_select")
PROFILE_PROGRAMS = ("profile_programs", "profile_programs_select")  # several programs: tick the ones to join

# "Ask my peer" modal inputs
ASK_PEER_TEXT = ("ask_peer_text", "ask_peer_text_input")
ASK_PEER_PAIRING = ("ask_peer_pairing", "ask_peer_pairing_select")  # only when in several pairings

# Program-settings modal inputs (admin): (block_id, action_id)
SETTINGS_CHANNEL = ("settings_channel", "settings_channel_select")
SETTINGS_CADENCE = ("settings_cadence", "settings_cadence_select")
SETTINGS_WEEKDAY = ("settings_weekday", "settings_weekday_select")
SETTINGS_HOUR = ("settings_hour", "settings_hour_select")
SETTINGS_TIMEZONE = ("settings_timezone", "settings_timezone_input")
SETTINGS_SESSIONS = ("settings_sessions", "settings_sessions_input")
SETTINGS_FORMAT = ("settings_format", "settings_format_select")
SETTINGS_ODD = ("settings_odd", "settings_odd_choice")
SETTINGS_REPEAT = ("settings_repeat", "settings_repeat_input")
SETTINGS_REPEAT_DAYS = ("settings_repeat_days", "settings_repeat_days_input")
SETTINGS_EMPHASIS = ("settings_emphasis", "settings_emphasis_choice")
SETTINGS_MIN_GROUP = ("settings_min_group", "settings_min_group_input")
SETTINGS_LEAD_HOURS = ("settings_lead_hours", "settings_lead_hours_input")
SETTINGS_GUESTS = ("settings_guests", "settings_guests_choice")
SETTINGS_NAME = ("settings_name", "settings_name_input")
SETTINGS_ADMINS = ("settings_admins", "settings_admins_select")
SETTINGS_CAP = ("settings_cap", "settings_cap_input")
SETTINGS_HEADSUP = ("settings_headsup", "settings_headsup_input")
SETTINGS_GROUPING = ("settings_grouping", "settings_grouping_choice")
SETTINGS_GROUP_SIZE = ("settings_group_size", "settings_group_size_input")

# Sessions, goals and check-ins (issue 5)
OPEN_FEEDBACK = "tandem_open_feedback"
GOAL_COUNT = 3  # goals modal: blocks f"goal{n}_{field}" for n in 1..3
GOAL_FIELDS = ("what", "measure", "by", "why")
GOAL_INPUT = "goal_input"  # action_id of every goal field
SHARED_INTENT = ("shared_intent", "shared_intent_input")
DILEMMA_SITUATION = ("dilemma_situation", "dilemma_situation_input")
DILEMMA_TRIED = ("dilemma_tried", "dilemma_tried_input")
DILEMMA_WANT = ("dilemma_want", "dilemma_want_input")
FEEDBACK_RATING = ("feedback_rating", "feedback_rating_select")
FEEDBACK_TAKEAWAY = ("feedback_takeaway", "feedback_takeaway_input")
FEEDBACK_EXPERIMENT = ("feedback_experiment", "feedback_experiment_input")
FEEDBACK_PRIVATE_NOTE = ("feedback_private_note", "feedback_private_note_input")
FEEDBACK_GOAL_PREFIX = "feedback_goal_"  # + goal id; action_id FEEDBACK_GOAL_SELECT
FEEDBACK_GOAL_SELECT = "feedback_goal_select"
SESSION_TIME = ("session_time", "session_time_picker")
SESSION_CADENCE = ("session_cadence", "session_cadence_select")
RETRO_LEARNED = ("retro_learned", "retro_learned_input")
RETRO_AGAIN = ("retro_again", "retro_again_choice")
INFO_VIEW = "tandem_info"  # a one-line answer where no ephemeral message is possible
LOADING_VIEW = "tandem_loading"  # opened at once with a trigger id, replaced when the data is read
