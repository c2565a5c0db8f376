"""The 工商 registry behind 新增企业's autofill: providers, the CSV import, demo data, CLI."""
