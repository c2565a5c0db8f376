"""The support console (客服): find an order, its email history, resend the activation email."""
