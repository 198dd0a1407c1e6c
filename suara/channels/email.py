"""The `survey_email` channel: a survey invitation by email, with one-click score buttons and an unsubscribe link.

The buttons are a table of links with inline styles, no script, so they work in mail clients. A click opens the
hosted page with that score selected; nothing is stored until the customer sends the form (scanners open links).
Sending, timeouts and refusals behave exactly as `suara.notify.mail.EmailChannel` (5xx refusal is permanent; a
timeout, a dropped connection or a 4xx is retried).
"""

from __future__ import annotations

from email.message import EmailMessage

from jinja2 import Environment

from suara.channels.invitation import Content, content
from suara.channels.phrases import phrases
from suara.channels.receipts import note_sent
from suara.notify.channels import Delivery
from suara.notify.mail import EmailChannel
from suara.settings import Settings
from suara.store.app import AppStore

_env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
_FONT = "font-family:Arial,Helvetica,sans-serif;"
# Inline styles (mail clients drop style sheets). Dark blue on white and white on dark blue pass WCAG AA (about 9:1).
_STYLE = {
    "page": "margin:0;padding:0;background:#f4f5f7;",
    "outer": "padding:24px 8px;",
    "card": "max-width:600px;width:100%;background:#ffffff;border-radius:6px;",
    "body": "padding:24px;color:#1b1f24;" + _FONT,
    "h1": "font-size:20px;margin:0 0 12px;",
    "intro": "font-size:15px;line-height:1.5;margin:0 0 12px;",
    "question": "font-size:17px;line-height:1.4;font-weight:bold;margin:0 0 16px;",
    "row": "border-collapse:separate;border-spacing:2px;max-width:480px;",
    "cell": "border:1px solid #1f4e79;border-radius:4px;background:#ffffff;",
    "point": "display:block;padding:10px 0;font-size:15px;font-weight:bold;color:#1f4e79;text-decoration:none;" + _FONT,
    "end": "font-size:12px;color:#4a5560;padding-top:4px;",
    "hint": "font-size:13px;color:#4a5560;margin:12px 0 0;",
    "cta_cell": "background:#1f4e79;border-radius:4px;",
    "cta": "display:inline-block;padding:12px 20px;font-size:15px;color:#ffffff;text-decoration:none;" + _FONT,
    "footer": "padding:12px 24px 20px;font-size:12px;color:#4a5560;border-top:1px solid #e1e4e8;" + _FONT,
    "link": "color:#1f4e79;",
}
_HTML = _env.from_string(
    """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{ subject }}</title></head>
<body style="{{ s.page }}">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="{{ s.page }}">
<tr><td align="center" style="{{ s.outer }}">
<table role="presentation" cellpadding="0" cellspacing="0" style="{{ s.card }}">
<tr><td style="{{ s.body }}">
{% if title %}<h1 style="{{ s.h1 }}">{{ title }}</h1>{% endif %}
{% if intro %}<p style="{{ s.intro }}">{{ intro }}</p>{% endif %}
<p style="{{ s.question }}">{{ question }}</p>
{% if points %}
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="{{ s.row }}"><tr>
{% for p in points %}
<td align="center" width="{{ (100 / points|length)|round(0, 'floor')|int }}%" style="{{ s.cell }}">
<a href="{{ p.url }}" title="{{ p.title }}" style="{{ s.point }}">{{ p.value }}</a></td>
{% endfor %}
</tr></table>
{% if low_label or high_label %}
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:480px;">
<tr><td align="left" style="{{ s.end }}">{{ low_label }}</td><td align="right" style="{{ s.end }}">{{ high_label }}</td>
</tr></table>
{% endif %}
<p style="{{ s.hint }}">{{ words.pick }}</p>
{% endif %}
<table role="presentation" cellpadding="0" cellspacing="0" style="margin-top:20px;"><tr>
<td style="{{ s.cta_cell }}"><a href="{{ survey_url }}" style="{{ s.cta }}">{{ words.full }}</a></td>
</tr></table>
</td></tr>
{% if unsubscribe_url %}
<tr><td style="{{ s.footer }}">{{ words.footer }}
<a href="{{ unsubscribe_url }}" style="{{ s.link }}">{{ words.unsubscribe }}</a></td></tr>
{% endif %}
</table></td></tr></table>
</body></html>
"""
)


def subject(c: Content) -> str:
    return c.survey.title or phrases(c.locale)["subject"]


def html_part(c: Content) -> str:
    """The HTML body: intro, question, one button per scale point, the survey link and the unsubscribe footer."""
    inv, lead = c.invitation, c.lead
    points = (
        [{"value": p.value, "url": inv.score_url(p.value), "title": p.label or str(p.value)} for p in lead.points]
        if c.one_click
        else []
    )
    return _HTML.render(
        lang=c.locale,
        subject=subject(c),
        title=c.survey.title,
        intro=c.survey.intro,
        question=lead.text,
        points=points,
        low_label=lead.points[0].label if points else None,
        high_label=lead.points[-1].label if points else None,
        survey_url=inv.survey_url,
        unsubscribe_url=inv.unsubscribe_url,
        words=phrases(c.locale),
        s=_STYLE,
    )


def text_part(c: Content) -> str:
    """The plain-text body: the question, one link per score, the survey link and the unsubscribe link."""
    inv, words = c.invitation, phrases(c.locale)
    lines = [x for x in (c.survey.title, c.survey.intro) if x]
    lines += ["", c.lead.text, ""] if lines else [c.lead.text, ""]
    if c.one_click:
        for p in c.lead.points:
            label = f" ({p.label})" if p.label else ""
            lines.append(f"{p.value}{label}: {inv.score_url(p.value)}")
        lines.append("")
    lines.append(f"{words['full']}: {inv.survey_url}")
    if inv.unsubscribe_url:
        lines += ["", f"{words['unsubscribe']}: {inv.unsubscribe_url}"]
    return "\n".join(lines) + "\n"


class SurveyEmailChannel(EmailChannel):
    """Sends survey invitations (`survey_email` outbox messages) over the configured SMTP server."""

    name = "survey_email"

    def __init__(self, store: AppStore, host: str, port: int = 25, **kwargs: object) -> None:
        super().__init__(host, port, **kwargs)  # type: ignore[arg-type]
        self.store = store

    @classmethod
    def for_store(cls, settings: Settings, store: AppStore) -> SurveyEmailChannel | None:
        """The channel on the settings' SMTP server, or None when no SMTP host is set."""
        if not settings.smtp_host:
            return None
        return cls(
            store,
            settings.smtp_host,
            settings.smtp_port,
            mail_from=settings.mail_from,
            user=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )

    def message(self, delivery: Delivery) -> EmailMessage:
        c = content(self.store, delivery.workspace_id, delivery.payload)
        rendered = Delivery(
            delivery.message_id,
            delivery.delivery_id,
            delivery.workspace_id,
            delivery.channel,
            delivery.target,
            {"subject": subject(c), "text": text_part(c), "html": html_part(c)},
            delivery.attempt,
        )
        msg = super().message(rendered)
        if c.invitation.unsubscribe_url:
            msg["List-Unsubscribe"] = f"<{c.invitation.unsubscribe_url}>"
        msg["Content-Language"] = c.locale
        return msg

    def send(self, delivery: Delivery) -> None:
        super().send(delivery)
        note_sent(self.store, delivery)
