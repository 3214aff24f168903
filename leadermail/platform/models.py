"""Imports every model module so both metadata collections are complete
(Alembic autogenerate and tests rely on it)."""

from leadermail.platform.accounts import models as _accounts  # noqa: F401
from leadermail.platform.appeals import models as _appeals  # noqa: F401
from leadermail.platform.audit import models as _audit  # noqa: F401
from leadermail.platform.certificates import models as _certificates  # noqa: F401
from leadermail.platform.channels import models as _channels  # noqa: F401
from leadermail.platform.db import CoreBase, TenantBase
from leadermail.platform.deadlines import alerts as _deadline_alerts  # noqa: F401
from leadermail.platform.deadlines import models as _deadlines  # noqa: F401
from leadermail.platform.deadlines import runs as _deadline_runs  # noqa: F401
from leadermail.platform.duty import models as _duty  # noqa: F401
from leadermail.platform.exports import models as _exports  # noqa: F401
from leadermail.platform.forwarding import copies as _forwarded_copies  # noqa: F401
from leadermail.platform.forwarding import models as _forwarding  # noqa: F401
from leadermail.platform.jobs import models as _jobs  # noqa: F401
from leadermail.platform.letters import duplicates as _duplicates  # noqa: F401
from leadermail.platform.letters import extensions as _extensions  # noqa: F401
from leadermail.platform.letters import models as _letters  # noqa: F401
from leadermail.platform.letters import notices as _notices  # noqa: F401
from leadermail.platform.letters import staff_models as _staff_models  # noqa: F401
from leadermail.platform.notifications import console as _staff_notifications  # noqa: F401
from leadermail.platform.replies import models as _replies  # noqa: F401
from leadermail.platform.routing import models as _routing  # noqa: F401
from leadermail.platform.supervision import models as _supervision  # noqa: F401
from leadermail.tenants import applications as _tenant_applications  # noqa: F401
from leadermail.tenants import invitations as _tenant_invitations  # noqa: F401
from leadermail.tenants import models as _tenants  # noqa: F401
from leadermail.tenants import provisioning_runs as _tenant_runs  # noqa: F401

__all__ = ["CoreBase", "TenantBase"]
