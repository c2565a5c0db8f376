"""新增企业: the tenant's enterprises, 工商信息 autofill, one tax ID one tenant, bulk import."""
