"""分配权益: 【去分配】, the live 勾选税号分配使用组织 panel, 【下一步】 and the results."""
