"""授权信息: tenant and enterprise credentials, reveal and rotate, the authorization email."""
