"""The audit trail for admins: read-only, filtered from the URL, newest first, and as CSV."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from werkzeug.wrappers import Response

from osnova.extensions import db
from osnova.http.downloads import export_download
from osnova.services import audit_trail, policy
from osnova.services.audit_trail import KNOWN_ACTIONS, AuditFilter
from osnova.services.transfer import Format
from osnova.web.admin import permission_required
from osnova.web.admin_forms import AuditFilterForm
from osnova.web.helpers import remote_addr, signed_in_user

bp = Blueprint("admin_audit", __name__, url_prefix="/admin/audit")
activity_required = permission_required(policy.Permission.VIEW_ACTIVITY)


def _chosen(filters: AuditFilterForm) -> AuditFilter:
    filters.validate()
    return AuditFilter(
        action=filters.value("action") or "",
        actor=filters.value("actor") or "",
        target=filters.value("target") or "",
        since=filters.day("since"),
        until=filters.day("until"),
    )


@bp.get("")
@activity_required
def index() -> str:
    filters = AuditFilterForm()
    chosen = _chosen(filters)
    cursor = request.args.get("cursor") or None
    page = audit_trail.list_events(
        session=db.session(), actor=signed_in_user(), filters=chosen, cursor=cursor
    )
    kept = filters.query_args()
    return render_template(
        "admin/audit.html",
        filters=filters,
        page=page,
        known_actions=KNOWN_ACTIONS,
        export_url=url_for("admin_audit.export", **kept),
        first_page=url_for("admin_audit.index", **kept) if cursor else None,
        next_page=(
            url_for("admin_audit.index", **kept, cursor=page.next_cursor)
            if page.next_cursor
            else None
        ),
    )


@bp.get("/export.csv")
@activity_required
def export() -> Response:
    """Every event the filters match, streamed as CSV (the export itself is recorded)."""
    session = db.session()
    chunks = audit_trail.export_csv(
        session=session,
        actor=signed_in_user(),
        filters=_chosen(AuditFilterForm()),
        remote_addr=remote_addr(),
    )
    session.commit()  # the export's own audit event; the rows are read while the body streams
    return export_download(kind="audit", fmt=Format.CSV, chunks=chunks, session=session)
