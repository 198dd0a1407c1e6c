"""Outreach: who is asked, when and through what. Trigger rules, transactional sends, sampling, quotas, contact caps,
quiet hours and suppression, every decision logged with its reason, and the delivery funnel of each survey."""

from __future__ import annotations

from suara.outreach.policy import ContactPolicy, decide
from suara.outreach.scheduler import run_pass
from suara.outreach.send import Request, process
from suara.outreach.triggers import TriggerCreate, TriggerDefinition

__all__ = ["ContactPolicy", "Request", "TriggerCreate", "TriggerDefinition", "decide", "process", "run_pass"]
