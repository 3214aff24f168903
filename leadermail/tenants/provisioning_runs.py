"""Provisioning runs: a request to open a mailbox (or invite its admin), and its progress.

A request (province console form, or an approved application) writes one
``core.provisioning_runs`` row keyed by its request id and an outbox job in
the same transaction; posting the same form twice finds the same run::

    run = await request_provisioning(session, request_key=form_id, spec=spec,
                                     admin_email="a@x.cn", admin_name="张三", actor=actor)
    await session.commit()       # the worker runs jobs.provision_tenant(run_id=run.id)

The row moves queued → running (steps schema_created → migrated → seeded →
admin_invited) → succeeded | failed; the job that moves it is
:mod:`leadermail.tenants.jobs`. Inviting an admin to a mailbox that exists
is a run of that one step (``tenants.admin_invitations``; its request key
starts with :data:`INVITATION_KEY_PREFIX`), so it has the same progress page
and the same 重新发送邀请邮件 when the mail fails.
"""

from __future__ import annotations

import enum
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, String, Text, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.audit.writer import Actor, record_platform_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.db import CoreBase
from leadermail.platform.jobs.outbox import enqueue
from leadermail.tenants.provisioning import TenantSpec


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


#: The steps in order, with what the progress page calls each (``step``
#: is the last one finished).
STEPS: tuple[tuple[str, str], ...] = (
    ("queued", "收到开通请求"),
    ("schema_created", "建立信箱的数据库"),
    ("migrated", "建立数据表"),
    ("seeded", "写入默认的来信分类和承办单位"),
    ("admin_invited", "向管理员发送设置密码的邀请邮件"),
)
STEP_LABELS = dict(STEPS)
#: The steps of a run that only invites an admin to an existing mailbox.
INVITATION_STEP_LABELS = {"queued": "收到邀请请求", "admin_invited": STEP_LABELS["admin_invited"]}
#: Starts the request key of a run that only invites an admin.
INVITATION_KEY_PREFIX = "admin-invitation:"
RUN_STATUS_LABELS = {
    RunStatus.QUEUED: "等待开始",
    RunStatus.RUNNING: "正在开通",
    RunStatus.SUCCEEDED: "开通完成",
    RunStatus.FAILED: "开通失败",
}
INVITATION_STATUS_LABELS = {
    RunStatus.QUEUED: "等待发送",
    RunStatus.RUNNING: "正在发送",
    RunStatus.SUCCEEDED: "邀请邮件已发出",
    RunStatus.FAILED: "邀请邮件发送失败",
}
#: What the progress page says of a step (see :meth:`ProvisioningRun.progress`).
STEP_STATE_LABELS = {
    "done": "已完成",
    "current": "正在进行",
    "waiting": "等待中",
    "failed": "出错",
    "undone": "已撤销",
    "not_reached": "未进行",
}
#: Starts the ``error`` of a run that broke on something other than the
#: input (a database or mail fault): trying again may work.
SYSTEM_ERROR = "系统错误："


class ProvisioningRun(CoreBase):
    __tablename__ = "provisioning_runs"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    request_key: Mapped[str] = mapped_column(String(80), unique=True)
    #: The TenantSpec as JSON (dataclass fields).
    spec: Mapped[dict[str, Any]] = mapped_column(JSONB)
    template_tenant_id: Mapped[int | None] = mapped_column(BigInteger)
    admin_email: Mapped[str | None] = mapped_column(String(254))
    admin_name: Mapped[str | None] = mapped_column(String(50))
    application_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.QUEUED)
    step: Mapped[str] = mapped_column(String(30), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"))
    requested_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    requested_by_label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def invitation_only(self) -> bool:
        """Invites an admin to a mailbox that already existed (no provisioning)."""
        return self.request_key.startswith(INVITATION_KEY_PREFIX)

    @property
    def status_label(self) -> str:
        labels = INVITATION_STATUS_LABELS if self.invitation_only else RUN_STATUS_LABELS
        return labels.get(self.status, self.status)

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)

    @property
    def created(self) -> bool:
        """The mailbox exists (a later step, the invitation, may still have failed)."""
        return self.tenant_id is not None

    @property
    def system_error(self) -> bool:
        """Failed on a fault rather than on the input: worth trying again as is."""
        return bool(self.error and self.error.startswith(SYSTEM_ERROR))

    def _steps(self) -> list[str]:
        if self.invitation_only:
            return list(INVITATION_STEP_LABELS)
        names = [name for name, _ in STEPS]
        return names if self.admin_email else [n for n in names if n != "admin_invited"]

    @property
    def failed_step(self) -> str | None:
        """The step that broke (a failed run), else None."""
        if self.status != RunStatus.FAILED:
            return None
        steps = self._steps()
        if self.created:  # everything up to the mailbox itself worked
            return "admin_invited" if "admin_invited" in steps else steps[-1]
        reached = steps.index(self.step) if self.step in steps else 0
        return steps[min(reached + 1, len(steps) - 1)]

    def progress(self) -> list[tuple[str, str]]:
        """(label, state) of each step for the progress list; state is a key
        of ``STEP_STATE_LABELS``. Steps of a failed run before the mailbox
        existed were rolled back with it ("undone")."""
        steps = self._steps()
        labels = INVITATION_STEP_LABELS if self.invitation_only else STEP_LABELS
        if self.status == RunStatus.SUCCEEDED:
            return [(labels[name], "done") for name in steps]
        reached = steps.index(self.step) if self.step in steps else 0
        failed = self.failed_step
        rows = []
        for index, name in enumerate(steps):
            if failed is not None:
                at = steps.index(failed)
                if index == at:
                    state = "failed"
                elif index > at:
                    state = "not_reached"
                else:
                    state = "done" if index == 0 or self.created else "undone"
            elif index <= reached:
                state = "done"
            elif index == reached + 1 and self.status == RunStatus.RUNNING:
                state = "current"
            else:
                state = "waiting"
            rows.append((labels[name], state))
        return rows


def spec_to_json(spec: TenantSpec) -> dict[str, Any]:
    data = asdict(spec)
    data["domains"] = list(spec.domains)
    for key in ("categories", "units"):
        if data[key] is not None:
            data[key] = list(data[key])
    return data


def spec_from_json(data: dict[str, Any]) -> TenantSpec:
    return TenantSpec(**data)


async def request_provisioning(
    session: AsyncSession,
    *,
    request_key: str,
    spec: TenantSpec,
    actor: Actor,
    admin_email: str | None = None,
    admin_name: str | None = None,
    template_tenant_id: int | None = None,
    application_id: int | None = None,
) -> ProvisioningRun:
    """The run for ``request_key``: created with its job, or the existing one.

    Caller commits. ``INSERT … ON CONFLICT DO NOTHING`` makes a double submit
    (or two admins approving at once) produce one run and one job.
    """
    inserted = await queue_run(
        session,
        request_key=request_key,
        spec=spec,
        actor=actor,
        admin_email=admin_email,
        admin_name=admin_name,
        template_tenant_id=template_tenant_id,
        application_id=application_id,
    )
    if inserted is not None:
        await record_platform_audit(
            session,
            actor=actor,
            action="tenant.provision_requested",
            object_type="provisioning_run",
            object_id=inserted,
            data={"slug": spec.slug, "name": spec.name},
        )
    return await run_of_request(session, request_key)


async def queue_run(
    session: AsyncSession,
    *,
    request_key: str,
    spec: TenantSpec,
    actor: Actor,
    admin_email: str | None = None,
    admin_name: str | None = None,
    tenant_id: int | None = None,
    template_tenant_id: int | None = None,
    application_id: int | None = None,
) -> int | None:
    """Insert the run of ``request_key`` with its job; None if it exists already.

    ``tenant_id``: the mailbox exists, the run only invites its admin.
    """
    inserted = (
        await session.execute(
            insert(ProvisioningRun)
            .values(
                request_key=request_key,
                spec=spec_to_json(spec),
                template_tenant_id=template_tenant_id,
                admin_email=(admin_email or "").strip().lower() or None,
                admin_name=admin_name,
                application_id=application_id,
                tenant_id=tenant_id,
                status=RunStatus.QUEUED,
                step="queued",
                requested_by_user_id=actor.user_id,
                requested_by_label=actor.label,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["request_key"])
            .returning(ProvisioningRun.id)
        )
    ).scalar_one_or_none()
    if inserted is not None:
        enqueue(session, "provision_tenant", run_id=inserted)
    return inserted


async def run_of_request(session: AsyncSession, request_key: str) -> ProvisioningRun:
    return (
        await session.execute(
            select(ProvisioningRun).where(ProvisioningRun.request_key == request_key)
        )
    ).scalar_one()


async def retry_provisioning(
    session: AsyncSession, run_id: int, *, actor: Actor
) -> ProvisioningRun | None:
    """Queue failed run ``run_id`` again, as it was asked (caller commits).

    A run that made its mailbox only sends the invitation again, whoever
    asked for it. None when the run is not failed (already retried) or is an
    application's run that made nothing: that application went back to its
    review queue, and approving it again is the retry.
    """
    run = await session.get(ProvisioningRun, run_id, with_for_update=True)
    if run is None or run.status != RunStatus.FAILED:
        return None
    if run.application_id is not None and run.tenant_id is None:
        return None
    run.status, run.error, run.finished_at = RunStatus.QUEUED, None, None
    if run.tenant_id is None:
        run.step = "queued"  # what the failed try did was rolled back
    enqueue(session, "provision_tenant", run_id=run.id)
    await record_platform_audit(
        session,
        actor=actor,
        action="tenant.provision_retried",
        tenant_id=run.tenant_id,
        object_type="provisioning_run",
        object_id=run.id,
        data={
            "slug": run.spec.get("slug"),
            "name": run.spec.get("name"),
            "admin_email": run.admin_email,
        },
    )
    return run


async def load_run(session: AsyncSession, run_id: int) -> ProvisioningRun | None:
    return await session.get(ProvisioningRun, run_id)
