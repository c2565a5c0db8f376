"""Once-a-day jobs run by whichever outbox worker gets there first.

Each job's day is claimed by inserting its (job, day) row in the same transaction as the job's
own writes: a second worker's insert waits for the first to commit and then fails the UNIQUE
constraint, so each job runs once per day across all workers; a job that fails leaves no row
and is tried again at the next check.
"""
import logging
from collections.abc import Callable
from datetime import date

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import DailyJobRun

log = logging.getLogger(__name__)

Job = Callable[[], str]  # queues its work in the session (flush only); returns a summary


def jobs(app: Flask) -> dict[str, Job]:
    """The daily jobs features registered on this app."""
    return app.extensions.setdefault("daily_jobs", {})


def run_due(app: Flask, day: date) -> list[str]:
    """Run every registered job not yet run for `day`; the names of those this call ran."""
    ran = []
    for name, job in jobs(app).items():
        if db.session.scalar(select(DailyJobRun.id).where(DailyJobRun.job == name,
                                                          DailyJobRun.day == day)):
            db.session.rollback()
            continue
        try:
            run = DailyJobRun(job=name, day=day)
            db.session.add(run)
            db.session.flush()
            run.result = job()
            db.session.commit()
        except IntegrityError:  # another worker ran it first
            db.session.rollback()
            continue
        except Exception:
            db.session.rollback()
            log.exception("daily job %s failed; it is tried again at the next check", name)
            continue
        log.info("daily job %s for %s: %s", name, day, run.result)
        ran.append(name)
    return ran
