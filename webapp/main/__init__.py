"""Home pages and the 分配权益 landing of 【去配置】."""
