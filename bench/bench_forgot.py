"""忘记密码 and 登录: does the answer's time tell whether an address has an account?

Interleaves requests for an existing account and for unknown addresses (in-process, SQLite,
the production password hash) and reports the medians of the time to the answer and their
difference. 忘记密码 looks the address up only after the answer has been sent (the time until
the answer is the same work for both); 登录 checks a dummy hash for an unknown address.
"""
import statistics
import time

from bench.common import make_app

ROUNDS = 200


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def run() -> list[str]:
    from webapp.auth import service as accounts
    from webapp.extensions import db

    app = make_app(PASSWORD_HASH_METHOD="scrypt", PASSWORD_RESET_EMAILS_PER_HOUR=10**6,
                   PASSWORD_RESET_ADDRESS_LIMIT=10**6, LOGIN_MAX_FAILURES=10**6,
                   LOGIN_ACCOUNT_MAX_FAILURES=10**6)
    with app.app_context():
        accounts.create_staff("bench-forgot@staff.test", "support", "bench-pass-1")
        db.session.commit()
    client = app.test_client()
    lines = []
    for name, url, data in (
            ("忘记密码", "/password/forgot", lambda email: {"email": email}),
            ("登录 (wrong password)", "/login",
             lambda email: {"email": email, "password": "wrong-pass-1"})):
        rounds = ROUNDS if name == "忘记密码" else ROUNDS // 4  # scrypt: ~0.1 s a check
        known, unknown = [], []
        for i in range(rounds + 5):
            for email, samples in (("bench-forgot@staff.test", known),
                                   (f"nobody{i}@example.com", unknown)):
                begin = time.perf_counter()
                answer = client.post(url, data=data(email))
                if i >= 5:  # warm-up
                    samples.append(time.perf_counter() - begin)
                answer.close()  # as a server does once the answer is sent (work after it runs)
        k, u = _median_ms(known), _median_ms(unknown)
        lines.append(f"{name}: existing account {k:.2f} ms, unknown address {u:.2f} ms, "
                     f"difference {k - u:+.2f} ms ({rounds} each, interleaved)")
    return lines
