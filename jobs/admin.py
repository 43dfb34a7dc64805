from __future__ import annotations

from django.contrib import admin

from jobs.models import Heartbeat, JobRun, ServiceSchedule


@admin.register(ServiceSchedule)
class ServiceScheduleAdmin(admin.ModelAdmin):
    list_display = [
        "service",
        "merchant",
        "cart",
        "frequency",
        "enabled",
        "next_run_at",
        "running_since",
    ]
    list_filter = ["service", "frequency", "enabled"]
    raw_id_fields = ["account", "merchant", "cart", "last_run"]


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "service",
        "trigger",
        "status",
        "merchant",
        "cart",
        "started_at",
        "finished_at",
    ]
    list_filter = ["service", "status", "trigger"]
    raw_id_fields = ["account", "merchant", "cart", "schedule"]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "beat_at"]
