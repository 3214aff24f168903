"""Self-service applications to open a mailbox, and their review.

A department or lower-level government applies on the platform's own site,
gets an application code to follow it, and a province admin approves (which
starts provisioning) or rejects it with a reason::

    application = await submit_application(session, form)     # caller commits
    application.code                                           # "SQ7KM3XPD9"
    await reject_application(session, application, actor, "重复申请")
    run = await approve_application(session, application, actor, sync_engine, parent_id=7)

An application belongs to the province tree of the parent mailbox it names
(``console.province_access``); when a deployment hosts more than one tree,
the applicant must name one, or no province would ever see it. The approver
confirms or corrects the parent, and the mailbox opens under it.

Approval checks the wished slug and domain again at that moment: if another
tenant took them meanwhile the admin gets a clear error and nothing is
created (provisioning itself is all-or-nothing, see ``provisioning``).
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, String, Text, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.audit.writer import Actor, record_platform_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.db import CoreBase
from leadermail.platform.letters.tracking import TRACKING_CODE_ALPHABET
from leadermail.tenants.models import Tenant, TenantKind
from leadermail.tenants.provisioning import (
    TenantSpec,
    availability_problems,
    check_available,
    normalise_host,
    spec_problems,
    validate_spec,
)


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"  # 待审核
    PROVISIONING = "provisioning"  # 已批准，开通中
    APPROVED = "approved"  # 已开通
    REJECTED = "rejected"  # 未通过


APPLICATION_STATUS_LABELS = {
    ApplicationStatus.PENDING: "待审核",
    ApplicationStatus.PROVISIONING: "已批准，正在开通",
    ApplicationStatus.APPROVED: "已开通",
    ApplicationStatus.REJECTED: "未通过",
}

CODE_PREFIX = "SQ"
_PHONE = re.compile(r"^[0-9+\-\s]{7,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class TenantApplication(CoreBase):
    __tablename__ = "tenant_applications"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    #: Shown to the applicant to follow the application.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    unit_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    parent_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"))
    leader_name: Mapped[str] = mapped_column(String(50))
    leader_title: Mapped[str | None] = mapped_column(String(100))
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(20))
    contact_email: Mapped[str] = mapped_column(String(254))
    reason: Mapped[str] = mapped_column(Text)
    wished_slug: Mapped[str] = mapped_column(String(40))
    wished_domain: Mapped[str | None] = mapped_column(String(253))
    status: Mapped[str] = mapped_column(String(20), default=ApplicationStatus.PENDING)
    reviewed_by_label: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    #: Why the last provisioning attempt failed (the admin may retry).
    last_error: Mapped[str | None] = mapped_column(Text)
    provisioning_run_id: Mapped[int | None] = mapped_column(BigInteger)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def status_label(self) -> str:
        return APPLICATION_STATUS_LABELS.get(self.status, self.status)

    def tenant_spec(self) -> TenantSpec:
        return TenantSpec(
            slug=self.wished_slug,
            name=self.unit_name,
            kind=self.kind,
            parent_id=self.parent_tenant_id,
            domains=(self.wished_domain,) if self.wished_domain else (),
            leader_name=self.leader_name,
            leader_title=self.leader_title,
        )


@dataclass
class ApplicationForm:
    unit_name: str
    kind: str
    leader_name: str
    contact_name: str
    contact_phone: str
    contact_email: str
    reason: str
    wished_slug: str
    wished_domain: str = ""
    leader_title: str = ""
    parent_tenant_id: int | None = None


class ApplicationError(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def validate_form(form: ApplicationForm) -> dict[str, str]:
    """Field → message for everything wrong with the form (empty when fine)."""
    errors: dict[str, str] = {}
    required = {
        "unit_name": "请填写申请单位",
        "leader_name": "请填写领导姓名",
        "contact_name": "请填写联系人",
        "reason": "请填写申请理由",
    }
    for name, message in required.items():
        if not getattr(form, name).strip():
            errors[name] = message
    if len(form.unit_name) > 100:
        errors["unit_name"] = "单位名称不超过 100 个字符"
    if len(form.reason) > 2000:
        errors["reason"] = "申请理由不超过 2000 个字符"
    if not _PHONE.match(form.contact_phone.strip()):
        errors["contact_phone"] = "请填写正确的联系电话"
    if not _EMAIL.match(form.contact_email.strip()):
        errors["contact_email"] = "请填写正确的电子邮箱，管理员邀请将发送到此邮箱"
    if form.kind not in {TenantKind.CITY, TenantKind.COUNTY, TenantKind.DEPARTMENT}:
        errors["kind"] = "请选择单位类型"
    for name, message in spec_problems(_wished_spec(form)).items():
        if name in _FORM_FIELDS:
            errors[_FORM_FIELDS[name]] = message
    return errors


#: The provisioning checks' field names → this form's.
_FORM_FIELDS = {"slug": "wished_slug", "domains": "wished_domain", "parent_id": "parent_tenant_id"}


def _wished_spec(form: ApplicationForm) -> TenantSpec:
    """The parts of the tenant the form asks for that provisioning checks."""
    domain = normalise_host(form.wished_domain)
    return TenantSpec(
        slug=form.wished_slug.strip().lower(),
        name=form.unit_name.strip() or "x",  # checked above, as 申请单位
        kind="city",  # likewise
        parent_id=form.parent_tenant_id,
        domains=(domain,) if domain else (),
    )


async def clashes(session: AsyncSession, form: ApplicationForm) -> dict[str, str]:
    """Field → message for a wished slug or domain that an existing tenant
    (the provisioning module's own check) or another open application has.

    Checked at submission so the applicant can choose again at once, instead
    of the province admin finding an application that cannot be approved.
    """
    spec = _wished_spec(form)
    found = await session.run_sync(
        lambda sync_session: availability_problems(sync_session.connection(), spec)
    )
    errors = {_FORM_FIELDS[name]: message for name, message in found.items()}
    open_applications = select(TenantApplication.id).where(
        TenantApplication.status.in_((ApplicationStatus.PENDING, ApplicationStatus.PROVISIONING))
    )
    if "wished_slug" not in errors and await session.scalar(
        open_applications.where(TenantApplication.wished_slug == spec.slug).limit(1)
    ):
        errors["wished_slug"] = f"标识“{spec.slug}”已有单位申请、正在审核，请换一个"
    if spec.domains and "wished_domain" not in errors and await session.scalar(
        open_applications.where(TenantApplication.wished_domain == spec.domains[0]).limit(1)
    ):
        errors["wished_domain"] = f"域名“{spec.domains[0]}”已有单位申请、正在审核，请换一个"
    return errors


#: Shown next to 上级信箱 when a parent must be named.
PARENT_REQUIRED = "请选择上级信箱"
PARENT_REQUIRED_OF_APPLICANT = (
    "本平台开设了多个省的领导信箱，请选择上级信箱；不确定时请选择本单位所在省的信箱"
)


async def parent_problems(session: AsyncSession, form: ApplicationForm) -> dict[str, str]:
    """A parent is required once the deployment hosts more than one tree
    (more than one mailbox without a parent): a province sees the
    applications under its own tree only, and one naming none would be
    nobody's. With one tree, "不确定" is the province's to settle."""
    if form.parent_tenant_id is not None:
        return {}
    roots = await session.scalar(
        select(func.count()).select_from(Tenant).where(Tenant.parent_id.is_(None))
    )
    return {"parent_tenant_id": PARENT_REQUIRED_OF_APPLICANT} if roots > 1 else {}


def new_application_code() -> str:
    return CODE_PREFIX + "".join(secrets.choice(TRACKING_CODE_ALPHABET) for _ in range(8))


async def submit_application(session: AsyncSession, form: ApplicationForm) -> TenantApplication:
    """Raises ApplicationError with every field's problem at once."""
    errors = validate_form(form)
    for name, message in (await clashes(session, form)).items():
        errors.setdefault(name, message)  # a malformed slug says so, not "taken"
    for name, message in (await parent_problems(session, form)).items():
        errors.setdefault(name, message)
    if errors:
        raise ApplicationError(errors)
    application = TenantApplication(
        code=new_application_code(),
        unit_name=form.unit_name.strip(),
        kind=form.kind,
        parent_tenant_id=form.parent_tenant_id,
        leader_name=form.leader_name.strip(),
        leader_title=form.leader_title.strip() or None,
        contact_name=form.contact_name.strip(),
        contact_phone=form.contact_phone.strip(),
        contact_email=form.contact_email.strip().lower(),
        reason=form.reason.strip(),
        wished_slug=form.wished_slug.strip().lower(),
        wished_domain=normalise_host(form.wished_domain) or None,
    )
    session.add(application)
    await session.flush()
    await record_platform_audit(
        session,
        actor=Actor(None, f"申请人 {application.contact_name}"),
        action="application.submit",
        object_type="tenant_application",
        object_id=application.id,
        data={"code": application.code, "unit": application.unit_name},
    )
    return application


async def find_application(session: AsyncSession, code: str) -> TenantApplication | None:
    code = (code or "").strip().upper().replace("-", "")
    return (
        await session.execute(select(TenantApplication).where(TenantApplication.code == code))
    ).scalar_one_or_none()


def _require_pending(application: TenantApplication) -> None:
    if application.status != ApplicationStatus.PENDING:
        raise ApplicationError(
            {"status": f"该申请当前状态为“{application.status_label}”，不能再审核"}
        )


async def reject_application(
    session: AsyncSession, application: TenantApplication, actor: Actor, reason: str
) -> None:
    _require_pending(application)
    if not reason.strip():
        raise ApplicationError({"reason": "请填写不予通过的理由"})
    application.status = ApplicationStatus.REJECTED
    application.rejection_reason = reason.strip()
    application.reviewed_by_label = actor.label
    application.reviewed_at = utcnow()
    await record_platform_audit(
        session,
        actor=actor,
        action="application.reject",
        object_type="tenant_application",
        object_id=application.id,
        data={"reason": reason.strip()},
    )


def check_still_available(sync_engine: Engine, spec: TenantSpec) -> None:
    """Raise TenantError if the slug or domain was taken since the application
    (or the parent is gone)."""
    validate_spec(spec)
    with sync_engine.connect() as connection:
        check_available(connection, spec)


async def approve_application(
    session: AsyncSession,
    application: TenantApplication,
    actor: Actor,
    sync_engine: Engine,
    *,
    parent_id: int | None,
) -> int:
    """Check the slug/domain are still free, then queue provisioning of the
    mailbox under ``parent_id`` (the approver's choice, which the application
    keeps; caller commits).

    Returns the provisioning run id. Raises TenantError (nothing changed) when
    the wished slug or domain was taken meanwhile, ApplicationError when no
    parent is given (an application never opens a mailbox outside a tree).
    """
    from leadermail.tenants.provisioning_runs import request_provisioning

    _require_pending(application)
    if parent_id is None:
        raise ApplicationError({"parent_tenant_id": PARENT_REQUIRED})
    spec = replace(application.tenant_spec(), parent_id=parent_id)
    check_still_available(sync_engine, spec)
    run = await request_provisioning(
        session,
        request_key=f"application:{application.id}:{application.updated_at.timestamp():.6f}",
        spec=spec,
        actor=actor,
        admin_email=application.contact_email,
        admin_name=application.contact_name,
        application_id=application.id,
    )
    applied_for = application.parent_tenant_id
    application.parent_tenant_id = parent_id
    application.status = ApplicationStatus.PROVISIONING
    application.reviewed_by_label = actor.label
    application.reviewed_at = utcnow()
    application.provisioning_run_id = run.id
    application.last_error = None
    await record_platform_audit(
        session,
        actor=actor,
        action="application.approve",
        object_type="tenant_application",
        object_id=application.id,
        data={"run_id": run.id, "parent_id": parent_id}
        | ({"applied_parent_id": applied_for} if applied_for != parent_id else {}),
    )
    return run.id


async def mark_provisioned(context: AppContext, application_id: int, tenant_id: int) -> None:
    async with context.database.core_session() as session, session.begin():
        application = await session.get(TenantApplication, application_id, with_for_update=True)
        if application is not None:
            application.status = ApplicationStatus.APPROVED
            application.tenant_id = tenant_id


async def mark_failed(context: AppContext, application_id: int, message: str) -> None:
    """Back to the review queue with the reason, so the admin can fix and retry."""
    async with context.database.core_session() as session, session.begin():
        application = await session.get(TenantApplication, application_id, with_for_update=True)
        if application is not None and application.status == ApplicationStatus.PROVISIONING:
            application.status = ApplicationStatus.PENDING
            application.last_error = message
