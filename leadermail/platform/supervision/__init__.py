"""统一监管: figures across tenants, kept in the shared schema.

* :mod:`.models` — ``core.letter_facts`` (one narrow row per letter),
  ``core.unit_monthly_stats`` and ``core.tenant_monthly_stats`` (rollups),
  ``core.letter_fact_sync`` and ``core.supervision_reports``;
* :mod:`.facts` — computing one letter's fact from its tenant schema;
* :mod:`.aggregates` — writing facts and rollups (``refresh_letters``);
* :mod:`.jobs` — ``refresh_letter_facts``, the reconcile cron, report jobs,
  and :func:`enqueue_fact_refresh` for other code;
* :mod:`.queries` — what the dashboards and the exposure page read, as the
  values of :mod:`.figures` (Figures, Period, Dashboard);
* :mod:`.overdue` — the one look into a tenant schema: a province admin's
  list of one mailbox's overdue and nearly due letters (no personal data);
* :mod:`.charts` — server-side SVG; :mod:`.reports` — XLSX and PDF.
"""
