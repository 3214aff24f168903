"""Links in messages: the custom domain in production, /t/<slug> elsewhere."""

from __future__ import annotations

from leadermail.platform.config import Settings
from leadermail.tenants.links import site_url, tracking_url
from leadermail.tenants.registry import TenantRef

CHANGSHA = TenantRef(
    id=2, slug="changsha", name="长沙市市长信箱", kind="city", parent_id=1,
    status="active", theme="base", schema_name="t_changsha",
    domains=("szxx.changsha.gov.cn",),
)  # fmt: skip
NO_DOMAIN = TenantRef(
    id=3, slug="xiangtan", name="湘潭市市长信箱", kind="city", parent_id=1,
    status="active", theme="base", schema_name="t_xiangtan",
)  # fmt: skip
DEMO = Settings.from_env({"BASE_URL": "http://127.0.0.1:8000/"})
PRODUCTION = Settings(environment="production", base_url="https://xinfang.hunan.gov.cn")


def test_the_demo_links_where_it_listens_even_for_a_tenant_with_a_domain() -> None:
    # Nothing resolves szxx.changsha.gov.cn on a laptop: the link must still work.
    assert site_url(DEMO, CHANGSHA) == "http://127.0.0.1:8000/t/changsha/"
    assert tracking_url(DEMO, CHANGSHA) == "http://127.0.0.1:8000/t/changsha/track"


def test_production_keeps_the_custom_domain() -> None:
    assert site_url(PRODUCTION, CHANGSHA, "/write") == "https://szxx.changsha.gov.cn/write"
    assert site_url(PRODUCTION, NO_DOMAIN, "/write") == (
        "https://xinfang.hunan.gov.cn/t/xiangtan/write"
    )


def test_the_tracking_link_carries_the_code_and_nothing_else() -> None:
    link = tracking_url(PRODUCTION, CHANGSHA, "K7QMX3XPD9")
    assert link == "https://szxx.changsha.gov.cn/track?code=K7QMX-3XPD9"
