"""The care pages, mounted at /care/ (docs/care.md)."""

from django.urls import path

from coresponse.care import views

app_name = "care"
urlpatterns = [
    path("followups/", views.followup_list, name="followup_list"),
    path("followups/<int:pk>/", views.followup_detail, name="followup_detail"),
    path("referrals/", views.referral_list, name="referral_list"),
    path("referrals/inbox/", views.referral_inbox, name="referral_inbox"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral_detail"),
    path("outreach/", views.outreach, name="outreach"),
    path("outreach/plan/", views.plan_outreach, name="plan_outreach"),
    path("outreach/<int:pk>/close/", views.close_visit, name="close_visit"),
    path("people/<int:person_id>/enroll/", views.enroll, name="enroll"),
    path("enrollments/<int:pk>/end/", views.end_enrollment, name="end_enrollment"),
    path("people/<int:person_id>/safety-plan/", views.safety_plan, name="safety_plan"),
    path("resources/", views.resource_list, name="resource_list"),
    path("resources/<int:pk>/", views.resource_detail, name="resource_detail"),
    path("reminders/<int:pk>/dismiss/", views.dismiss_reminder, name="dismiss_reminder"),
]
