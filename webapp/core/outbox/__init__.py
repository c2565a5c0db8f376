"""The outbox: emails are queued with the change that causes them and delivered later,
exactly once each (queue.py writes, sender.py delivers)."""
from webapp.core.outbox.queue import Backlog, backlog, body, queue
from webapp.core.outbox.sender import SendReport, register_background_sender, send_due, work

__all__ = ["Backlog", "SendReport", "backlog", "body", "queue", "register_background_sender", "send_due", "work"]
