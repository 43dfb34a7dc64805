from __future__ import annotations

from django.urls import path

from jobs import views

urlpatterns = [
    path("jobs/", views.job_run_index, name="job_run_list"),
    path("jobs/<int:job_run_id>/", views.job_run_detail, name="job_run_detail"),
    path("schedules/<int:schedule_id>/", views.schedule_update, name="schedule_update"),
    path("schedules/<int:schedule_id>/run/", views.schedule_run, name="schedule_run"),
]
