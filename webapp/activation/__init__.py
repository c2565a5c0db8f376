"""产品激活: the activation link, the 操作密钥, the ERP choice and the first tenant admin."""
