"""The weekly digest per department: NPS, CSAT and CES this week against last, with n, interval, significance and
a small weekly chart, as an HTML email (table bars: no scripts, no images) with a plain-text twin."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from jinja2 import Environment
from sqlalchemy.orm import Session

from suara.errors import ValidationFailed
from suara.metrics import MEASURES, MetricSpec, run_metric
from suara.metrics.spec import Change, GroupResult
from suara.notify.outbox import enqueue
from suara.notify.tables import OutboxMessage
from suara.store.warehouse import Warehouse


@dataclass(frozen=True)
class Department:
    title: str
    metrics: tuple[str, ...]  # in the order the digest shows them; the first is the headline


DEPARTMENTS: dict[str, Department] = {
    "marketing": Department("Marketing", ("nps", "csat", "ces")),
    "sales": Department("Sales", ("nps", "ces", "csat")),
    "support": Department("Support", ("csat", "ces", "nps")),
}
# Where each measure's bars start and end, so a week's bar is comparable across digests.
SCALES = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "csat_mean": (1.0, 5.0), "ces": (1.0, 7.0)}


@dataclass(frozen=True)
class MetricWeek:
    """One measure in the digest: the reported week, the week before, the change between them and recent weeks."""

    metric: str
    label: str
    unit: str
    this_week: GroupResult | None
    last_week: GroupResult | None
    change: Change | None
    series: list[GroupResult]


@dataclass(frozen=True)
class Digest:
    department: str
    title: str
    week_start: date  # Monday of the reported ISO week
    metrics: list[MetricWeek]

    @property
    def subject(self) -> str:
        return f"{self.title} CX digest, week of {self.week_start:%d %b %Y}"


def last_full_week(today: date) -> date:
    """Monday of the ISO week before the one holding `today`."""
    return today - timedelta(days=today.weekday() + 7)


def build_digest(
    warehouse: Warehouse,
    workspace_id: str,
    department: str,
    week_start: date,
    *,
    weeks: int = 8,
    filters: dict[str, list[str]] | None = None,
) -> Digest:
    """Read the department's measures by week from the warehouse: `weeks` weeks ending with the one at `week_start`."""
    dept = department_named(department)
    start = datetime.combine(week_start - timedelta(weeks=weeks - 1), time(), UTC)
    end = datetime.combine(week_start + timedelta(weeks=1), time(), UTC)
    rows = []
    for name in dept.metrics:
        spec = MetricSpec(metric=name, period="week", start=start, end=end, filters=filters or {})
        result = run_metric(warehouse, workspace_id, spec)
        by_week = {g.key["period"]: g for g in result.series}
        this = by_week.get(week_start.isoformat())
        last = by_week.get((week_start - timedelta(weeks=1)).isoformat())
        measure = MEASURES[name]
        rows.append(
            MetricWeek(name, measure.label, measure.unit, this, last, this.change if this else None, result.series)
        )
    return Digest(department, dept.title, week_start, rows)


def department_named(name: str) -> Department:
    try:
        return DEPARTMENTS[name]
    except KeyError:
        raise ValidationFailed(f"unknown department {name!r}; choose one of {', '.join(DEPARTMENTS)}") from None


def send_digest(session: Session, workspace_id: str, digest: Digest, recipients: Sequence[str]) -> list[OutboxMessage]:
    """Queue one email per recipient in the caller's transaction; the same week's digest again queues nothing."""
    payload = {"subject": digest.subject, "text": render_text(digest), "html": render_html(digest)}
    return [
        enqueue(
            session,
            workspace_id,
            channel="email",
            target=address,
            payload=payload,
            dedupe_key=f"digest:{digest.department}:{digest.week_start.isoformat()}:{address.lower()}",
        )
        for address in dict.fromkeys(a.strip() for a in recipients if a.strip())
    ]


# -- rendering --------------------------------------------------------------------------------------------------
def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}"


def _change_words(m: MetricWeek) -> str:
    c = m.change
    if c is None or c.delta is None:
        return "no week before to compare with"
    p = "" if c.p_value is None else f", p={c.p_value:.3f}"
    verdict = "significant" if c.significant else "not significant"
    return f"{_signed(c.delta)} against last week ({verdict}{p})"


def _bar_pct(metric: str, value: float | None) -> int:
    if value is None:
        return 0
    low, high = SCALES.get(metric, (0.0, 100.0))
    return max(0, min(100, round(100 * (value - low) / (high - low))))


def render_text(digest: Digest) -> str:
    lines = [digest.subject, ""]
    for m in digest.metrics:
        w = m.this_week
        if w is None:
            lines += [f"{m.label}: no answers this week", ""]
            continue
        low_n = " (low n)" if w.low_n else ""
        lines.append(
            f"{m.label} {_num(w.value)} {m.unit}, 95% CI {_num(w.ci_low)} to {_num(w.ci_high)}, n={w.n}{low_n}"
        )
        lines.append(f"  {_change_words(m)}")
        lines += [f"  {g.key['period']}  {_num(g.value):>6}  n={g.n}" for g in m.series]
        lines.append("")
    return "\n".join(lines)


_HTML = """<!doctype html>
<html><body style="margin:0;padding:0;background:#f4f5f7">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" bgcolor="#f4f5f7"><tr><td align="center">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" bgcolor="#ffffff"
  style="font-family:Arial,Helvetica,sans-serif;color:#1f2933;margin:16px 0">
<tr><td style="padding:20px 24px 8px"><h1 style="font-size:20px;margin:0">{{ d.subject }}</h1></td></tr>
{% for m in d.metrics %}
<tr><td style="padding:16px 24px 4px;border-top:1px solid #e4e7eb">
  <div style="font-size:14px;color:#52606d">{{ m.label }} <span style="font-size:12px">({{ m.unit }})</span></div>
  {% if m.this_week %}
  <div style="font-size:28px;font-weight:bold">{{ num(m.this_week.value) }}</div>
  <div style="font-size:12px;color:#52606d">95% CI {{ num(m.this_week.ci_low) }} to {{ num(m.this_week.ci_high) }},
    n={{ m.this_week.n }}{% if m.this_week.low_n %} (low n){% endif %}</div>
  <div style="font-size:13px;margin-top:4px;color:{{ colour(m) }}">{{ change(m) }}</div>
  {% else %}
  <div style="font-size:14px">No answers this week.</div>
  {% endif %}
</td></tr>
<tr><td style="padding:4px 24px 12px">
  <table role="presentation" width="100%" cellpadding="0" cellspacing="2">
  {% for g in m.series %}
  <tr>
    <td width="80" style="font-size:11px;color:#52606d;white-space:nowrap">{{ g.key.period }}</td>
    <td><table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr>
      {% set pct = bar(m.metric, g.value) %}
      {% if pct > 0 %}<td width="{{ pct }}%" height="10" bgcolor="{{ '#1f6feb' if loop.last else '#9fb3c8' }}"
        style="font-size:0;line-height:0">&nbsp;</td>{% endif %}
      {% if pct < 100 %}<td height="10" style="font-size:0;line-height:0">&nbsp;</td>{% endif %}
    </tr></table></td>
    <td width="90" align="right" style="font-size:11px;white-space:nowrap">{{ num(g.value) }} (n={{ g.n }})</td>
  </tr>
  {% endfor %}
  </table>
</td></tr>
{% endfor %}
<tr><td style="padding:12px 24px 20px;font-size:11px;color:#7b8794">Intervals are 95%; a change is significant
  when p &lt; 0.05. Values from fewer than 30 answers are marked low n.</td></tr>
</table></td></tr></table>
</body></html>
"""
_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)


def _colour(m: MetricWeek) -> str:
    c = m.change
    if c is None or not c.significant or c.delta is None:
        return "#52606d"
    return "#0e7c3a" if c.delta > 0 else "#b42318"


def render_html(digest: Digest) -> str:
    """The digest as email-safe HTML: inline styles and nested tables only."""
    template = _ENV.from_string(_HTML)
    return template.render(d=digest, num=_num, change=_change_words, bar=_bar_pct, colour=_colour)
