"""The admin console's front page: the site's counts and 30 days of activity as a chart."""

from __future__ import annotations

from flask import Blueprint, render_template

from osnova.database import utcnow
from osnova.extensions import db
from osnova.services import policy, reports
from osnova.web.admin import permission_required
from osnova.web.charts import bar_panel
from osnova.web.helpers import signed_in_user

bp = Blueprint("admin_dashboard", __name__, url_prefix="/admin")
activity_required = permission_required(policy.Permission.VIEW_ACTIVITY)


@bp.get("/")
@activity_required
def index() -> str:
    now = utcnow()
    actor = signed_in_user()
    counts = reports.site_counts(session=db.session(), actor=actor, now=now)
    activity = reports.daily_activity(session=db.session(), actor=actor, today=now.date())
    return render_template(
        "admin/dashboard.html",
        counts=counts,
        activity=activity,
        sign_ups=bar_panel([(day.day, day.sign_ups) for day in activity]),
        new_items=bar_panel([(day.day, day.new_items) for day in activity]),
        now=now,
    )
