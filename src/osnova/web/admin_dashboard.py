"""The admin console's front page: the site's counts and 30 days of activity as a chart.

Counting a million items takes a noticeable moment, so each worker keeps the figures for a
minute (per app, so two apps in one process never share them); the page says when they
were counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, current_app, render_template

from osnova.database import utcnow
from osnova.extensions import db
from osnova.models import User
from osnova.services import policy, reports
from osnova.web.admin import permission_required
from osnova.web.charts import bar_panel
from osnova.web.helpers import signed_in_user

bp = Blueprint("admin_dashboard", __name__, url_prefix="/admin")
activity_required = permission_required(policy.Permission.VIEW_ACTIVITY)
FIGURES_KEPT = timedelta(minutes=1)
CACHE_KEY = "osnova.admin_figures"


@dataclass(frozen=True)
class Figures:
    counts: reports.SiteCounts
    activity: list[reports.DayActivity]
    at: datetime


def _figures(actor: User) -> Figures:
    kept: Figures | None = current_app.extensions.get(CACHE_KEY)
    now = utcnow()
    if kept is not None and now - kept.at < FIGURES_KEPT and kept.at.date() == now.date():
        return kept
    fresh = Figures(
        counts=reports.site_counts(session=db.session(), actor=actor, now=now),
        activity=reports.daily_activity(session=db.session(), actor=actor, today=now.date()),
        at=now,
    )
    current_app.extensions[CACHE_KEY] = fresh
    return fresh


@bp.get("/")
@activity_required
def index() -> str:
    figures = _figures(signed_in_user())
    return render_template(
        "admin/dashboard.html",
        counts=figures.counts,
        activity=figures.activity,
        sign_ups=bar_panel([(day.day, day.sign_ups) for day in figures.activity]),
        new_items=bar_panel([(day.day, day.new_items) for day in figures.activity]),
        now=figures.at,
    )
