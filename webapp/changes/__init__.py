"""申请 (智能审批): change requests filed by tenant admins and support."""
