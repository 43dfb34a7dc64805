"""Job run screens, and the schedule actions (frequency, run now) of cart and merchant pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.tenancy import member_required
from jobs import services
from jobs.forms import ScheduleForm
from jobs.models import JobRun
from jobs.registry import SERVICES, service_choices
from jobs.selectors import job_run_list, schedule_list


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


@require_POST
@member_required()
def schedule_update(request: HttpRequest, schedule_id: int) -> HttpResponse:
    schedule = get_object_or_404(schedule_list(request.membership), id=schedule_id)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(request, "dashboard")
    try:
        services.schedule_update(
            schedule=schedule,
            frequency=form.cleaned_data["frequency"],
            daily_at=form.cleaned_data["daily_at"],
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        schedule.refresh_from_db()
        messages.success(
            request,
            f"{schedule.get_service_display()} now runs: "
            + ("daily" if schedule.daily_at else schedule.get_frequency_display().lower())
            + (
                f" at {schedule.daily_at:%H:%M} ({schedule.account.timezone})"
                if schedule.daily_at
                else ""
            )
            + ".",
        )
    return _back(request, "dashboard")


@require_POST
@member_required()
def schedule_run(request: HttpRequest, schedule_id: int) -> HttpResponse:
    schedule = get_object_or_404(schedule_list(request.membership), id=schedule_id)
    outcome = services.schedule_run_now(schedule=schedule)
    if outcome == services.RunNow.STARTED:
        messages.success(
            request,
            f"{schedule.get_service_display()} started. Its result shows here in a few seconds.",
        )
    elif outcome == services.RunNow.RUNNING:
        messages.info(request, f"{schedule.get_service_display()} is running already.")
    else:
        messages.error(
            request,
            f"{schedule.get_service_display()} could not start: the job queue is not reachable. "
            "It runs on its schedule once the queue is back; an administrator can check the "
            "broker (Redis).",
        )
    return _back(request, "dashboard")


@member_required()
def job_run_index(request: HttpRequest) -> HttpResponse:
    runs = job_run_list(request.membership).order_by("-started_at", "-id")
    service = request.GET.get("service", "")
    status = request.GET.get("status", "")
    if service in SERVICES:
        runs = runs.filter(service=service)
    if status in JobRun.Status.values:
        runs = runs.filter(status=status)
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "services": service_choices(),
        "statuses": JobRun.Status.choices,
        "service": service,
        "status": status,
    }
    return render(request, "jobs/job_run_list.html", context)


@member_required()
def job_run_detail(request: HttpRequest, job_run_id: int) -> HttpResponse:
    run = get_object_or_404(job_run_list(request.membership), id=job_run_id)
    return render(request, "jobs/job_run_detail.html", {"run": run})
