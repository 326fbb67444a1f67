from django.urls import path

from coresponse.dispatch import board_views, intake_views, protocol_views, views

app_name = "dispatch"
urlpatterns = [
    path("", views.call_list, name="call_list"),
    path("<int:pk>/", views.call_detail, name="call_detail"),
    path("new/", intake_views.call_new, name="call_new"),
    path("caller/", intake_views.caller_history, name="caller_history"),
    # The dispatch board, a team member's duty card, their live partials and the board's actions.
    path("board/", board_views.board, name="board"),
    path("board/live/", board_views.board_live, name="board_live"),
    path("board/mine/", board_views.duty, name="duty"),
    path("board/mine/live/", board_views.duty_live, name="duty_live"),
    path("board/calls/<int:call_id>/dispatch/", board_views.dispatch, name="board_dispatch"),
    path("board/calls/<int:call_id>/handoff/", board_views.offer_handoff, name="board_handoff"),
    path("board/assignments/<int:pk>/advance/", board_views.advance, name="board_advance"),
    path("board/pages/<int:pk>/acknowledge/", board_views.acknowledge, name="board_acknowledge"),
    path("board/handoffs/<int:pk>/state/", board_views.handoff_state, name="board_handoff_state"),
    # Triage protocols: list, a version with "try it", the editor, history, a new one.
    path("protocols/", protocol_views.protocol_list, name="protocol_list"),
    path("protocols/new/", protocol_views.protocol_new, name="protocol_new"),
    path("protocols/<int:pk>/", protocol_views.protocol_detail, name="protocol_detail"),
    path(
        "protocols/<int:pk>/v<int:number>/",
        protocol_views.protocol_detail,
        name="protocol_version",
    ),
    path("protocols/<int:pk>/try/", protocol_views.protocol_try, name="protocol_try"),
    path("protocols/<int:pk>/edit/", protocol_views.protocol_edit, name="protocol_edit"),
    path("protocols/<int:pk>/history/", protocol_views.protocol_history, name="protocol_history"),
]
