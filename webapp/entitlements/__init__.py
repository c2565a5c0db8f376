"""租户权益查询: entitlements, holdings, CSV export, the audit log page, expiry reminders."""
