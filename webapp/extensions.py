"""Extensions, created unbound and initialised in create_app.

No flask-limiter: it registered a before_request check on every request (0.07-0.10 ms) though
no route carries one of its limits. Every limit of this app is counted by the service that owns
it, where it applies (core/ratelimit.py: sign-in, 操作密钥, 忘记密码, holder probes, tokens).
"""
from flask_babel import Babel
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from webapp.orm import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
mail = Mail()
csrf = CSRFProtect()
babel = Babel()
